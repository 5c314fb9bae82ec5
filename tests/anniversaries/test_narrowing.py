"""A daily send's date condition on top of the audience's filters (what goes to Saleor)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from saleor_sms_app.anniversaries import store
from saleor_sms_app.anniversaries.dates import Repeat, Source, Unit
from saleor_sms_app.campaigns.audience import MATCHES, Audience
from tests.standin.saleor import metadata_items

WARSAW = ZoneInfo("Europe/Warsaw")


def test_the_joined_range_is_narrowed_to_both_the_audiences_and_the_days() -> None:
    audience = Audience(joined_from=date(2027, 1, 30), metadata_key="vip", metadata_value="1")
    selection = store.Selection(Source.JOINED, "", 1, Unit.MONTHS, audience)
    narrowing = store.narrowing(selection, date(2027, 2, 28), WARSAW)
    where = narrowing.merged(audience.where(WARSAW))
    # Anchors 28–31 January; the audience starts on the 30th: the later start wins.
    assert where["dateJoined"] == {
        "gte": "2027-01-30T00:00:00+01:00",
        "lte": "2027-02-01T00:00:00+01:00",
    }
    assert where["metadata"] == {"key": "vip", "value": {"eq": "1"}}  # the audience's stays


def test_the_birthday_check_answers_matches_not_today_or_bad_date() -> None:
    selection = store.Selection(Source.BIRTHDAY, "birthday")
    check = store.narrowing(selection, date(2027, 2, 28), WARSAW).check

    def customer(value: str | None) -> dict[str, object]:
        return {"metadata": metadata_items({"birthday": value} if value is not None else {})}

    assert check(customer("1992-02-29")) == MATCHES
    assert check(customer("03-01")) is None
    assert check(customer(None)) is None
    assert check(customer("1990-02-31")) == "bad_date"


def test_a_yearly_anniversary_asks_saleor_for_everyone_anchored_early_enough() -> None:
    audience = Audience(joined_from=date(2020, 1, 1))
    selection = store.Selection(
        Source.JOINED, "", 0, Unit.DAYS, audience, Repeat.YEARLY, days_before=5, from_year=2
    )
    years: dict[str, int] = {}
    narrowing = store.narrowing(selection, date(2026, 12, 28), WARSAW, years)
    # Texted 5 days before 2 January 2027, the 2nd year on: joined in 2025 or before.
    assert narrowing.merged(audience.where(WARSAW))["dateJoined"] == {
        "gte": "2020-01-01T00:00:00+01:00",
        "lte": "2026-01-01T00:00:00+01:00",
    }
    joined = {"id": "U1", "dateJoined": "2024-01-02T10:00:00+00:00"}
    assert narrowing.check(joined) == MATCHES and years == {"U1": 3}
    assert narrowing.check({"id": "U2", "dateJoined": "2025-01-02T10:00:00+00:00"}) == MATCHES
    assert narrowing.check({"id": "U3", "dateJoined": "2024-01-03T10:00:00+00:00"}) is None
    assert years == {"U1": 3, "U2": 2}
