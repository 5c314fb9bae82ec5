"""The Campaigns screen's API through Flask: preview, numbers, estimate, send once, stop.

The customers live in the loopback Saleor (real HTTP, real schema); campaigns
and their runs in the real database.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saleor_sms_app.campaigns.tables import Campaign
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.saleor.tenants import get_tenant_by_id
from saleor_sms_app.scheduler.tables import ScheduledRun
from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers
from tests.standin.customers import make_customer
from tests.standin.saleor import SaleorStandin, address

API = "/api/dashboard/campaigns"


@pytest.fixture
def customers(saleor: SaleorStandin) -> None:
    consent = {"sms_marketing_consent": "true"}
    for n in range(12):
        saleor.customers.add(
            make_customer(
                n + 1,
                first_name=f"Jan{n}",
                shipping=address(phone=f"+4860170{n:04d}", country_code="PL"),
                metadata=consent,
            )
        )
    no_phone = address(phone=None, country_code="PL")
    saleor.customers.add(make_customer(100, shipping=no_phone, metadata=consent))
    saleor.customers.add(
        make_customer(101, shipping=address(phone="+48601709999", country_code="PL"))
    )


@pytest.fixture
def warsaw(services: Services, tenant_id: int) -> None:
    """The shop's time zone and country (Settings)."""
    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    store = ConfigStore(services)
    config = store.load(tenant, fresh=True)
    settings = config.settings.model_copy(
        update={"shop_time_zone": "Europe/Warsaw", "default_country": "PL"}
    )
    store.save(
        tenant, config.model_copy(update={"settings": settings}), expected_revision=config.revision
    )


def body(**changes: Any) -> dict[str, Any]:
    return {
        "idempotency_key": "click-0001-abcdef",
        "name": "Black Friday",
        "template": "Hi {{ customer.first_name }}: -30% today only",
        "audience": {"country": "PL"},
        **changes,
    }


def campaigns_stored(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Campaign)) or 0)


def test_the_preview_shows_counts_examples_and_who_is_left_out(
    client: Any, auth: Headers, customers: None, warsaw: None
) -> None:
    answer = client.post(f"{API}/audience", json={"audience": {"country": "PL"}}, headers=auth())
    assert answer.status_code == 200, answer.data
    found = answer.get_json()
    assert found["would_get"] == 12 and found["complete"] is True
    assert len(found["examples"]) == 10 and found["examples"][0]["phone"] == "+48*****0000"
    assert {r["reason"]: r["count"] for r in found["left_out"]} == {
        "no_phone": 1,
        "no_consent": 1,
    }


def test_a_double_click_on_send_makes_one_campaign(
    client: Any, auth: Headers, services: Services, customers: None, warsaw: None
) -> None:
    first = client.post(API, json=body(), headers=auth())
    second = client.post(API, json=body(), headers=auth())
    assert first.status_code == 201, first.data
    assert second.status_code == 200
    assert first.get_json()["campaign"]["id"] == second.get_json()["campaign"]["id"]
    assert campaigns_stored(services) == 1
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ScheduledRun)) == 1
    listed = client.get(API, headers=auth()).get_json()["campaigns"]
    assert [c["name"] for c in listed] == ["Black Friday"]
    assert listed[0]["created_by"] == "owner@example.com"


