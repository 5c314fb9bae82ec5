"""The Campaigns screen's daily sends through Flask: preview today's, create once, edit, 400s.

Customers live in the loopback Saleor (real HTTP, real schema); daily sends and
their runs in the real database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saleor_sms_app.anniversaries.tables import DailySend
from saleor_sms_app.db import session_scope
from saleor_sms_app.models import Message
from saleor_sms_app.scheduler.clock import ManualClock, as_utc
from saleor_sms_app.scheduler.tables import ScheduledRun
from saleor_sms_app.services import Services
from saleor_sms_app.web.dashboard_api import configuration as configuration_api
from saleor_sms_app.web.dashboard_api import daily_sends as daily_sends_api
from tests.dashboard.conftest import Headers
from tests.dashboard.test_campaigns_api import warsaw
from tests.standin.customers import make_customer
from tests.standin.saleor import SaleorStandin, address, global_id

__all__ = ["warsaw"]

API = "/api/dashboard/daily-sends"
CONSENT = {"sms_marketing_consent": "true"}


def today() -> str:
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/Warsaw")).strftime("%m-%d")


@pytest.fixture
def birthdays(saleor: SaleorStandin) -> None:
    for n in range(12):
        saleor.customers.add(
            make_customer(
                n + 1,
                first_name=f"Jan{n}",
                shipping=address(phone=f"+4860170{n:04d}", country_code="PL"),
                metadata={**CONSENT, "birthday": f"1990-{today()}" if n % 2 else today()},
            )
        )
    other_day = "02-27" if today() != "02-27" else "02-26"
    saleor.customers.add(make_customer(50, metadata={**CONSENT, "birthday": other_day}))
    saleor.customers.add(
        make_customer(
            51,
            shipping=address(phone="+48601709999", country_code="PL"),
            metadata={"birthday": today()},  # no consent
        )
    )
    saleor.customers.add(make_customer(52, metadata={**CONSENT, "birthday": "not a date"}))
    saleor.customers.add(make_customer(53, metadata=CONSENT))  # no birthday


def logged(tenant_id: int, send_id: int, day: str, customer_id: str, phone: str) -> Message:
    """A text as a daily send's run logs it: its rule and the occurrence key of the day."""
    return Message(
        tenant_id=tenant_id,
        dedupe_key=f"daily:{send_id}:{day}:{customer_id}",
        event="DAILY_SEND",
        rule_id=f"daily:{send_id}",
        recipient_type="customer",
        status="sent",
        phone=phone,
        body="Happy birthday",
        marketing=True,
    )


def body(**changes: Any) -> dict[str, Any]:
    return {
        "idempotency_key": "save-0001-abcdef",
        "name": "Birthday",
        "hour": 9,
        "source": "birthday",
        "date_key": "birthday",
        "template": "Happy birthday {{ customer.first_name }}!",
        "audience": {"country": "PL"},
        **changes,
    }


def test_the_preview_counts_todays_birthdays_and_who_is_left_out_and_why(
    client: Any, auth: Headers, birthdays: None, warsaw: None
) -> None:
    answer = client.post(f"{API}/preview", json=body(audience={}), headers=auth())
    assert answer.status_code == 200, answer.data
    found = answer.get_json()
    assert found["would_get"] == 12 and len(found["examples"]) == 10
    assert {r["reason"]: r["count"] for r in found["left_out"]} == {
        "no_consent": 1,
        "bad_date": 1,
    }
    assert (
        found["day"] == datetime.now(UTC).astimezone(ZoneInfo("Europe/Warsaw")).date().isoformat()
    )


