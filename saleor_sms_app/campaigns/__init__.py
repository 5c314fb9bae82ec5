"""Campaigns: one text to many people, now or at a date and time.

``audience`` is the merchant's filters (checked, sent to Saleor, checked
again on every customer); ``customers`` reads the shop's customers from Saleor
a page at a time and says who can be texted (and why the others cannot);
``picked`` checks the customers ticked in Saleor's list (typed, pasted or
uploaded numbers are :mod:`saleor_sms_app.recipients.numberlists`);
``tables`` holds the ``campaigns`` table;
``store`` creates campaigns (once per idempotency key) and reports their
progress; ``pacing`` keeps a provider's messages-per-second across every
worker; ``running`` is the scheduler's ``campaign`` handler that reads,
logs and sends one stretch at a time. This ``__init__`` imports nothing.
"""
