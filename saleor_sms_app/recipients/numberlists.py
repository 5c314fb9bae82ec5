"""Lists of phone numbers the merchant types, pastes or uploads as CSV.

One reader for the do-not-text import and for a campaign's recipients: the
first column of each line is a number (a header line is skipped, empty lines
are ignored, our export's ``'`` formula guard is removed); every other line
that is not a number is listed with its line number and the reason, never
dropped silently; a number seen earlier in the same list is counted as a
duplicate, not returned twice.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from saleor_sms_app.errors import InvalidPhoneNumber
from saleor_sms_app.recipients.phones import normalise


@dataclass(frozen=True)
class Line:
    """A line that holds a number: where, the number as E.164, and all its cells."""

    number: int
    phone: str
    cells: list[str]


@dataclass
class NumberList:
    lines: list[Line] = field(default_factory=list)
    #: Lines whose number came earlier in the same list.
    duplicates: int = 0
    #: ``{"line": n, "text": …, "reason": …}`` for every line that is not a number.
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def phones(self) -> list[str]:
        return [line.phone for line in self.lines]


def read_numbers(text: str, country: str, *, max_lines: int | None = None) -> NumberList:
    """The numbers of ``text`` (one per line, or a CSV whose first column is the number).

    National numbers are read in ``country``. More than ``max_lines`` lines
    raise :class:`ValueError` (a list is refused whole, never cut short).
    """
    result = NumberList()
    seen: set[str] = set()
    rows = list(csv.reader(io.StringIO(text)))
    if max_lines is not None and len(rows) > max_lines:
        raise ValueError(f"the list has {len(rows)} lines; at most {max_lines} are read at once")
    for number, cells in enumerate(rows, start=1):
        raw = (cells[0] if cells else "").strip().lstrip("'")
        if not raw or (number == 1 and not any(c.isdigit() for c in raw)):
            continue
        try:
            phone = normalise(raw, country)
        except InvalidPhoneNumber as exc:
            result.problems.append(
                {"line": number, "text": ",".join(cells)[:200], "reason": exc.message}
            )
            continue
        if phone in seen:
            result.duplicates += 1
            continue
        seen.add(phone)
        result.lines.append(Line(number, phone, cells))
    return result
