"""What a marketing text carries that a transactional one does not.

A rule marked ``marketing`` (an offer, not news about the customer's own
order) ends with the shop's opt-out line from Settings, on a line of its own,
so the customer always learns how to stop such texts; the line is part of the
text, so it counts in the segments and the cost.
"""

from __future__ import annotations


def with_opt_out(text: str, opt_out_line: str) -> str:
    """``text`` with the opt-out line appended (unchanged when either is empty)."""
    line = opt_out_line.strip()
    return f"{text}\n{line}" if line and text else text
