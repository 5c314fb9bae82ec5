"""``GET /api/manifest`` and the logo, as Saleor fetches them while installing."""

from __future__ import annotations

import struct
from typing import Any

import requests

from saleor_sms_app import __version__
from saleor_sms_app.saleor.events import EVENTS


def test_manifest_over_http(live_app: Any) -> None:
    response = requests.get(
        live_app.url + "/api/manifest", headers={"Saleor-Schema-Version": "3.23"}, timeout=5
    )
    assert response.status_code == 200
    manifest = response.json()
    base = live_app.url
    assert manifest["id"] == "saleor.app.sms"
    assert manifest["version"] == __version__
    assert manifest["name"] and manifest["about"] and manifest["author"]
    assert manifest["homepageUrl"].startswith("https://")
    assert manifest["supportUrl"].startswith("https://")
    assert manifest["requiredSaleorVersion"] == ">=3.20"
    assert manifest["permissions"] == [
        "MANAGE_ORDERS",
        "MANAGE_USERS",
        "MANAGE_CHECKOUTS",
        "MANAGE_PRODUCTS",
    ]
    assert manifest["appUrl"] == base + "/app"
    assert manifest["tokenTargetUrl"] == base + "/api/register"
    assert manifest["brand"] == {"logo": {"default": base + "/logo.png"}}

    by_event = {w["asyncEvents"][0]: w for w in manifest["webhooks"]}
    assert set(by_event) == {e.name for e in EVENTS}
    for event in EVENTS:
        webhook = by_event[event.name]
        assert webhook["asyncEvents"] == [event.name]
        assert webhook["targetUrl"] == f"{base}/api/webhooks/{event.name.lower()}"
        assert f"subscription {event.subscription} " in webhook["query"]
        assert "__typename" in webhook["query"]
    fulfillment = by_event["FULFILLMENT_CREATED"]["query"]
    assert "trackingNumber" in fulfillment and "notifyCustomer" in fulfillment
    assert "fragment WebhookOrder on Order" in by_event["ORDER_CREATED"]["query"]
    assert "app {" in by_event["APP_DELETED"]["query"]

    # The "Send SMS" actions on Saleor's order and customer pages and the customer list: a
    # popup of the app's page whose permission the app itself holds (Saleor refuses
    # OUT_OF_SCOPE_PERMISSION).
    assert manifest["extensions"] == [
        {
            "label": "Send SMS",
            "mount": "ORDER_DETAILS_MORE_ACTIONS",
            "target": "POPUP",
            "permissions": ["MANAGE_ORDERS"],
            "url": base + "/app/send-sms",
        },
        {
            "label": "Send SMS",
            "mount": "CUSTOMER_DETAILS_MORE_ACTIONS",
            "target": "POPUP",
            "permissions": ["MANAGE_USERS"],
            "url": base + "/app/send-sms",
        },
        {
            # The customers ticked in the list: the Dashboard adds customerIds.
            "label": "Send SMS",
            "mount": "CUSTOMER_OVERVIEW_MORE_ACTIONS",
            "target": "POPUP",
            "permissions": ["MANAGE_USERS"],
            "url": base + "/app/send-sms",
        },
    ]
    for extension in manifest["extensions"]:
        assert set(extension["permissions"]) <= set(manifest["permissions"])
    page = requests.get(base + "/app/send-sms?orderId=T3JkZXI6MQ%3D%3D", timeout=5)
    assert page.status_code in (200, 503)  # the built page, or "run make ui" when not built


def test_logo_is_a_square_png_of_at_least_256px(live_app: Any) -> None:
    response = requests.get(live_app.url + "/logo.png", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    data = response.content
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == height >= 256
