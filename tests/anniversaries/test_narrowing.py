"""A daily send's date condition on top of the audience's filters (what goes to Saleor)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from saleor_sms_app.anniversaries import store
from saleor_sms_app.anniversaries.dates import Source, Unit
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
