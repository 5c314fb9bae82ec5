"""The whole path over real HTTP: install, a signed ORDER_CREATED, the worker, the SMS.

The loopback Saleor installs the app into the live app server (manifest fetch,
register), sends a signed webhook built from the app's own subscription, the
worker runs the queued jobs, and the text lands in the sandbox outbox and in
the message log. The same delivery sent again must not text anyone twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from saleor_sms_app.models import Message, MessageAttempt
from saleor_sms_app.saleor.tenants import get_tenant
from tests.conftest import drain_queue
from tests.pipeline.support import outbox


def test_order_created_is_texted_once_over_real_http(
    saleor_standin: Any, live_app: Any, installed: Any
) -> None:
    # `installed` has put the app into the stand-in over HTTP (manifest + register).
    saleor, app = saleor_standin, live_app
    services = app.services
    tenant = get_tenant(services, saleor.api_url)
    assert tenant is not None and tenant.app_id == saleor.app_id
    order = saleor.make_order(
        number=1042, first_name="Anna", phone="+48 601 234 567", country_code="PL"
    )
    body = saleor.event_payload("ORDER_CREATED", {"order": order})

    first = saleor.send_webhook(app.url, "ORDER_CREATED", body=body)
    assert first.status_code == 200, first.text
    drain_queue(services)

    [sms] = outbox(services)
    assert sms["to"] == "+48601234567"
    assert sms["body"] == (
        f"{saleor.shop_name}: thank you for your order 1042 (32.00 USD). "
        "We will text you when it ships."
    )
    with services.sessions() as session:
        logged = session.scalars(select(Message).where(Message.status == "sent")).one()
        assert (logged.tenant_id, logged.order_id, logged.body) == (
            tenant.id,
            order["id"],
            sms["body"],
        )
        assert logged.provider == "sandbox" and logged.provider_message_id
        assert session.scalars(select(MessageAttempt)).one().message_id == logged.id

    again = saleor.send_webhook(app.url, "ORDER_CREATED", body=body)
    assert again.status_code == 200, again.text
    drain_queue(services)
    assert len(outbox(services)) == 1
    with services.sessions() as session:
        assert len(session.scalars(select(Message)).all()) == 2  # customer sent, staff skipped
