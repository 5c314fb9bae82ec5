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
