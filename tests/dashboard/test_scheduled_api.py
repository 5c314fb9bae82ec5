"""The Scheduled screen's API: list a shop's delayed texts, cancel a pending one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from saleor_sms_app.db import session_scope
from saleor_sms_app.scheduler import runs
from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers, add_tenant

DUE = datetime(2031, 3, 1, 14, 0, tzinfo=UTC)


def add_run(services: Services, tenant_id: int, key: str, hours: int = 0) -> int:
    with session_scope(services.sessions) as session:
        run_id = runs.schedule(
            session,
            tenant_id=tenant_id,
            kind="rule",
            dedupe_key=key,
            due_at=DUE + timedelta(hours=hours),
            now=DUE - timedelta(hours=2),
            rule_id="automation-remind-to-pay",
            rule_name="Automation: remind to pay",
            event="ORDER_CREATED",
            order_id="T3JkZXI6MQ==",
            order_number=key,
        )
    assert run_id is not None
    return run_id


def test_the_list_shows_this_shops_runs_soonest_first(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    later = add_run(services, tenant_id, "1002", hours=5)
    sooner = add_run(services, tenant_id, "1001")
    other_shop = add_tenant(services, api_url="https://other.example.com/graphql/", jwks={})
    add_run(services, other_shop, "9999")

    response = client.get("/api/dashboard/scheduled?state=pending", headers=auth())
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert [r["id"] for r in body["runs"]] == [sooner, later]
    assert body["total"] == 2
    first = body["runs"][0]
    assert (first["rule_name"], first["order_number"], first["state"]) == (
        "Automation: remind to pay",
        "1001",
        "pending",
    )
    assert first["due_at"] == "2031-03-01T14:00:00+00:00"


def test_a_bad_state_filter_names_the_field(client: FlaskClient, auth: Headers) -> None:
    response = client.get("/api/dashboard/scheduled?state=waiting", headers=auth())
    assert response.status_code == 400
    assert "state" in response.get_json()["error"]["details"]


def test_cancel_a_pending_run_once(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    run_id = add_run(services, tenant_id, "1001")
    response = client.post(f"/api/dashboard/scheduled/{run_id}/cancel", headers=auth())
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["run"]["state"] == "cancelled"
    again = client.post(f"/api/dashboard/scheduled/{run_id}/cancel", headers=auth())
    assert again.status_code == 409
    assert again.get_json()["error"]["details"] == {"state": "cancelled"}


def test_cancel_needs_manage_apps_and_this_shops_run(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    run_id = add_run(services, tenant_id, "1001")
    other_shop = add_tenant(services, api_url="https://other.example.com/graphql/", jwks={})
    foreign = add_run(services, other_shop, "9999")
    read_only = client.post(
        f"/api/dashboard/scheduled/{run_id}/cancel", headers=auth(permissions=["MANAGE_ORDERS"])
    )
    assert read_only.status_code == 403
    assert (
        client.post(f"/api/dashboard/scheduled/{foreign}/cancel", headers=auth()).status_code == 404
    )
    assert client.get("/api/dashboard/scheduled", headers={}).status_code == 401
    with services.sessions() as session:
        listed, _ = runs.list_runs(session, other_shop, ["pending"])
    assert [r.id for r in listed] == [foreign]
