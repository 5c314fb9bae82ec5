"""Daily sends: birthdays and anniversaries, a text at the merchant's hour of each shop day.

``dates`` is the calendar (which day is whose occurrence: 29 February, month
ends, the shop's zone); ``tables`` holds ``daily_sends`` and
``daily_send_days``; ``store`` checks and stores a daily send (once, or every
year, days before), keeps one pending run per daily send (re-booked when the
shop's zone is saved), and deletes one keeping its log; ``running`` is the
scheduler's ``daily_send`` handler that reads the day's customers and texts
each occurrence once. The audience, the text, the pace, quiet hours, the
do-not-text list and the marketing caps are the campaigns'. This ``__init__`` imports nothing.
"""