def test_a_date_is_read_in_the_shops_time_zone(
    client: Any, auth: Headers, services: Services, customers: None, warsaw: None
) -> None:
    local = (datetime.now(ZoneInfo("Europe/Warsaw")) + timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0, tzinfo=None
    )
    answer = client.post(API, json=body(send_at=local.isoformat()), headers=auth())
    assert answer.status_code == 201, answer.data
    send_at = datetime.fromisoformat(answer.get_json()["campaign"]["send_at"])
    assert send_at == local.replace(tzinfo=ZoneInfo("Europe/Warsaw")).astimezone(UTC)
    assert answer.get_json()["campaign"]["state"] == "scheduled"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"send_at": "2020-01-01T09:00"}, "send_at"),
        ({"send_at": "next friday"}, "send_at"),
        ({"template": "{{ order.number }}"}, "template"),
        ({"template": "{% if %}"}, "template"),
        ({"template": ""}, "template"),
        ({"audience": {"country": "DE"}}, "audience"),
        ({"audience": {"joined_from": "soon"}}, "audience.joined_from"),
        ({"name": ""}, "name"),
        ({"idempotency_key": "x"}, "idempotency_key"),
        ({"audience": None, "numbers": "not a number\n\n"}, "numbers"),
    ],
)
def test_refusals_name_the_field_and_store_nothing(
    client: Any,
    auth: Headers,
    services: Services,
    customers: None,
    warsaw: None,
    changes: dict[str, Any],
    field: str,
) -> None:
    answer = client.post(API, json=body(**changes), headers=auth())
    assert answer.status_code == 400, answer.data
    assert field in answer.get_json()["error"]["details"], answer.get_json()
    assert campaigns_stored(services) == 0


def test_numbers_are_checked_deduplicated_and_bad_lines_listed(
    client: Any, auth: Headers, services: Services, warsaw: None
) -> None:
    csv = "phone,name\n+48601000001,Ala\n601 000 002,Ola\nhello,Zed\n+48601000001,again\n\n12\n"
    checked = client.post(
        f"{API}/numbers",
        data={"file": (io.BytesIO(csv.encode()), "list.csv")},
        headers=auth(),
        content_type="multipart/form-data",
    ).get_json()
    assert checked["valid"] == 2 and checked["duplicates"] == 1
    assert [(p["line"], p["text"]) for p in checked["problems"]] == [(4, "hello,Zed"), (7, "12")]
    assert all(p["reason"] for p in checked["problems"])

    refused = client.post(API, json=body(audience=None, numbers=csv), headers=auth())
    assert refused.status_code == 400
    assert [p["line"] for p in refused.get_json()["error"]["details"]["problems"]] == [4, 7]
    sent = client.post(
        API, json=body(audience=None, numbers=csv, accept_bad_lines=True), headers=auth()
    )
    assert sent.status_code == 201, sent.data
    assert sent.get_json()["campaign"]["numbers"] == 2
    assert [p["line"] for p in sent.get_json()["bad_lines"]] == [4, 7]


def test_the_estimate_counts_segments(client: Any, auth: Headers) -> None:
    answer = client.post(
        f"{API}/estimate",
        json={"template": "x" * 150, "recipients": 10},
        headers=auth(),
    )
    found = answer.get_json()
    assert answer.status_code == 200
    # 150 characters and the opt-out line ("Reply STOP to opt out") on its own line: 2 segments.
    assert found["segments"] == 2 and found["encoding"] == "GSM-7"
    assert found["recipients"] == 10 and found["cost"] == []


def test_progress_pause_resume_cancel_and_409(
    client: Any, auth: Headers, customers: None, warsaw: None
) -> None:
    created = client.post(API, json=body(), headers=auth()).get_json()["campaign"]
    path = f"{API}/{created['id']}"
    progress = client.get(path, headers=auth()).get_json()["campaign"]["progress"]
    assert set(progress) >= {
        "queued",
        "sent",
        "delivered",
        "failed",
        "skipped",
        "time_left_seconds",
    }
    assert client.post(f"{path}/resume", headers=auth()).status_code == 409
    assert client.post(f"{path}/pause", headers=auth()).get_json()["campaign"]["state"] == "paused"
    assert client.post(f"{path}/resume", headers=auth()).status_code == 200
    assert client.post(f"{path}/cancel", headers=auth()).get_json()["campaign"]["state"] == (
        "cancelled"
    )
    again = client.post(f"{path}/cancel", headers=auth())
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "campaign_state"
    assert client.get(f"{API}/999999", headers=auth()).status_code == 404
