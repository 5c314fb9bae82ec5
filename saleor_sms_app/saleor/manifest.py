"""The Saleor App manifest: what Saleor reads to install us.

The static fields live in ``manifest/app.toml`` (edited by people, reviewed in
diffs); everything that depends on where this deployment runs (its URLs) or on
code (the version, one webhook per event of :mod:`saleor_sms_app.saleor.events`, the
subscription documents in ``graphql/subscriptions/``) is added here, so the
manifest can never name an event the app does not handle.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from saleor_sms_app import __version__
from saleor_sms_app.saleor import documents
from saleor_sms_app.saleor.events import EVENTS, SaleorEvent

MANIFEST_DIR = Path(__file__).resolve().parent.parent.parent / "manifest"
STATIC_FIELDS = MANIFEST_DIR / "app.toml"
LOGO = MANIFEST_DIR / "logo.png"

#: Paths of the app, relative to APP_URL; the web layer routes the same ones.
APP_PAGE_PATH = "/app"
#: The "Send SMS" popup Saleor's order and customer pages and the customer list open
#: (the same page, told apart by its path; the Dashboard adds ``orderId``,
#: ``customerId`` or ``customerIds``, the ticked rows comma-joined).
POPUP_PATH = "/app/send-sms"
REGISTER_PATH = "/api/register"
LOGO_PATH = "/logo.png"
WEBHOOK_PATH_PREFIX = "/api/webhooks/"
#: Every webhook of the manifest is named so; webhook_sync.py tells the app's own by it.
WEBHOOK_NAME_PREFIX = "SMS: "

#: The actions the app adds to Saleor's own pages (label, mount, permissions). The
#: Dashboard opens each one's URL in a popup with ``orderId`` (``customerId``, or
#: ``customerIds`` for the rows ticked in the customer list) appended, then hands it
#: a token as it does the main page. Saleor 3.23 stores
#: mount and target as free strings and checks that the permissions are the app's.
EXTENSIONS: tuple[tuple[str, str, str], ...] = (
    ("Send SMS", "ORDER_DETAILS_MORE_ACTIONS", "MANAGE_ORDERS"),
    ("Send SMS", "CUSTOMER_DETAILS_MORE_ACTIONS", "MANAGE_USERS"),
    ("Send SMS", "CUSTOMER_OVERVIEW_MORE_ACTIONS", "MANAGE_USERS"),
)


def webhook_path(event: SaleorEvent) -> str:
    """``/api/webhooks/order_created``: one route per event keeps Saleor's logs readable."""
    return WEBHOOK_PATH_PREFIX + event.header_value


@cache
def static_fields() -> dict[str, Any]:
    with STATIC_FIELDS.open("rb") as f:
        return tomllib.load(f)


def build_manifest(app_url: str) -> dict[str, Any]:
    """The manifest for a deployment reachable at ``app_url`` (no trailing slash)."""
    base = app_url.rstrip("/")
    manifest: dict[str, Any] = dict(static_fields())
    manifest["version"] = __version__
    manifest["appUrl"] = base + APP_PAGE_PATH
    manifest["tokenTargetUrl"] = base + REGISTER_PATH
    manifest["brand"] = {"logo": {"default": base + LOGO_PATH}}
    manifest["webhooks"] = [
        {
            "name": WEBHOOK_NAME_PREFIX + event.label,
            "asyncEvents": [event.name],
            "query": documents.load(event.subscription),
            "targetUrl": base + webhook_path(event),
            "isActive": True,
        }
        for event in EVENTS
    ]
    manifest["extensions"] = [
        {
            "label": label,
            "mount": mount,
            "target": "POPUP",
            "permissions": [permission],
            # Absolute: how Saleor resolves a relative URL against appUrl differs by version.
            "url": base + POPUP_PATH,
        }
        for label, mount, permission in EXTENSIONS
    ]
    return manifest


def webhooks_marker(app_url: str) -> str:
    """``<version>-<fingerprint>`` of the manifest's webhooks for a deployment at ``app_url``.

    Recorded per tenant once Saleor holds exactly these webhooks (at install,
    and by :mod:`saleor_sms_app.saleor.webhook_sync`). The fingerprint covers
    names, events, queries and target URLs, so a new ``APP_URL`` or a
    subscription edited without a version bump counts as a change too.
    """
    canonical = json.dumps(build_manifest(app_url)["webhooks"], sort_keys=True)
    return f"{__version__}-{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"
