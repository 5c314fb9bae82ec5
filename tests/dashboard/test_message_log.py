"""The message log API: filters, sorting, paging, CSV export and the per-day chart."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from saleor_sms_app.models import Message
from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers, add_tenant

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def seed(services: Services, tenant_id: int, **overrides: Any) -> int:
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "dedupe_key": f"k{overrides.get('order_number', '')}{overrides.get('phone', '')}"
        f"{overrides.get('created_at', NOW).isoformat()}{overrides.get('status', '')}",
        "created_at": NOW,
        "event": "ORDER_CREATED",
        "order_id": "T3JkZXI6MQ==",
        "order_number": "1042",
        "recipient_type": "customer",
        "phone": "+48123456789",
        "body": "Order 1042 is confirmed",
        "segments": 1,
        "encoding": "GSM-7",
        "provider": "sandbox",
        "provider_id": "p1",
        "status": "sent",
    }
    values.update(overrides)
    with services.sessions.begin() as session:
        message = Message(**values)
        session.add(message)
        session.flush()
        return message.id


@pytest.fixture
def log(services: Services, tenant_id: int) -> dict[str, int]:
    ids = {
        "a": seed(
            services,
            tenant_id,
            created_at=NOW - timedelta(days=2),
            order_number="1001",
            phone="+48500100200",
            status="delivered",
            price=Decimal("0.04"),
            currency="EUR",
        ),
        "b": seed(
            services,
            tenant_id,
            created_at=NOW - timedelta(days=1),
            order_number="1002",
            event="ORDER_FULFILLED",
            phone="+15551234567",
            status="failed",
            provider="twilio",
            error_code="invalid_number",
            error_hint="Check the number",
        ),
        "c": seed(
            services,
            tenant_id,
            created_at=NOW,
            order_number="1003",
            phone="+48500999888",
            status="sent",
            price=Decimal("0.05"),
            currency="EUR",
            body='=HYPERLINK("http://evil")',
        ),
        "d": seed(
            services,
            tenant_id,
            created_at=NOW,
            order_number="1004",
            phone="+48500999111",
            status="delivered",
            price=Decimal("0.05"),
            currency="EUR",
            body="@SUM(A1)",
        ),
    }
    other = add_tenant(services, api_url="http://127.0.0.1:9/graphql/", jwks=public_jwks_any())
    seed(services, other, order_number="1001", phone="+48500100200", status="delivered")
    return ids


def public_jwks_any() -> dict[str, Any]:
    return {"keys": []}


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [row["id"] for row in response.get_json()["rows"]]


def test_newest_first_and_other_tenants_invisible(
    client: FlaskClient, auth: Headers, log: dict[str, int]
) -> None:
    response = client.get("/api/dashboard/messages", headers=auth())
    assert _ids(response) == [log["d"], log["c"], log["b"], log["a"]]
    body = response.get_json()
    assert body["total"] == 4
    first = body["rows"][0]
    assert first["phone"] == "+48*****9111"
    assert "+48500999111" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("status=delivered", ["d", "a"]),
        ("status=failed,sent", ["c", "b"]),
        ("event=ORDER_FULFILLED", ["b"]),
        ("provider=twilio", ["b"]),
        ("from=2026-11-19&to=2026-11-19", ["b"]),
        ("from=2026-11-20", ["d", "c"]),
        ("q=%231002", ["b"]),
        ("q=1003", ["c"]),
        ("q=555 123", ["b"]),
        ("q=500-999", ["d", "c"]),
        ("sort=order_number", ["a", "b", "c", "d"]),
        ("sort=-phone", ["c", "d", "a", "b"]),
        ("sort=status&status=delivered,failed", ["a", "d", "b"]),
    ],
)
def test_filters_and_sorting(
    client: FlaskClient, auth: Headers, log: dict[str, int], args: str, expected: list[str]
) -> None:
    response = client.get(f"/api/dashboard/messages?{args}", headers=auth())
    assert _ids(response) == [log[k] for k in expected]


def test_pagination_is_server_side(client: FlaskClient, auth: Headers, log: dict[str, int]) -> None:
    first = client.get("/api/dashboard/messages?per_page=3&sort=order_number", headers=auth())
    second = client.get(
        "/api/dashboard/messages?per_page=3&page=2&sort=order_number", headers=auth()
    )
    assert _ids(first) == [log["a"], log["b"], log["c"]]
    assert _ids(second) == [log["d"]]
    assert second.get_json()["pages"] == 2


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ("from=yesterday", "from"),
        ("from=2026-11-20&to=2026-11-01", "to"),
        ("status=lost", "status"),
        ("sort=password", "sort"),
        ("page=0", "page"),
        ("per_page=100000", "per_page"),
    ],
)
def test_bad_filters_name_the_field(
    client: FlaskClient, auth: Headers, log: dict[str, int], args: str, field: str
) -> None:
    response = client.get(f"/api/dashboard/messages?{args}", headers=auth())
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_filter"
    assert field in error["details"]


@pytest.mark.parametrize(
    ("args", "name"),
    [("event=%00", "event"), ("q=07%0012", "q"), ("status=sent&x%00=1", "x\\x00")],
)
def test_a_nul_character_in_the_query_is_refused_by_name(
    client: FlaskClient, auth: Headers, log: dict[str, int], args: str, name: str
) -> None:
    """PostgreSQL refuses NUL inside a query: a 500 the fuzz suite found, now a 400."""
    response = client.get(f"/api/dashboard/messages?{args}", headers=auth())
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid_query"
    assert list(error["details"]) == [name]


def test_csv_export_streams_filtered_rows_neutralised(
    client: FlaskClient, auth: Headers, log: dict[str, int]
) -> None:
    response = client.get("/api/dashboard/messages/export.csv?from=2026-11-20", headers=auth())
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["order_number"] for r in rows] == ["1004", "1003"]
    assert rows[0]["body"] == "'@SUM(A1)"
    assert rows[1]["body"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["phone"] == "'+48*****9111"  # a leading + is a formula too
    assert rows[0]["price"] == "0.05"


def test_daily_counts_by_status_with_cost(
    client: FlaskClient, auth: Headers, log: dict[str, int]
) -> None:
    response = client.get(
        "/api/dashboard/messages/stats?from=2026-11-17&to=2026-11-20", headers=auth()
    )
    assert response.status_code == 200
    days = {(d["day"], d["status"]): d for d in response.get_json()["days"]}
    assert days[("2026-11-18", "delivered")]["count"] == 1
    assert days[("2026-11-18", "delivered")]["cost"] == {"EUR": "0.04"}
    assert days[("2026-11-19", "failed")] == {
        "day": "2026-11-19",
        "status": "failed",
        "count": 1,
        "cost": {},
    }
    assert days[("2026-11-20", "sent")]["count"] == 1
    assert days[("2026-11-20", "delivered")]["count"] == 1
    assert len(days) == 4
