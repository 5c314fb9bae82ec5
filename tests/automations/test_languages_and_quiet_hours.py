"""Texts per language, and the quiet-hours window in the recipient's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from saleor_sms_app.automations.quiet_hours import (
    QUIET_HOURS,
    past_send_window,
    quiet_until,
    recipient_zone,
)
from saleor_sms_app.automations.rules import is_marketing, template_for
from saleor_sms_app.config.model import QuietHours, Rule, ShopSettings
from saleor_sms_app.scheduler.tables import ScheduledRun


def rule(**fields: object) -> Rule:
    return Rule.model_validate({"name": "r", "event": "ORDER_CREATED", "template": "Hi", **fields})


def test_the_orders_language_picks_its_text_else_the_default() -> None:
    r = rule(templates={"de": "Hallo", "PT-BR": "Olá (BR)", "PT": "Olá", "FR": "  "})
    assert r.templates == {"DE": "Hallo", "PT_BR": "Olá (BR)", "PT": "Olá"}  # blank dropped
    assert template_for(r, "DE_CH") == ("Hallo", "DE")
    assert template_for(r, "PT_BR") == ("Olá (BR)", "PT_BR")
    assert template_for(r, "PT_PT") == ("Olá", "PT")
    assert template_for(r, "FR") == ("Hi", None)
    assert template_for(r, None) == ("Hi", None)


def test_a_bad_language_code_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        rule(templates={"Deutsch!": "Hallo"})
    (error,) = info.value.errors()
    assert error["loc"] == ("templates",) and "not a language code" in error["msg"]


def test_instant_order_rules_are_transactional_by_default_and_others_are_not() -> None:
    assert rule().transactional is True
    assert rule(delay_minutes=60).transactional is False
    assert rule(marketing=True).transactional is False
    assert is_marketing(rule(delay_minutes=60)) and not is_marketing(rule())
    # A delayed rule the merchant ticked "send at any hour" for is not marketing.
    assert not is_marketing(rule(delay_minutes=60, transactional=True))
    with pytest.raises(ValidationError) as info:
        rule(marketing=True, transactional=True)
    assert info.value.errors()[0]["loc"] == ("transactional",)


SETTINGS = ShopSettings(shop_time_zone="Asia/Tokyo")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("phone", "now", "until"),
    [
        # Poland (one zone; CET in winter = UTC+1): 21:30 local → 08:00 local next day.
        ("+48601234567", "2031-01-10 20:30", "2031-01-11 07:00"),
        # 07:59 local: still quiet, ends at 08:00 the same day.
        ("+48601234567", "2031-01-11 06:59", "2031-01-11 07:00"),
        # 08:00 and 20:59 local: may be texted.
        ("+48601234567", "2031-01-11 07:00", None),
        ("+48601234567", "2031-01-11 19:59", None),
        # Summer (CEST, UTC+2): the window follows the local clock.
        ("+48601234567", "2031-07-10 19:30", "2031-07-11 06:00"),
        # +1 202 is Washington (America/New_York): 22:00 UTC is 17:00 there.
        ("+12025550123", "2031-01-10 22:00", None),
        ("+12025550123", "2031-01-11 03:00", "2031-01-11 13:00"),
        # A Russian mobile spans many zones: the shop's (Tokyo, UTC+9) decides.
        ("+79161234567", "2031-01-10 12:30", "2031-01-10 23:00"),
        ("+79161234567", "2031-01-10 05:00", None),
    ],
)
def test_quiet_hours_hold_in_the_recipients_local_time(
    phone: str, now: str, until: str | None
) -> None:
    assert quiet_until(phone, SETTINGS, at(now)) == (at(until) if until else None)


def test_the_zone_comes_from_the_number_else_the_shop() -> None:
    assert str(recipient_zone("+48601234567", "UTC")) == "Europe/Warsaw"
    assert str(recipient_zone("+61412345678", "Australia/Perth")) == "Australia/Perth"


def test_a_window_inside_one_day_and_a_window_switched_off() -> None:
    lunch = SETTINGS.model_copy(
        update={"quiet_hours": QuietHours(start="13:00", end="14:30"), "shop_time_zone": "UTC"}
    )
    assert quiet_until("+447700900123", lunch, at("2031-01-10 13:10")) == at("2031-01-10 14:30")
    assert quiet_until("+447700900123", lunch, at("2031-01-10 14:30")) is None
    off = SETTINGS.model_copy(update={"quiet_hours": QuietHours(enabled=False)})
    assert quiet_until("+48601234567", off, at("2031-01-10 23:00")) is None


@pytest.mark.parametrize(
    ("fields", "loc", "words"),
    [
        ({"quiet_hours": {"start": "9pm"}}, ("quiet_hours", "start"), "time of day"),
        ({"quiet_hours": {"start": "08:00"}}, ("quiet_hours", "end"), "must differ"),
        ({"shop_time_zone": "Mars/Olympus"}, ("shop_time_zone",), "time zone such as"),
        ({"marketing_cap_per_day": 0}, ("marketing_cap_per_day",), "greater than or equal to 1"),
    ],
)
def test_bad_settings_name_their_field(
    fields: dict[str, object], loc: tuple[str, ...], words: str
) -> None:
    with pytest.raises(ValidationError) as info:
        ShopSettings.model_validate(fields)
    (error,) = info.value.errors()
    assert error["loc"] == loc and words in error["msg"]


def test_the_send_window_counts_from_the_due_time_or_from_the_end_of_quiet_hours() -> None:
    """Delayed rules and checkout reminders share one rule: found late because
    the app was down, a run expires at ``send_before``; moved on by quiet hours,
    its window starts again at its new due time."""
    first_due = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    hour = timedelta(hours=1)
    late = ScheduledRun(due_at=first_due, send_before=first_due + hour, reason_code=None)
    assert not past_send_window(late, hour, first_due + hour)
    assert past_send_window(late, hour, first_due + hour + timedelta(seconds=1))

    morning = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    moved = ScheduledRun(due_at=morning, send_before=first_due + hour, reason_code=QUIET_HOURS)
    assert not past_send_window(moved, hour, morning + timedelta(minutes=30))
    assert past_send_window(moved, hour, morning + hour + timedelta(seconds=1))

    unlimited = ScheduledRun(due_at=first_due, send_before=None, reason_code=None)
    assert not past_send_window(unlimited, None, first_due + timedelta(days=80))
    assert rule(send_no_later_than_minutes=90).send_window == timedelta(minutes=90)
    assert rule().send_window is None
