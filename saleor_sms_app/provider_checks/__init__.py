"""Provider checks: the merchant's provider accounts seen from the shop.

``balance`` reads provider balances and texts staff once per drop below the
threshold; ``testmessage`` sends the dashboard's test message and checks a
provider's settings. This ``__init__`` imports nothing.
"""