def test_a_double_click_on_save_makes_one_daily_send_with_one_pending_run(
    client: Any, auth: Headers, services: Services, warsaw: None
) -> None:
    first = client.post(API, json=body(), headers=auth())
    second = client.post(API, json=body(), headers=auth())
    assert first.status_code == 201, first.data
    assert second.status_code == 200
    assert first.get_json()["daily_send"]["id"] == second.get_json()["daily_send"]["id"]
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DailySend)) == 1
        assert session.scalar(select(func.count()).select_from(ScheduledRun)) == 1
    listed = client.get(API, headers=auth()).get_json()["daily_sends"]
    assert [s["name"] for s in listed] == ["Birthday"] and listed[0]["next_run_at"]

    send_id = listed[0]["id"]
    saved = client.put(f"{API}/{send_id}", json={**listed[0], "enabled": False}, headers=auth())
    assert saved.status_code == 200, saved.data
    assert saved.get_json()["daily_send"]["enabled"] is False
    assert saved.get_json()["daily_send"]["next_run_at"] is None
    assert client.put(f"{API}/999999", json=listed[0], headers=auth()).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"hour": 24}, "hour"),
        ({"hour": "nine"}, "hour"),
        ({"source": "anniversary"}, "source"),
        ({"date_key": ""}, "date_key"),
        ({"source": "joined", "offset_amount": -1}, "offset_amount"),
        ({"source": "joined", "offset_unit": "weeks"}, "offset_unit"),
        ({"template": "Hi {{ customer.first_name"}, "template"),
        ({"audience": {"joined_from": "yesterday"}}, "audience.joined_from"),
        ({"enabled": "yes"}, "enabled"),
        ({"idempotency_key": "x"}, "idempotency_key"),
        ({"source": "joined", "repeat": "monthly"}, "repeat"),
        ({"repeat": ["yearly"]}, "repeat"),
        ({"days_before": 31}, "days_before"),
        ({"days_before": -1}, "days_before"),
        ({"source": "joined", "repeat": "yearly", "days_before": "soon"}, "days_before"),
        ({"source": "joined", "days_before": 3}, "days_before"),  # "N after, once"
        ({"source": "joined", "repeat": "yearly", "from_year": 0}, "from_year"),
        ({"template": "Your {{ years_ordinal }} {{ yaers }}"}, "template"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_stores_nothing(
    client: Any,
    auth: Headers,
    services: Services,
    warsaw: None,
    changes: dict[str, Any],
    field: str,
) -> None:
    answer = client.post(API, json=body(**changes), headers=auth())
    assert answer.status_code == 400, answer.data
    assert field in answer.get_json()["error"]["details"], answer.get_json()
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DailySend)) == 0
        assert session.scalar(select(func.count()).select_from(ScheduledRun)) == 0


def test_cancelling_a_days_run_on_the_scheduled_screen_skips_that_day_only(
    client: Any, auth: Headers, services: Services, warsaw: None
) -> None:
    created = client.post(API, json=body(), headers=auth()).get_json()["daily_send"]
    with services.sessions() as session:
        run = session.scalars(select(ScheduledRun)).one()
        day = date.fromisoformat(str(run.payload["day"]))
    answer = client.post(f"/api/dashboard/scheduled/{run.id}/cancel", headers=auth())
    assert answer.status_code == 200, answer.data
    with services.sessions() as session:
        found = {r.dedupe_key: r.state for r in session.scalars(select(ScheduledRun))}
    following = (day + timedelta(days=1)).isoformat()
    assert found == {
        f"daily:{created['id']}:{day.isoformat()}": "cancelled",
        f"daily:{created['id']}:{following}": "pending",
    }


def test_delete_closes_the_booked_run_keeps_the_log_and_is_refused_for_a_stranger(
    client: Any, auth: Headers, services: Services, warsaw: None, tenant_id: int
) -> None:
    created = client.post(API, json=body(), headers=auth()).get_json()["daily_send"]
    send_id = created["id"]
    with session_scope(services.sessions) as session:
        session.add(logged(tenant_id, send_id, "2026-11-29", "User:1", "+48601700001"))
    # Read-only staff may list, not delete.
    refused = client.delete(f"{API}/{send_id}", headers=auth(permissions=["MANAGE_ORDERS"]))
    assert refused.status_code == 403, refused.data
    answer = client.delete(f"{API}/{send_id}", headers=auth())
    assert answer.status_code == 200, answer.data
    assert answer.get_json() == {"deleted": send_id}
    assert client.get(API, headers=auth()).get_json()["daily_sends"] == []
    with services.sessions() as session:
        run = session.scalars(select(ScheduledRun)).one()
        assert (run.state, run.reason_code) == ("closed", "daily_send_deleted")
        kept = session.scalars(select(Message.dedupe_key)).all()
        assert kept == [f"daily:{send_id}:2026-11-29:User:1"]
    # Gone: deleting or saving it again is 404, and so is a number that never was.
    assert client.delete(f"{API}/{send_id}", headers=auth()).status_code == 404
    assert client.put(f"{API}/{send_id}", json=created, headers=auth()).status_code == 404
    assert client.delete(f"{API}/999999", headers=auth()).status_code == 404


