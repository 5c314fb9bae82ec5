"""The "Send SMS" popups' API: a text sent by hand to an order's customer or a customer.

The popups are the app's page opened by Saleor's order and customer pages
(manifest extensions); they authenticate with the dashboard token like the main
page. Texting an order's customer needs MANAGE_ORDERS (its preview is the Rules
screen's ``/preview`` with ``order_id``), a customer MANAGE_USERS; the status
after sending is the log's ``/messages/<id>``. The work is
:mod:`saleor_sms_app.messages.by_hand`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from saleor_sms_app import orders
from saleor_sms_app.campaigns.audience import fetch_customer
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import BadRequest
from saleor_sms_app.links import LinkCollector, PreviewLinks
from saleor_sms_app.messages import by_hand
from saleor_sms_app.messages.send_jobs import enqueue_send
from saleor_sms_app.models import MessageStatus
from saleor_sms_app.saleor.tenants import saleor_client
from saleor_sms_app.web.dashboard_api.access import current_user, json_body, requires, services

bp = Blueprint("manual", __name__)

#: Saleor's permission to see and change orders: who may text an order's customer.
ORDER_PERMISSION = "MANAGE_ORDERS"
#: Saleor's permission to see and change customers: who may text a customer.
CUSTOMER_PERMISSION = "MANAGE_USERS"


def _id(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} is required", details={name: "required"})
    return value.strip()


def _config() -> AppConfig:
    return ConfigStore(services()).load(current_user().tenant)


def _customer(body: dict[str, Any], config: AppConfig) -> by_hand.HandRecipient:
    client = saleor_client(services(), current_user().tenant)
    person, shop_name = fetch_customer(client, _id(body, "customer_id"), config.settings)
    return by_hand.customer_recipient(person, shop_name or current_user().tenant.saleor_domain)


def _checked(body: dict[str, Any]) -> tuple[str, str]:
    """The text and the popup's key, checked before Saleor is asked anything."""
    return by_hand.checked_text(body.get("text")), by_hand.checked_key(body.get("idempotency_key"))


def _send(
    checked: tuple[str, str], config: AppConfig, recipient: by_hand.HandRecipient
) -> Response:
    """Log the text once per key and queue it; the same key answers the same message."""
    template, key = checked
    svc = services()
    user = current_user()
    links = LinkCollector(svc.settings.short_link_base)
    fields = by_hand.compose_for(config, recipient, template, links)
    with session_scope(svc.sessions) as session:
        sent = by_hand.log_hand_sent(
            session, user.tenant_id, recipient, fields, links, key=key, sent_by=user.email
        )
    if sent.new and sent.status == MessageStatus.QUEUED.value:
        enqueue_send(svc, sent.message_id)
    return jsonify(sent.to_json())


@bp.post("/manual/order")
@requires(ORDER_PERMISSION)
def send_to_order() -> Response:
    body = json_body()
    checked = _checked(body)
    order_id = _id(body, "order_id")
    user = current_user()
    snapshot = orders.fetch_order(saleor_client(services(), user.tenant), order_id)
    config = _config()
    recipient = by_hand.order_recipient(config, snapshot, user.tenant.saleor_domain)
    return _send(checked, config, recipient)


@bp.post("/manual/customer/preview")
@requires(CUSTOMER_PERMISSION)
def preview_for_customer() -> Response:
    """The text with this customer's tokens, its segments and problems (never a 500)."""
    body = json_body()
    template = body.get("text")
    if not isinstance(template, str):
        raise BadRequest("text must be text", details={"text": "must be text"})
    config = _config()
    shown = by_hand.preview_text(
        _customer(body, config), template, PreviewLinks(services().settings.short_link_base)
    )
    return jsonify(
        {
            "text": shown.text,
            "problems": shown.problems,
            "segments": shown.segments.segments,
            "encoding": shown.segments.encoding,
        }
    )


@bp.post("/manual/customer")
@requires(CUSTOMER_PERMISSION)
def send_to_customer() -> Response:
    body = json_body()
    checked = _checked(body)
    config = _config()
    return _send(checked, config, _customer(body, config))
