"""One number's personal data: erased everywhere, exported on request; and retention.

The erasure test dumps every column of every table (SQLite's text-index
tables and PostgreSQL's alike) and searches the bytes for the number, in each
form it is stored, and for the texts sent to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from saleor_sms_app.db import session_scope
from saleor_sms_app.message_log import personal_data
from saleor_sms_app.models import (
    DeliveryReport,
    Message,
    MessageAttempt,
    PendingDeliveryReport,
    ShortLink,
    Suppression,
)
from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers

NUMBER = "+48601234567"
TEXT = "Hi Anna, parcel QX-4471 for order 1042 is at your door"
OTHER = "+48500999888"
OTHER_TEXT = "Hi Ben, order 1043 is confirmed"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _message(tenant_id: int, key: str, phone: str, body: str, **values: Any) -> Message:
    return Message(
        tenant_id=tenant_id,
        dedupe_key=key,
        created_at=values.pop("created_at", NOW),
        event=values.pop("event", "ORDER_FULFILLED"),
        order_number=values.pop("order_number", "1042"),
        recipient_type=values.pop("recipient_type", "customer"),
        phone=phone,
        body=body,
        provider="twilio",
        provider_id="tw",
        status=values.pop("status", "delivered"),
        **values,
    )


def seed(services: Services, tenant_id: int) -> None:
    """The number everywhere the app keeps it: message, staff copy, dry-run hint, a text
    the customer sent (inbound), provider answers, delivery reports, a report still
    waiting for its message, a tracked link carrying it, the do-not-text list; and
    another customer."""
    with services.sessions.begin() as session:
        mine = _message(tenant_id, "a", NUMBER, TEXT, provider_message_id="SM1")
        staff = _message(
            tenant_id,
            "b",
            "+48500000001",
            f"New order 1042 from {NUMBER}",
            recipient_type="staff",
        )
        dry_run = _message(
            tenant_id,
            "c",
            "+48500000002",
            TEXT,
            error_hint=f"Dry run: sent to the test number instead of {NUMBER}",
        )
        theirs = _message(tenant_id, "d", OTHER, OTHER_TEXT, order_number="1043")
        inbound = _message(
            tenant_id,
            "e",
            NUMBER,
            "Where is parcel QX-4471? STOP",
            direction="inbound",
            event="INBOUND",
            order_number=None,
            status="received",
        )
        session.add_all([mine, staff, dry_run, theirs, inbound])
        session.flush()
        for phone in (NUMBER, OTHER):
            session.add(
                PendingDeliveryReport(
                    tenant_id=tenant_id,
                    provider_id="tw",
                    provider="twilio",
                    provider_message_id=f"SM-late-{phone[-4:]}",
                    event={"status": "delivered", "to": phone, "code": "0"},
                )
            )
        session.add_all(
            [
                ShortLink(
                    tenant_id=tenant_id,
                    code="perso12345",
                    url=f"https://shop.example/track?phone={NUMBER[1:]}",
                    message_id=mine.id,
                ),
                ShortLink(
                    tenant_id=tenant_id,
                    code="sale123456",
                    url="https://shop.example/sale",
                    message_id=mine.id,
                ),
            ]
        )
        for message, phone, body in ((mine, NUMBER, TEXT), (theirs, OTHER, OTHER_TEXT)):
            session.add(
                MessageAttempt(
                    message_id=message.id,
                    provider_id="tw",
                    provider="twilio",
                    status="failed",
                    error_text=f"The 'To' number {phone} is not a valid phone number",
                    raw_response=json.dumps({"to": phone, "body": body, "status": "failed"}),
                )
            )
            session.add(
                DeliveryReport(
                    tenant_id=tenant_id,
                    message_id=message.id,
                    provider="twilio",
                    provider_message_id="SM1",
                    status="delivered",
                    raw={"MessageSid": "SM1", "To": phone, "MessageStatus": "delivered"},
                )
            )
        session.add(
            Suppression(tenant_id=tenant_id, phone=NUMBER, reason="opted_out", source="twilio")
        )
        session.add(Suppression(tenant_id=tenant_id, phone=OTHER, reason="manual", source="manual"))


def database_bytes(services: Services) -> bytes:
    """Every value of every table, as bytes, one after another."""
    chunks: list[bytes] = []
    with services.engine.connect() as conn:
        if services.engine.dialect.name == "sqlite":
            tables = conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
            for table in list(tables):
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        if isinstance(value, bytes | memoryview):
                            chunks.append(bytes(value))
                        elif value is not None:
                            chunks.append(str(value).encode())
        else:
            tables = conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
            for table in list(tables):
                chunks += [
                    str(v).encode()
                    for v in conn.scalars(text(f'SELECT row_to_json(t)::text FROM "{table}" t'))
                ]
    return b"\n".join(chunks)


def test_erasure_leaves_no_trace_of_the_number(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    seed(services, tenant_id)
    before = database_bytes(services)
    assert NUMBER.encode() in before and TEXT.encode() in before  # the search can find them

    response = client.post(
        "/api/dashboard/messages/personal-data/erase",
        headers=auth(),
        json={"phone": "+48 601 234 567"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["erased"] == {
        "messages": 4,
        "attempts": 1,
        "delivery_reports": 1,
        "suppressions": 1,
        "pending_reports": 1,
        "short_links": 1,
    }

    after = database_bytes(services)
    for trace in (NUMBER, NUMBER[1:], "601234567", TEXT, "QX-4471"):
        assert trace.encode() not in after, trace
    # The other customer's data is all there, and the log still counts the messages.
    for kept in (OTHER, OTHER_TEXT):
        assert kept.encode() in after
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 5
        assert session.scalar(select(func.count()).select_from(Suppression)) == 1
        assert session.scalar(select(func.count()).select_from(PendingDeliveryReport)) == 1
        assert session.scalars(select(ShortLink.url)).all() == ["https://shop.example/sale"]


def test_erasure_is_logged_without_the_number(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int, caplog: Any
) -> None:
    seed(services, tenant_id)
    with caplog.at_level("INFO"):
        client.post(
            "/api/dashboard/messages/personal-data/erase", headers=auth(), json={"phone": NUMBER}
        )
    assert "erased the personal data of one number" in caplog.text
    assert "601234567" not in caplog.text and "601 234 567" not in caplog.text


def test_erasure_needs_manage_apps_and_a_real_number(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    seed(services, tenant_id)
    denied = client.post(
        "/api/dashboard/messages/personal-data/erase",
        headers=auth(permissions=["MANAGE_ORDERS"]),
        json={"phone": NUMBER},
    )
    assert denied.status_code == 403
    bad = client.post(
        "/api/dashboard/messages/personal-data/erase", headers=auth(), json={"phone": "hello"}
    )
    assert bad.status_code == 422
    assert "phone" in bad.get_json()["error"]["details"]
    assert NUMBER.encode() in database_bytes(services)  # nothing was touched


def test_export_of_one_number(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    seed(services, tenant_id)
    response = client.post(
        "/api/dashboard/messages/personal-data/export", headers=auth(), json={"phone": NUMBER}
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    document = response.get_json()
    assert document["phone"] == NUMBER
    assert sorted(m["body"] for m in document["messages"]) == sorted(
        [TEXT, TEXT, f"New order 1042 from {NUMBER}", "Where is parcel QX-4471? STOP"]
    )
    assert sorted(m["direction"] for m in document["messages"]) == [
        "inbound",
        "outbound",
        "outbound",
        "outbound",
    ]
    assert [a["answer"] for m in document["messages"] for a in m["attempts"]] == [
        json.dumps({"to": NUMBER, "body": TEXT, "status": "failed"})
    ]
    assert [r["report"]["To"] for r in document["delivery_reports"]] == [NUMBER]
    assert [r["report"]["to"] for r in document["pending_delivery_reports"]] == [NUMBER]
    assert [s["reason"] for s in document["do_not_text"]] == ["opted_out"]
    assert OTHER not in response.get_data(as_text=True)


def test_retention_deletes_or_blanks_old_messages_in_batches(
    services: Services, tenant_id: int
) -> None:
    with services.sessions.begin() as session:
        for i in range(personal_data.RETENTION_BATCH + 20):
            session.add(
                _message(tenant_id, f"old{i}", NUMBER, TEXT, created_at=NOW - timedelta(days=400))
            )
        session.add(_message(tenant_id, "new", OTHER, OTHER_TEXT, created_at=NOW))
    done = []
    for _ in range(5):
        with session_scope(services.sessions) as session:
            done.append(
                personal_data.apply_retention(session, tenant_id, days=365, mode="blank", now=NOW)
            )
    assert done == [personal_data.RETENTION_BATCH, 20, 0, 0, 0]
    with services.sessions() as session:
        phones = session.scalars(select(Message.phone).order_by(Message.id)).all()
    assert phones == [""] * (personal_data.RETENTION_BATCH + 20) + [OTHER]

    with session_scope(services.sessions) as session:
        deleted = personal_data.apply_retention(
            session, tenant_id, days=365, mode="delete", now=NOW
        )
    assert deleted == personal_data.RETENTION_BATCH
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 21


def test_each_shop_keeps_messages_as_long_as_its_settings_say(
    services: Services, tenant_id: int
) -> None:
    from saleor_sms_app.config.model import AppConfig, ShopSettings
    from saleor_sms_app.config.store import ConfigStore
    from saleor_sms_app.saleor.tenants import get_tenant_by_id

    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    ConfigStore(services).save(
        tenant,
        AppConfig(settings=ShopSettings(retention_days=30, retention_mode="blank")),
        expected_revision=0,
    )
    with services.sessions.begin() as session:
        session.add(_message(tenant_id, "old", NUMBER, TEXT, created_at=NOW - timedelta(days=31)))
        session.add(
            _message(tenant_id, "new", OTHER, OTHER_TEXT, created_at=NOW - timedelta(days=29))
        )
    assert personal_data.apply_retention_everywhere(services, now=NOW) == {tenant_id: 1}
    with services.sessions() as session:
        kept = session.execute(select(Message.dedupe_key, Message.phone, Message.body)).all()
    assert sorted(kept) == [("new", OTHER, OTHER_TEXT), ("old", "", "")]
    # Nothing older is left to blank: the next run does nothing.
    assert personal_data.apply_retention_everywhere(services, now=NOW) == {}
