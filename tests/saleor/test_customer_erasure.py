"""CUSTOMER_DELETED / ACCOUNT_DELETED: a customer deleted in Saleor is erased from the log.

Real parts end to end: the loopback Saleor installs the app (the manifest now
asks for MANAGE_USERS and subscribes to both events), signs the webhook built
from the app's own subscription document, the web layer verifies and
enqueues it, the job runs on the real queue and erases.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from saleor_sms_app.models import Message, Suppression
from tests.conftest import drain_queue
from tests.dashboard.test_personal_data import NUMBER, OTHER, OTHER_TEXT, TEXT, database_bytes, seed


def _user(phone: str) -> dict[str, Any]:
    address = {"__typename": "Address", "phone": phone}
    return {
        "__typename": "User",
        "id": "VXNlcjo0Mg==",
        "email": "anna@example.com",
        "defaultShippingAddress": address,
        "defaultBillingAddress": None,
        "addresses": [address, {"__typename": "Address", "phone": ""}],
        "metadata": [],
        "privateMetadata": [],
    }


def test_the_manifest_asks_for_what_the_events_need(installed: Any) -> None:
    manifest = installed.saleor.manifest
    assert "MANAGE_USERS" in manifest["permissions"]
    events = {w["asyncEvents"][0] for w in manifest["webhooks"]}
    assert {"CUSTOMER_DELETED", "ACCOUNT_DELETED"} <= events


@pytest.mark.parametrize("event", ["CUSTOMER_DELETED", "ACCOUNT_DELETED"])
def test_a_deleted_customer_leaves_no_trace(installed: Any, event: str) -> None:
    saleor, app = installed.saleor, installed.app
    services = app.services
    seed(services, installed.tenant.id)
    response = saleor.send_webhook(app.url, event, {"user": _user("+48 601 234 567")})
    assert response.status_code == 200, response.text
    drain_queue(services)

    after = database_bytes(services)
    for trace in (NUMBER, NUMBER[1:], TEXT):
        assert trace.encode() not in after, trace
    assert OTHER.encode() in after and OTHER_TEXT.encode() in after
    with services.sessions() as session:
        assert session.scalars(select(Suppression.phone)).all() == [OTHER]
        # seed()'s five messages (one of them a text the customer sent) all stay, blanked.
        assert len(session.scalars(select(Message.id)).all()) == 5
