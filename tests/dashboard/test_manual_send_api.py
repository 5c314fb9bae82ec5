"""The "Send SMS" popup's API (``POST /api/dashboard/manual/order``) through Flask.

Orders come from the loopback Saleor (real HTTP, real schema); the message is
logged in the real database, queued on real Redis and sent by a burst worker
through the sandbox provider (its outbox file is what left the app).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from saleor_sms_app.consent.suppressions import suppress
from saleor_sms_app.db import session_scope
from saleor_sms_app.models import Message
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.dashboard.conftest import USER_EMAIL, Headers
from tests.pipeline.support import outbox
from tests.standin.customers import make_customer
from tests.standin.saleor import SaleorStandin, address

API = "/api/dashboard/manual/order"


def order_of(saleor: SaleorStandin, number: int) -> dict[str, Any]:
    return next(o for o in saleor.orders.values() if str(o["number"]) == str(number))


def logged(services: Services) -> list[Message]:
    with services.sessions() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def test_a_text_to_the_orders_customer_is_logged_by_hand_and_sent(
    client: Any, auth: Headers, services: Services, saleor: SaleorStandin, sandbox_shop: None
) -> None:
    order = order_of(saleor, 1041)
    answer = client.post(
        API,
        headers=auth(),
        json={
            "order_id": order["id"],
            "text": "Hi {{ customer.first_name }}, order {{ order.number }} is packed",
            "idempotency_key": "popup-click-0001",
        },
    )
    assert answer.status_code == 200, answer.get_json()
    sent = answer.get_json()
    assert sent["status"] == "queued" and sent["new"] is True
    [row] = logged(services)
    assert row.id == sent["messageId"]
    assert row.event == "MANUAL"
    assert row.rule_name == f"Sent by hand by {USER_EMAIL}"
    assert row.order_id == order["id"] and row.order_number == "1041"
    assert row.phone == "+12025550123"
    assert row.body == "Hi Żaneta, order 1041 is packed"
    assert row.segments == 1 and row.encoding == "UCS-2"

    drain_queue(services)
    [line] = outbox(services)
    assert line["to"] == "+12025550123" and line["body"] == "Hi Żaneta, order 1041 is packed"
    # What the popup shows after sending: the log row's status, through the log's API.
    detail = client.get(f"/api/dashboard/messages/{sent['messageId']}", headers=auth()).get_json()
    assert detail["message"]["status"] == "sent"


def test_a_double_click_sends_one_message(
    client: Any, auth: Headers, services: Services, saleor: SaleorStandin, sandbox_shop: None
) -> None:
    body = {
        "order_id": order_of(saleor, 1042)["id"],
        "text": "Your parcel leaves today",
        "idempotency_key": "popup-click-0002",
    }
    first = client.post(API, headers=auth(), json=body).get_json()
    second = client.post(API, headers=auth(), json=body).get_json()
    assert second["messageId"] == first["messageId"] and second["new"] is False
    drain_queue(services)
    assert len(logged(services)) == 1
    assert len(outbox(services)) == 1
    # Another click of Send in a new popup (a new key) is a new message.
    third = client.post(API, headers=auth(), json={**body, "idempotency_key": "popup-click-0003"})
    assert third.get_json()["messageId"] != first["messageId"]


def test_a_number_on_the_do_not_text_list_is_logged_skipped_not_sent(
    client: Any,
    auth: Headers,
    services: Services,
    saleor: SaleorStandin,
    tenant_id: int,
    sandbox_shop: None,
) -> None:
    with session_scope(services.sessions) as session:
        suppress(session, tenant_id, "+12025550123", reason="replied STOP", source="twilio")
    order_id = order_of(saleor, 1042)["id"]
    body = {"order_id": order_id, "text": "Hello", "idempotency_key": "k-000001"}
    sent = client.post(API, headers=auth(), json=body).get_json()
    assert sent["status"] == "skipped"
    assert sent["errorText"] == "The number is on the do-not-text list"
    drain_queue(services)
    assert outbox(services) == []
    [row] = logged(services)
    assert row.error_code == "opted_out" and row.event == "MANUAL"


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"text": "   "}, 400, "text"),
        ({"text": 5}, 400, "text"),
        ({"text": "{{ order.number "}, 400, "text"),
        ({"text": "{{ no_such_token }}"}, 400, "text"),
        ({"text": "x" * 1531}, 400, "text"),
        ({"idempotency_key": "short"}, 400, "idempotency_key"),
        ({"idempotency_key": None}, 400, "idempotency_key"),
        ({"order_id": ""}, 400, "order_id"),
        ({"order_id": "no-phone"}, 400, "order_id"),
        ({"order_id": "T3JkZXI6OTk5OTk="}, 404, None),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(
    client: Any,
    auth: Headers,
    services: Services,
    saleor: SaleorStandin,
    change: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    if change.get("order_id") == "no-phone":
        change = {"order_id": saleor.make_order(number=1050, phone=None)["id"]}
    body = {"order_id": order_of(saleor, 1042)["id"], "text": "Hi", "idempotency_key": "k-000002"}
    answer = client.post(API, headers=auth(), json={**body, **change})
    assert answer.status_code == status, answer.get_json()
    error = answer.get_json()["error"]
    if field is not None:
        assert field in error["details"], error
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert services.queue.count == 0


def test_staff_without_manage_orders_cannot_send(
    client: Any, auth: Headers, services: Services, saleor: SaleorStandin
) -> None:
    body = {"order_id": order_of(saleor, 1042)["id"], "text": "Hi", "idempotency_key": "k-000003"}
    answer = client.post(API, headers=auth(permissions=["MANAGE_USERS"]), json=body)
    assert answer.status_code == 403
    assert answer.get_json()["error"]["details"] == {"required": "MANAGE_ORDERS"}
    assert logged(services) == []


# ---------------------------------------------------------------- the customer page

CUSTOMER_API = "/api/dashboard/manual/customer"


@pytest.fixture
def customer(saleor: SaleorStandin) -> dict[str, Any]:
    """A customer with a Polish number and no marketing consent (not needed by hand)."""
    phone = address(phone="+48601200300", country_code="PL")
    saleor.customers.add(make_customer(7, first_name="Zofia", shipping=phone))
    saleor.customers.add(make_customer(8, shipping=address(phone=None)))
    return saleor.customers.customers[0]


def test_a_text_to_a_customer_is_previewed_logged_and_sent(
    client: Any,
    auth: Headers,
    services: Services,
    customer: dict[str, Any],
    sandbox_shop: None,
) -> None:
    text = "Hi {{ customer.first_name }}, your voucher is ready at {{ shop.name }}"
    shown = client.post(
        CUSTOMER_API + "/preview",
        headers=auth(),
        json={"customer_id": customer["id"], "text": text},
    ).get_json()
    assert shown["text"].startswith("Hi Zofia, your voucher is ready at ")
    assert shown["problems"] == [] and shown["segments"] == 1
    body = {"customer_id": customer["id"], "text": text, "idempotency_key": "k-customer-1"}
    first = client.post(CUSTOMER_API, headers=auth(), json=body).get_json()
    again = client.post(CUSTOMER_API, headers=auth(), json=body).get_json()
    assert first["status"] == "queued" and again["messageId"] == first["messageId"]
    drain_queue(services)
    [row] = logged(services)
    assert row.event == "MANUAL" and row.order_id is None
    assert row.rule_name == f"Sent by hand by {USER_EMAIL}"
    assert row.phone == "+48601200300" and row.status == "sent"
    [line] = outbox(services)
    assert line["body"] == shown["text"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"customer_id": "VXNlcjo5OTk="}, 404, None),
        ({"customer_id": None}, 400, "customer_id"),
        ({"customer_id": "no-phone"}, 400, "customer_id"),
        ({"text": "{{ order.number }}"}, 400, "text"),
        ({"idempotency_key": 3}, 400, "idempotency_key"),
    ],
)
def test_bad_customer_input_is_refused_and_stores_nothing(
    client: Any,
    auth: Headers,
    services: Services,
    customer: dict[str, Any],
    change: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    if change.get("customer_id") == "no-phone":
        change = {"customer_id": "VXNlcjo4"}  # User:8, who has no phone
    body = {"customer_id": customer["id"], "text": "Hi", "idempotency_key": "k-customer-2"}
    answer = client.post(CUSTOMER_API, headers=auth(), json={**body, **change})
    assert answer.status_code == status, answer.get_json()
    if field is not None:
        assert field in answer.get_json()["error"]["details"]
    assert logged(services) == []
    assert services.queue.count == 0


def test_texting_a_customer_needs_manage_users(
    client: Any, auth: Headers, services: Services, customer: dict[str, Any]
) -> None:
    body = {"customer_id": customer["id"], "text": "Hi", "idempotency_key": "k-customer-3"}
    answer = client.post(CUSTOMER_API, headers=auth(permissions=["MANAGE_ORDERS"]), json=body)
    assert answer.status_code == 403
    assert answer.get_json()["error"]["details"] == {"required": "MANAGE_USERS"}
    assert logged(services) == []
