"""What a marketing text carries that a transactional one does not.

A rule marked ``marketing`` (an offer, not news about the customer's own
order) ends with the shop's opt-out line from Settings, on a line of its own,
so the customer always learns how to stop such texts; the line is part of the
text, so it counts in the segments and the cost.

Consent to marketing texts is one customer (or checkout) metadata key named in
Settings, read the same way by campaigns, daily sends and checkout reminders.
"""

from __future__ import annotations

from datetime import datetime

#: Metadata values that give consent, besides a date (when it was given).
_CONSENT_WORDS = frozenset({"true", "yes", "1"})


def with_opt_out(text: str, opt_out_line: str) -> str:
    """``text`` with the opt-out line appended (unchanged when either is empty)."""
    line = opt_out_line.strip()
    return f"{text}\n{line}" if line and text else text


def consent_given(value: str | None) -> bool:
    """``true`` (or yes/1) or a date (``2026-11-02``, with or without a time) counts
    as given; anything else ("false", "maybe", empty, no key) does not: a shop must
    be able to show consent was given, so only an affirmative value counts."""
    text = (value or "").strip()
    if text.lower() in _CONSENT_WORDS:
        return True
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
