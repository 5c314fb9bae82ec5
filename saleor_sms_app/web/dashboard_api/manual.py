"""The "Send SMS" popup's API: a text sent by hand to an order's customer.

The popup is the app's page opened by Saleor's order page (a manifest
extension); it authenticates with the dashboard token like the main page, and
the staff member needs MANAGE_ORDERS. Its preview uses the Rules screen's
``/preview`` (with ``order_id``) and its status the log's ``/messages/<id>``;
only the send is here. The work is :mod:`saleor_sms_app.messages.by_hand`.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from saleor_sms_app import orders
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import BadRequest
from saleor_sms_app.links import LinkCollector
from saleor_sms_app.messages import by_hand
from saleor_sms_app.messages.send_jobs import enqueue_send
from saleor_sms_app.models import MessageStatus
from saleor_sms_app.saleor.tenants import saleor_client
from saleor_sms_app.web.dashboard_api.access import current_user, json_body, requires, services

bp = Blueprint("manual", __name__)

#: Saleor's permission to see and change orders: who may text an order's customer.
ORDER_PERMISSION = "MANAGE_ORDERS"


@bp.post("/manual/order")
@requires(ORDER_PERMISSION)
def send_to_order() -> Response:
    """Log and queue one text to the order's customer; the same key answers the same message."""
    body = json_body()
    template = by_hand.checked_text(body.get("text"))
    key = by_hand.checked_key(body.get("idempotency_key"))
    order_id = body.get("order_id")
    if not isinstance(order_id, str) or not order_id.strip():
        raise BadRequest("order_id is required", details={"order_id": "required"})
    user = current_user()
    svc = services()
    snapshot = orders.fetch_order(saleor_client(svc, user.tenant), order_id.strip())
    config = ConfigStore(svc).load(user.tenant)
    links = LinkCollector(svc.settings.short_link_base)
    fields = by_hand.compose_for_order(config, snapshot, template, links, user.tenant.saleor_domain)
    with session_scope(svc.sessions) as session:
        sent = by_hand.log_hand_sent(
            session, user.tenant_id, snapshot, fields, links, key=key, sent_by=user.email
        )
    if sent.new and sent.status == MessageStatus.QUEUED.value:
        enqueue_send(svc, sent.message_id)
    return jsonify(sent.to_json())
