"""Campaigns: one text to many people, now or at a date and time.

``audience`` reads the shop's customers from Saleor a page at a time and says
who can be texted (and why the others cannot); ``numbers`` checks typed,
pasted or uploaded numbers; ``tables`` holds the ``campaigns`` table;
``store`` creates campaigns (once per idempotency key) and reports their
progress; ``pacing`` keeps a provider's messages-per-second across every
worker; ``running`` is the scheduler's ``campaign`` handler that reads,
logs and sends one stretch at a time. This ``__init__`` imports nothing.
"""
