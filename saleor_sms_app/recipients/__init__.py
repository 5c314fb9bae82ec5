"""Recipients: the phone numbers texts go to, found and checked.

``phones`` finds the customer's number on an order (shipping, billing, a
metadata key), makes any number E.164 and reads staff numbers;
``numberlists`` reads lists of numbers the merchant types, pastes or uploads
(the do-not-text import, a campaign's typed numbers). This ``__init__``
imports nothing.
"""
