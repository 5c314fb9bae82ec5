"""The message log as the dashboard's log screen reads it (issue 12).

``queries`` (filters, sorts, keyset pages, capped count, search), ``rows`` (how
a row is shown), ``csv_export`` (the streamed CSV), ``daily_counts`` (the
chart), ``detail`` (one message with its attempts and reports) and
``personal_data`` (one number's erasure and export, retention). Writing to the
log is ``messages/``'s job; this package only reads it (and erases from it).
Imports nothing, so importing one module never loads the others.
"""