def test_saving_a_new_shop_time_zone_re_books_the_daily_sends_next_run(
    client: Any,
    auth: Headers,
    services: Services,
    warsaw: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ManualClock(datetime(2027, 3, 1, 6, 0, tzinfo=UTC))  # 07:00 in Warsaw
    monkeypatch.setattr(daily_sends_api, "SYSTEM_CLOCK", clock)
    monkeypatch.setattr(configuration_api, "SYSTEM_CLOCK", clock)
    assert client.post(API, json=body(), headers=auth()).status_code == 201
    with services.sessions() as session:
        run = session.scalars(select(ScheduledRun)).one()
        assert as_utc(run.due_at) == datetime(2027, 3, 1, 8, tzinfo=UTC)  # 09:00 in Warsaw

    config = client.get("/api/dashboard/config", headers=auth()).get_json()["config"]
    config["settings"]["shop_time_zone"] = "America/New_York"
    clock.advance(timedelta(hours=1))
    saved = client.put(
        "/api/dashboard/config",
        json={"config": config, "revision": config["revision"]},
        headers=auth(),
    )
    assert saved.status_code == 200, saved.data
    with services.sessions() as session:
        run = session.scalars(select(ScheduledRun)).one()
        # The same day's run, now at 09:00 in New York (14:00 UTC).
        assert run.payload["day"] == "2027-03-01" and run.state == "pending"
        assert as_utc(run.due_at) == datetime(2027, 3, 1, 14, tzinfo=UTC)
    listed = client.get(API, headers=auth()).get_json()["daily_sends"]
    assert listed[0]["next_run_at"] == "2027-03-01T14:00:00+00:00"


def test_the_preview_shows_the_first_customers_text_with_which_birthday_it_is(
    client: Any, auth: Headers, saleor: SaleorStandin, warsaw: None
) -> None:
    """Walked on the real Dashboard: the editor counted the template as typed (2 segments,
    braces and all) and nobody saw what ``{{ years_ordinal }}`` would say."""
    birthday = datetime.now(UTC).astimezone(ZoneInfo("Europe/Warsaw")).date() + timedelta(days=3)
    saleor.customers.add(
        make_customer(
            1,
            first_name="Ola",
            last_name="Nowak",
            shipping=address(phone="+48601700001", country_code="PL"),
            metadata={**CONSENT, "birthday": f"1990-{birthday:%m-%d}"},
        )
    )
    template = (
        "Hi {{ customer.first_name }}, in {{ days_before }} days you turn {{ years }}:"
        " your {{ years_ordinal }} birthday with {{ shop.name }}!"
    )
    answer = client.post(
        f"{API}/preview",
        json=body(template=template, days_before=3, audience={}),
        headers=auth(),
    )
    assert answer.status_code == 200, answer.data
    found = answer.get_json()
    age = birthday.year - 1990
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(age % 10 if age % 100 not in (11, 12, 13) else 0, "th")
    example = found["example_text"]
    assert example["name"] == "Ola Nowak"
    assert example["text"].startswith(
        f"Hi Ola, in 3 days you turn {age}: your {age}{suffix} birthday with "
    )
    assert example["segments"] == 1

    # Nobody today: no example; a broken template: no example, and no error here.
    nobody = client.post(f"{API}/preview", json=body(days_before=2, audience={}), headers=auth())
    assert nobody.get_json()["example_text"] is None
    broken = body(template="{{ customer.first_name", days_before=3, audience={})
    answer = client.post(f"{API}/preview", json=broken, headers=auth())
    assert answer.status_code == 200 and answer.get_json()["example_text"] is None


def test_the_preview_after_the_days_run_leaves_out_those_already_texted_today(
    client: Any, auth: Headers, services: Services, tenant_id: int, birthdays: None, warsaw: None
) -> None:
    """Walked on the real Dashboard: after the day's run "Preview today" still counted the
    customers texted that morning as getting it, though their occurrence keys are unique."""
    created = client.post(API, json=body(audience={}), headers=auth()).get_json()["daily_send"]
    day = datetime.now(UTC).astimezone(ZoneInfo("Europe/Warsaw")).date().isoformat()
    reached = [global_id("User", n) for n in (1, 2, 3)]
    with session_scope(services.sessions) as session:
        for n, customer_id in enumerate(reached):
            session.add(logged(tenant_id, created["id"], day, customer_id, f"+4860170{n:04d}"))
        # Another day's occurrence reaches nobody today.
        session.add(logged(tenant_id, created["id"], "2001-01-01", global_id("User", 4), ""))

    edited = {**body(audience={}), "id": created["id"]}
    answer = client.post(f"{API}/preview", json=edited, headers=auth())
    assert answer.status_code == 200, answer.data
    found = answer.get_json()
    assert found["already_today"] == 3
    assert found["would_get"] == 9
    left_out = {r["reason"]: r["count"] for r in found["left_out"]}
    assert left_out == {"no_consent": 1, "bad_date": 1, "already_today": 3}
    assert found["example_text"]["name"].split()[0] not in {"Jan0", "Jan1", "Jan2"}

    # A new daily send (no id) has reached nobody yet; a stranger's id is not looked up.
    fresh = client.post(f"{API}/preview", json=body(audience={}), headers=auth()).get_json()
    assert fresh["already_today"] == 0 and fresh["would_get"] == 12
    other = client.post(f"{API}/preview", json={**edited, "id": 999999}, headers=auth())
    assert other.get_json()["already_today"] == 0
