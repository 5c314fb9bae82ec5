"""Delivery reports: what became of a text after the provider took it.

``receiving`` says where providers report (callback URLs) and applies their
reports to the log; ``pending`` keeps verified reports that came before their
message's provider id was recorded and applies them once it is; ``settling``
settles ``unknown`` sends (request sent, no answer) where the provider refuses
a repeat. This ``__init__`` imports nothing.
"""
