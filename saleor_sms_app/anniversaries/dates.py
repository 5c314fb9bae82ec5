"""The calendar of daily sends: which day is an occurrence, in the shop's time zone.

Pure functions, no database and no clock (the day and the time are passed in),
so every edge case is a plain test:

- a birthday written ``YYYY-MM-DD`` or ``MM-DD`` falls on that month and day
  every year; **29 February is celebrated on 28 February in a year that has
  no 29 February** (the customer still gets it in their birthday month, and
  never twice: in a leap year 28 February is nobody's 29 February);
- "N months after" a day that month has not (31 January + 1 month) is the last
  day of the shorter month (28 or 29 February), and "N years after" 29 February
  is 28 February, the same rule as birthdays;
- a **yearly** anniversary of a date (joined, last order, a date key) falls on
  that date's month and day every year, 29 February → 28 February as birthdays,
  and is its ``years``-th (the template says "your 3rd year");
- **days before**: a birthday or yearly anniversary may be texted up to
  :data:`MAX_DAYS_BEFORE` days ahead; the send day is a calendar day of the
  shop, so the occurrence is that day plus the days (across month and year
  ends; a DST day is a day like any other, only its hour moves in UTC);
- a value that is not such a date is :data:`BAD`, never an exception: the
  customer is left out with that reason.
"""

from __future__ import annotations

import calendar
import enum
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Unit(enum.StrEnum):
    DAYS = "days"
    MONTHS = "months"
    YEARS = "years"


class Repeat(enum.StrEnum):
    """How often a date counted from brings a text."""

    #: "N days, months or years after", one text (what every daily send did before 0013).
    ONCE = "once"
    #: Every year on the date's month and day (birthdays always are).
    YEARLY = "yearly"


#: The most days a birthday or yearly anniversary may be texted ahead.
MAX_DAYS_BEFORE = 30


class Source(enum.StrEnum):
    """Which date of the customer a daily send counts from."""

    #: A birthday in a metadata key (``YYYY-MM-DD`` or ``MM-DD``): every year on that day.
    BIRTHDAY = "birthday"
    #: When they joined (Saleor's ``dateJoined``).
    JOINED = "joined"
    #: Their newest order.
    LAST_ORDER = "last_order"
    #: A date of the merchant's in a metadata key (``YYYY-MM-DD``, a time may follow).
    METADATA_DATE = "metadata_date"


class Bad:
    """A date that could not be read (the customer is left out, with that reason)."""

    def __repr__(self) -> str:
        return "BAD"


BAD = Bad()


def add(day: date, amount: int, unit: Unit) -> date:
    """``day`` plus ``amount`` days, months or years; a day the target month lacks is its last."""
    if unit is Unit.DAYS:
        return day + timedelta(days=amount)
    months = amount if unit is Unit.MONTHS else 12 * amount
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def birthday_in(year: int, month: int, day: int) -> date:
    """The day a birthday on ``month``/``day`` is celebrated in ``year`` (29 Feb → 28 Feb)."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def parse_birthday(value: str | None) -> tuple[int, int] | Bad | None:
    """(month, day) of ``YYYY-MM-DD`` or ``MM-DD``; None when empty; :data:`BAD` otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    parts = text.split("-")
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            found = date.fromisoformat(text[:10]) if len(text) == 10 else None
            if found is None:
                return BAD
            return found.month, found.day
        if len(parts) == 2 and all(len(p) == 2 and p.isdigit() for p in parts):
            month, day = int(parts[0]), int(parts[1])
            date(2024, month, day)  # a leap year: 02-29 is a real birthday
            return month, day
    except ValueError:
        return BAD
    return BAD


def parse_day(value: str | None, zone: ZoneInfo) -> date | Bad | None:
    """A date (``YYYY-MM-DD``) or a date and time (read in the shop's zone when it has an
    offset); None when empty; :data:`BAD` otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return BAD
    return when.astimezone(zone).date() if when.tzinfo else when.date()


def is_birthday(birthday: tuple[int, int], day: date) -> bool:
    return birthday_in(day.year, *birthday) == day


def is_birthday_ahead(birthday: tuple[int, int], day: date, days_before: int) -> bool:
    """Whether ``day`` is ``days_before`` days before a celebration of ``birthday``."""
    return is_birthday(birthday, day + timedelta(days=days_before))


def whole_years(anchor: date, on: date) -> int:
    """Completed years from ``anchor`` to ``on`` (a 29 February anchor completes a year on
    28 February of other years): an age, or which anniversary ``on`` is."""
    years = on.year - anchor.year
    return years if birthday_in(on.year, anchor.month, anchor.day) <= on else years - 1


def yearly_occurrence(anchor: date, day: date, days_before: int) -> int | None:
    """Which anniversary of ``anchor`` falls ``days_before`` days after ``day`` (1 for the
    first year), or None when none does (or it would be the anchor's own day)."""
    target = day + timedelta(days=days_before)
    if birthday_in(target.year, anchor.month, anchor.day) != target:
        return None
    years = target.year - anchor.year
    return years if years >= 1 else None


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st: the ``years_ordinal`` of a template."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def is_occurrence(anchor: date, day: date, amount: int, unit: Unit) -> bool:
    """Whether ``day`` is ``amount`` ``unit`` after ``anchor``."""
    return add(anchor, amount, unit) == day


def anchors(day: date, amount: int, unit: Unit) -> tuple[date, date]:
    """The first and last anchor day whose occurrence is ``day`` (a range, because 28, 29,
    30 and 31 January + 1 month are all 28 February), for narrowing Saleor's pages."""
    if unit is Unit.DAYS:
        start = day - timedelta(days=amount)
        return start, start
    months = amount if unit is Unit.MONTHS else 12 * amount
    guess = add(day, -months, Unit.MONTHS)
    found = [
        guess + timedelta(days=d)
        for d in range(-3, 4)
        if add(guess + timedelta(days=d), amount, unit) == day
    ]
    return (min(found), max(found)) if found else (guess, guess)


def yearly_latest_anchor(day: date, days_before: int, from_year: int) -> date:
    """The last anchor day that can have its ``from_year``-th or later anniversary
    ``days_before`` days after ``day`` (Saleor's filter: anchored on or before it)."""
    target = day + timedelta(days=days_before)
    return date(target.year - from_year, 12, 31)


def shop_day(now: datetime, zone: ZoneInfo) -> date:
    """Today in the shop's time zone."""
    return now.astimezone(zone).date()


def due_at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """When ``hour`` o'clock of ``day`` in the shop's zone is, in UTC.

    On the day clocks go forward an hour that does not exist (02:00 in Europe)
    is read with the offset before the change, so it comes out as the first
    hour that does (03:00); on the day they go back, the first of the two
    02:00s. Either way each day has exactly one due time. (In UTC: a time in
    the gap compares unequal to every other time, PEP 495.)
    """
    return datetime.combine(day, time(hour), zone).astimezone(UTC)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone)
