"""Consent: who agreed to marketing texts, and who asked not to be texted at all.

``marketing`` is what a marketing text carries (the shop's opt-out line) and
what counts as consent (one reading of the consent metadata key);
``suppressions`` is the do-not-text list (STOP texts, providers' opt-out
reports, numbers the merchant adds or imports). This ``__init__`` imports
nothing.
"""
