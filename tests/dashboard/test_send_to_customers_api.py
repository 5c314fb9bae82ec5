"""The customer list's "Send SMS" popup API (``/api/dashboard/manual/customers``) through Flask.

The ticked customers live in the loopback Saleor (real HTTP, real schema, its
``customers(where: {ids})``); the campaign, its scheduled run and the message log
in the real database; the run and the sends go through real Redis and a burst
worker to the sandbox provider. Also: each popup asks only for its own resource's
permission (``/manual/start``, ``/manual/messages/<id>``).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import func, select

from saleor_sms_app.campaigns.picked import MAX_PICKED
from saleor_sms_app.campaigns.tables import Campaign
from saleor_sms_app.consent.suppressions import suppress
from saleor_sms_app.db import session_scope
from saleor_sms_app.models import Message
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.dashboard.conftest import USER_EMAIL, Headers
from tests.standin.customers import make_customer
from tests.standin.saleor import SaleorStandin, address

API = "/api/dashboard/manual/customers"
CONSENT = {"sms_marketing_consent": "true"}


@pytest.fixture
def ticked(saleor: SaleorStandin, services: Services, tenant_id: int) -> list[str]:
    """Six customers ticked in the list: two can be texted, four are left out, one each
    for no phone, an invalid number, no consent and the do-not-text list; and one
    customer who is not ticked and must not be texted."""
    people = [
        make_customer(
            1, first_name="Ola", shipping=address(phone="+48601300001"), metadata=CONSENT
        ),
        make_customer(
            2, first_name="Piotr", shipping=address(phone="+48601300002"), metadata=CONSENT
        ),
        make_customer(3, shipping=address(phone=None), metadata=CONSENT),
        make_customer(4, shipping=address(phone="12"), metadata=CONSENT),
        make_customer(5, shipping=address(phone="+48601300005")),
        make_customer(6, shipping=address(phone="+48601300006"), metadata=CONSENT),
    ]
    for person in people:
        saleor.customers.add(person)
    saleor.customers.add(make_customer(7, shipping=address(phone="+48601300007"), metadata=CONSENT))
    with session_scope(services.sessions) as session:
        suppress(session, tenant_id, "+48601300006", reason="STOP", source="manual")
    return [p["id"] for p in people]


def rows(services: Services) -> list[Message]:
    with services.sessions() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def campaigns(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Campaign)) or 0)


def test_the_preview_counts_the_ticked_customers_and_says_why_others_are_left_out(
    client: Any, auth: Headers, ticked: list[str]
) -> None:
    answer = client.post(
        f"{API}/preview", json={"customer_ids": ticked}, headers=auth(permissions=["MANAGE_USERS"])
    )
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()
    assert found["ticked"] == 6 and found["customers"] == 6 and found["complete"] is True
    assert found["would_get"] == 2
    assert {e["name"] for e in found["examples"]} == {"Ola Nowak", "Piotr Nowak"}
    assert {r["reason"]: r["count"] for r in found["left_out"]} == {
        "no_phone": 1,
        "invalid_number": 1,
        "no_consent": 1,
        "opted_out": 1,
    }


def test_the_ticked_customers_get_a_small_campaign_logged_as_sent_by_hand(
    client: Any, auth: Headers, services: Services, ticked: list[str], any_hour: None
) -> None:
    body = {
        "customer_ids": ticked,
        "text": "Hi {{ customer.first_name }}, your voucher waits",
        "idempotency_key": "popup-list-0001",
    }
    estimate = client.post(
        f"{API}/estimate",
        json={"text": body["text"], "recipients": 2},
        headers=auth(permissions=["MANAGE_USERS"]),
    ).get_json()
    assert estimate["segments"] == 1 and estimate["recipients"] == 2
    assert estimate["text"].startswith("Hi Anna, your voucher waits")  # no one named: a sample
    # With the ticked customers: as the first of them who can get it reads it, in this shop.
    shop = client.post(
        f"{API}/estimate",
        json={"text": "{{ customer.first_name }} at {{ shop.name }}", "customer_ids": ticked[2:]},
        headers=auth(permissions=["MANAGE_USERS"]),
    ).get_json()
    # Nobody of these can get it: a sample customer, but the shop's own name.
    assert shop["text"].startswith("Anna at Saleor e-commerce")
    mine = client.post(
        f"{API}/estimate",
        json={"text": body["text"], "recipients": 2, "customer_ids": ticked},
        headers=auth(permissions=["MANAGE_USERS"]),
    ).get_json()
    assert mine["text"].startswith("Hi Ola, your voucher waits")

    first = client.post(API, json=body, headers=auth(permissions=["MANAGE_USERS"]))
    again = client.post(API, json=body, headers=auth(permissions=["MANAGE_USERS"]))
    assert first.status_code == 201, first.get_json()
    assert again.status_code == 200
    campaign = first.get_json()["campaign"]
    assert again.get_json()["campaign"]["id"] == campaign["id"] and campaigns(services) == 1
    assert campaign["created_by"] == USER_EMAIL
    assert campaign["name"] == "6 customers ticked in Saleor"

    drain_queue(services)
    logged = rows(services)
    assert {r.status for r in logged if r.phone.startswith("+486013000")} >= {"sent"}
    sent = sorted((r.phone, r.body.split("\n")[0]) for r in logged if r.status == "sent")
    assert sent == [
        ("+48601300001", "Hi Ola, your voucher waits"),
        ("+48601300002", "Hi Piotr, your voucher waits"),
    ]
    assert all(r.event == "MANUAL" for r in logged)
    assert all(r.rule_name == f"Sent by hand by {USER_EMAIL}" for r in logged)
    assert all(r.rule_id == f"campaign:{campaign['id']}" for r in logged)
    skipped = {r.error_code for r in logged if r.status == "skipped"}
    assert skipped == {"no_phone", "invalid_number", "no_consent", "opted_out"}
    assert not any(r.phone == "+48601300007" for r in logged)  # not ticked

    # Its progress, for the popup (MANAGE_USERS) and on the Campaigns screen.
    progress = client.get(
        f"{API}/{campaign['id']}", headers=auth(permissions=["MANAGE_USERS"])
    ).get_json()["campaign"]["progress"]
    assert progress["sent"] == 2 and progress["skipped"] == 4
    listed = client.get("/api/dashboard/campaigns", headers=auth()).get_json()["campaigns"]
    assert [c["id"] for c in listed] == [campaign["id"]]


def test_it_needs_the_customers_permission_and_a_dashboard_token(
    client: Any, auth: Headers, services: Services, ticked: list[str]
) -> None:
    body = {"customer_ids": ticked, "text": "Hi", "idempotency_key": "popup-list-0002"}
    for path, payload in (("", body), ("/preview", body), ("/estimate", {"text": "Hi"})):
        refused = client.post(API + path, json=payload, headers=auth(permissions=["MANAGE_ORDERS"]))
        assert refused.status_code == 403, path
        assert refused.get_json()["error"]["details"] == {"required": "MANAGE_USERS"}
        assert client.post(API + path, json=payload).status_code == 401
    assert campaigns(services) == 0


def user_id(n: int) -> str:
    return base64.b64encode(f"User:{n}".encode()).decode()


@pytest.mark.parametrize(
    ("customer_ids", "reason"),
    [
        (None, "required"),
        ([], "required"),
        ("VXNlcjox", "a list of ids"),
        ([1, 2], "a list of ids"),
        (["not-an-id"], "not a customer id: not-an-id"),
        # An order's id is a valid Saleor id, but not a customer's.
        [[base64.b64encode(b"Order:1").decode()], "not a customer id: T3JkZXI6MQ=="],
        ([user_id(n) for n in range(1, MAX_PICKED + 2)], f"at most {MAX_PICKED}"),
    ],
)
def test_bad_ids_are_refused_naming_the_field_and_store_nothing(
    client: Any,
    auth: Headers,
    services: Services,
    ticked: list[str],
    customer_ids: Any,
    reason: str,
) -> None:
    body = {"customer_ids": customer_ids, "text": "Hi", "idempotency_key": "popup-list-0003"}
    for path in ("", "/preview"):
        answer = client.post(API + path, json=body, headers=auth(permissions=["MANAGE_USERS"]))
        assert answer.status_code == 400, (path, answer.get_json())
        assert answer.get_json()["error"]["details"]["customer_ids"] == reason
    assert campaigns(services) == 0 and rows(services) == []


def test_as_many_ids_as_the_dashboards_largest_page_are_taken(
    client: Any, auth: Headers, ticked: list[str]
) -> None:
    ids = ticked + [user_id(n) for n in range(1000, 1000 + MAX_PICKED - len(ticked))]
    answer = client.post(
        f"{API}/preview", json={"customer_ids": ids}, headers=auth(permissions=["MANAGE_USERS"])
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["ticked"] == MAX_PICKED and answer.get_json()["customers"] == 6


def test_nobody_who_can_get_it_or_a_broken_text_is_refused_by_field(
    client: Any, auth: Headers, services: Services, ticked: list[str]
) -> None:
    headers = auth(permissions=["MANAGE_USERS"])
    left_out_only = {"customer_ids": ticked[2:], "text": "Hi", "idempotency_key": "popup-list-0004"}
    answer = client.post(API, json=left_out_only, headers=headers)
    assert answer.status_code == 400
    details = answer.get_json()["error"]["details"]
    assert details["customer_ids"] == "nobody can get it" and len(details["left_out"]) == 4
    broken = {"customer_ids": ticked, "text": "Hi {{ x ", "idempotency_key": "popup-list-0005"}
    answer = client.post(API, json=broken, headers=headers)
    assert answer.status_code == 400 and "text" in answer.get_json()["error"]["details"]
    assert campaigns(services) == 0


def test_each_popup_asks_for_its_own_resources_permission(
    client: Any, auth: Headers, saleor: SaleorStandin, sandbox_shop: None
) -> None:
    """The customer popups work for a staff member without MANAGE_ORDERS (the main page's
    /me and /config need it), and the order popup does not open for one without it."""
    users_only = auth(permissions=["MANAGE_USERS"])
    orders_only = auth(permissions=["MANAGE_ORDERS"])
    for kind in ("customer", "customers"):
        start = client.get(f"/api/dashboard/manual/{kind}/start", headers=users_only)
        assert start.status_code == 200, start.get_json()
        assert start.get_json()["email"] == USER_EMAIL
        assert [r["name"] for r in start.get_json()["rules"]]  # the rules' templates
        refused = client.get(f"/api/dashboard/manual/{kind}/start", headers=orders_only)
        assert refused.get_json()["error"]["details"] == {"required": "MANAGE_USERS"}
    assert client.get("/api/dashboard/manual/order/start", headers=orders_only).status_code == 200
    refused = client.get("/api/dashboard/manual/order/start", headers=users_only)
    assert refused.status_code == 403

    # A text sent from the customer page: its status without MANAGE_ORDERS.
    customer = saleor.customers.add(make_customer(9, shipping=address(phone="+48601200300")))
    sent = client.post(
        "/api/dashboard/manual/customer",
        json={"customer_id": customer["id"], "text": "Hi", "idempotency_key": "popup-cust-0001"},
        headers=users_only,
    ).get_json()
    status = client.get(
        f"/api/dashboard/manual/customer/messages/{sent['messageId']}", headers=users_only
    )
    assert status.status_code == 200 and status.get_json() == {
        "status": "queued",
        "error_text": None,
    }
    assert (
        client.get(
            f"/api/dashboard/manual/customer/messages/{sent['messageId'] + 1}",
            headers=users_only,
        ).status_code
        == 404
    )
