"""The calendar of daily sends: 29 February, month ends, bad values, the shop's DST days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from saleor_sms_app.anniversaries import dates
from saleor_sms_app.anniversaries.dates import BAD, Unit

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1990-05-04", (5, 4)),
        ("05-04", (5, 4)),
        (" 02-29 ", (2, 29)),
        ("1992-02-29", (2, 29)),
        ("", None),
        (None, None),
    ],
)
def test_birthdays_are_read_with_or_without_a_year(
    value: str | None, expected: tuple[int, int] | None
) -> None:
    assert dates.parse_birthday(value) == expected


@pytest.mark.parametrize(
    "value", ["1990-02-30", "13-01", "02-30", "31-02", "5-4", "May 4", "1990-05-04T10:00", "x"]
)
def test_a_birthday_that_is_not_a_date_is_bad_not_an_error(value: str) -> None:
    assert dates.parse_birthday(value) is BAD


def test_29_february_is_celebrated_on_28_february_in_other_years_and_only_once() -> None:
    leapling = (2, 29)
    assert dates.is_birthday(leapling, date(2027, 2, 28))
    assert not dates.is_birthday(leapling, date(2027, 3, 1))
    assert dates.is_birthday(leapling, date(2028, 2, 29))
    assert not dates.is_birthday(leapling, date(2028, 2, 28))  # a leap year has its own day
    assert dates.is_birthday((2, 28), date(2028, 2, 28))


def test_months_after_31_january_end_on_the_last_day_of_february() -> None:
    assert dates.add(date(2027, 1, 31), 1, Unit.MONTHS) == date(2027, 2, 28)
    assert dates.add(date(2028, 1, 31), 1, Unit.MONTHS) == date(2028, 2, 29)
    assert dates.add(date(2027, 1, 31), 3, Unit.MONTHS) == date(2027, 4, 30)
    assert dates.add(date(2027, 11, 15), 3, Unit.MONTHS) == date(2028, 2, 15)
    assert dates.add(date(2028, 2, 29), 1, Unit.YEARS) == date(2029, 2, 28)
    assert dates.add(date(2027, 2, 28), 10, Unit.DAYS) == date(2027, 3, 10)
    # Every anchor whose occurrence is 28 February, for Saleor's date filter:
    assert dates.anchors(date(2027, 2, 28), 1, Unit.MONTHS) == (
        date(2027, 1, 28),
        date(2027, 1, 31),
    )
    assert dates.anchors(date(2027, 2, 27), 1, Unit.MONTHS) == (
        date(2027, 1, 27),
        date(2027, 1, 27),
    )
    assert dates.anchors(date(2029, 2, 28), 1, Unit.YEARS) == (date(2028, 2, 28), date(2028, 2, 29))
    assert dates.anchors(date(2027, 3, 10), 30, Unit.DAYS) == (date(2027, 2, 8), date(2027, 2, 8))


def test_dates_and_times_of_the_merchants_key() -> None:
    assert dates.parse_day("2026-11-02", WARSAW) == date(2026, 11, 2)
    # 23:30 UTC is already the next day in Warsaw.
    assert dates.parse_day("2026-11-02T23:30:00+00:00", WARSAW) == date(2026, 11, 3)
    assert dates.parse_day("2026-13-02", WARSAW) is BAD
    assert dates.parse_day("soon", WARSAW) is BAD
    assert dates.parse_day("", WARSAW) is None


def test_the_hour_on_the_shops_dst_days() -> None:
    # An ordinary winter and summer day.
    assert dates.due_at(date(2026, 3, 28), 9, WARSAW) == datetime(2026, 3, 28, 8, tzinfo=UTC)
    assert dates.due_at(date(2026, 3, 29), 9, WARSAW) == datetime(2026, 3, 29, 7, tzinfo=UTC)
    # 02:00 does not exist on 29 March 2026 in Warsaw: it comes out as 03:00 CEST.
    spring = dates.due_at(date(2026, 3, 29), 2, WARSAW)
    assert spring == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert spring.astimezone(WARSAW).hour == 3
    # 02:00 happens twice on 25 October 2026: the first one.
    autumn = dates.due_at(date(2026, 10, 25), 2, WARSAW)
    assert autumn == datetime(2026, 10, 25, 0, tzinfo=UTC)
    # The day of a time is the shop's: 23:30 UTC on 31 Dec is 1 Jan in Warsaw.
    assert dates.shop_day(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), WARSAW) == date(2027, 1, 1)


def test_a_birthday_days_before_crosses_month_and_year_ends_and_29_february() -> None:
    # 3 days before 2 March is 27 February (2027) or 28 February (2028, a leap year).
    assert dates.is_birthday_ahead((3, 2), date(2027, 2, 27), 3)
    assert dates.is_birthday_ahead((3, 2), date(2028, 2, 28), 3)
    assert not dates.is_birthday_ahead((3, 2), date(2028, 2, 27), 3)
    # A New Year's birthday 5 days before is 27 December of the year before.
    assert dates.is_birthday_ahead((1, 1), date(2026, 12, 27), 5)
    assert not dates.is_birthday_ahead((1, 1), date(2027, 12, 27), 4)
    # 29 February, a day before: 27 February in other years (its day is the 28th), 28th in 2028.
    assert dates.is_birthday_ahead((2, 29), date(2027, 2, 27), 1)
    assert not dates.is_birthday_ahead((2, 29), date(2027, 2, 28), 1)
    assert dates.is_birthday_ahead((2, 29), date(2028, 2, 28), 1)
    # 0 days before is the day itself.
    assert dates.is_birthday_ahead((5, 4), date(2027, 5, 4), 0)


def test_days_before_over_the_shops_dst_days_is_whole_calendar_days() -> None:
    # 31 March, 3 days before: 28 March, the day before the clocks go forward (2026-03-29);
    # its 09:00 is 08:00 UTC, and the next day's 09:00 only 23 hours later.
    assert dates.is_birthday_ahead((3, 31), date(2026, 3, 28), 3)
    assert dates.due_at(date(2026, 3, 28), 9, WARSAW) == datetime(2026, 3, 28, 8, tzinfo=UTC)
    assert dates.is_birthday_ahead((4, 1), date(2026, 3, 29), 3)
    assert dates.due_at(date(2026, 3, 29), 9, WARSAW) == datetime(2026, 3, 29, 7, tzinfo=UTC)
    # 27 October, 2 days before: 25 October, the 25-hour day (clocks go back).
    assert dates.is_birthday_ahead((10, 27), date(2026, 10, 25), 2)
    assert dates.due_at(date(2026, 10, 25), 9, WARSAW) == datetime(2026, 10, 25, 8, tzinfo=UTC)


def test_yearly_anniversaries_say_which_year_and_29_february_is_28_february() -> None:
    joined = date(2024, 6, 15)
    assert dates.yearly_occurrence(joined, date(2025, 6, 15), 0) == 1
    assert dates.yearly_occurrence(joined, date(2027, 6, 15), 0) == 3
    assert dates.yearly_occurrence(joined, date(2027, 6, 12), 3) == 3  # 3 days before
    assert dates.yearly_occurrence(joined, date(2027, 6, 14), 0) is None
    assert dates.yearly_occurrence(joined, date(2024, 6, 15), 0) is None  # the day itself
    leap = date(2024, 2, 29)
    assert dates.yearly_occurrence(leap, date(2025, 2, 28), 0) == 1
    assert dates.yearly_occurrence(leap, date(2025, 3, 1), 0) is None
    assert dates.yearly_occurrence(leap, date(2028, 2, 29), 0) == 4
    assert dates.yearly_occurrence(leap, date(2028, 2, 28), 0) is None
    # Across the year end: 2 January anniversaries 5 days before are in December.
    assert dates.yearly_occurrence(date(2025, 1, 2), date(2026, 12, 28), 5) == 2
    # Saleor's filter: anchored on or before the last day of the year from_year before.
    assert dates.yearly_latest_anchor(date(2026, 12, 28), 5, 1) == date(2026, 12, 31)
    assert dates.yearly_latest_anchor(date(2026, 12, 20), 5, 2) == date(2024, 12, 31)


def test_whole_years_and_ordinals() -> None:
    assert dates.whole_years(date(1990, 5, 4), date(2027, 5, 4)) == 37
    assert dates.whole_years(date(1990, 5, 4), date(2027, 5, 3)) == 36
    assert dates.whole_years(date(1992, 2, 29), date(2027, 2, 28)) == 35
    assert dates.whole_years(date(1992, 2, 29), date(2027, 2, 27)) == 34
    assert [dates.ordinal(n) for n in (0, 1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "0th", "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"
    ]  # fmt: skip
