"""The "Send SMS" popups' API: a text sent by hand to an order's customer, a customer,
or the customers ticked in Saleor's customer list.

The popups are the app's page opened by Saleor's order and customer pages and the
customer list (manifest extensions); they authenticate with the dashboard token like
the main page, and each asks for the permission of its own resource only: an
order's customer needs MANAGE_ORDERS (its preview is the Rules screen's
``/preview`` with ``order_id``), a customer or ticked customers MANAGE_USERS. So a
staff member who may manage customers but not orders can text a customer, and
nothing of the main page (which needs MANAGE_ORDERS) is asked for:

- ``GET /manual/<order|customer|customers>/start`` — who is signed in and the
  rules' templates to start from;
- ``GET /manual/<order|customer>/messages/<id>`` — the status of a text sent by hand;
- ``POST /manual/customers/preview|estimate`` and ``POST /manual/customers`` — the
  ticked customers as a small campaign: who would get it and who is left out and
  why (the Campaigns screen's audience preview), segments and cost, then the
  campaign itself (sent now, listed under Campaigns, its rows logged as sent by
  hand by this staff member); ``GET /manual/customers/<id>`` its progress.

The work is :mod:`saleor_sms_app.messages.by_hand` and :mod:`saleor_sms_app.campaigns`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify

from saleor_sms_app.campaigns import audience as audiences
from saleor_sms_app.campaigns import customers, store
from saleor_sms_app.campaigns.customers import fetch_customer
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import BadRequest, NotFound
from saleor_sms_app.message_templates.links import LinkCollector, PreviewLinks
from saleor_sms_app.messages import by_hand
from saleor_sms_app.messages.send_jobs import enqueue_send
from saleor_sms_app.models import Message, MessageStatus
from saleor_sms_app.saleor import orders
from saleor_sms_app.saleor.tenants import saleor_client
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK
from saleor_sms_app.web.dashboard_api.access import (
    current_user,
    json_body,
    requires,
    services,
    tenant_config,
)
from saleor_sms_app.web.dashboard_api.campaigns import (
    CheckedSend,
    preview_audience,
    recipients_count,
    send_once,
)

bp = Blueprint("manual", __name__)

#: Saleor's permission to see and change orders: who may text an order's customer.
ORDER_PERMISSION = "MANAGE_ORDERS"
#: Saleor's permission to see and change customers: who may text a customer.
CUSTOMER_PERMISSION = "MANAGE_USERS"
#: What each popup (``/manual/<popup>/…``) needs: the permission of its resource.
POPUP_PERMISSIONS = {
    "order": ORDER_PERMISSION,
    "customer": CUSTOMER_PERMISSION,
    "customers": CUSTOMER_PERMISSION,
}


def _id(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} is required", details={name: "required"})
    return value.strip()


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
    config = tenant_config()
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
    config = tenant_config()
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
    config = tenant_config()
    return _send(checked, config, _customer(body, config))


def _start() -> Response:
    """What a popup needs before anything else: who is signed in, the rules' templates."""
    rules = [
        {"id": rule.id, "name": rule.name, "template": rule.template}
        for rule in tenant_config().rules
        if rule.template.strip()
    ]
    return jsonify({"email": current_user().email, "rules": rules})


def _message_status(message_id: int) -> Response:
    """The status of a text sent by hand (no number, no body: only what the popup shows)."""
    with services().sessions() as session:
        found = session.get(Message, message_id)
        if found is None or found.tenant_id != current_user().tenant_id:
            raise NotFound("No such message in this shop", code="message_not_found")
        if found.event != by_hand.MANUAL_EVENT:
            raise NotFound("Not a text sent by hand", code="message_not_found")
        return jsonify({"status": found.status, "error_text": found.error_text})


# One route per popup, each behind the permission of its own resource.
for _kind, _permission in POPUP_PERMISSIONS.items():
    bp.add_url_rule(
        f"/manual/{_kind}/start",
        endpoint=f"start_{_kind}",
        view_func=requires(_permission)(_start),
        methods=["GET"],
    )
    if _kind != "customers":
        bp.add_url_rule(
            f"/manual/{_kind}/messages/<id:message_id>",
            endpoint=f"message_status_{_kind}",
            view_func=requires(_permission)(_message_status),
            methods=["GET"],
        )


def _picked(body: dict[str, Any]) -> audiences.Audience:
    """The ticked customers of a request; 400 naming ``customer_ids`` when there are none."""
    audience = audiences.Audience.from_json({"customer_ids": body.get("customer_ids")})
    if not audience.picked:
        raise BadRequest(
            "customer_ids: tick at least one customer in Saleor's customer list",
            details={"customer_ids": "required"},
        )
    return audience


def _campaign_text(body: dict[str, Any], config: AppConfig) -> str:
    """The popup's text checked as a campaign's template; 400 naming ``text``."""
    text = by_hand.checked_text(body.get("text"))
    try:
        return store.check_template(text, config, services().settings.short_link_base)
    except BadRequest as exc:
        reason = exc.message.removeprefix("template: ")
        raise BadRequest(reason, details={"text": reason}) from None


@bp.post("/manual/customers/preview")
@requires(CUSTOMER_PERMISSION)
def preview_picked() -> Response:
    """Who of the ticked customers would get the text, and who is left out and why."""
    audience = _picked(json_body())
    found = preview_audience(audience, tenant_config(), pages=1)
    return jsonify({**found.as_json(), "ticked": len(audience.customer_ids)})


@bp.post("/manual/customers/estimate")
@requires(CUSTOMER_PERMISSION)
def estimate_picked() -> Response:
    """The text (with the opt-out line) for the first ticked customer who can get it,
    else a sample customer; its segments and the cost."""
    body = json_body()
    recipients = recipients_count(body)
    config = tenant_config()
    template = _campaign_text(body, config)
    sample: dict[str, Any] = {}
    if body.get("customer_ids") is not None:
        # The text as the first ticked customer who can get it will read it, in this shop.
        page = customers.read_page(
            saleor_client(services(), current_user().tenant), _picked(body), config.settings, None
        )
        sample["shop_name"] = page.shop_name or current_user().tenant.saleor_domain
        first = next((p for p in page.people if p.left_out is None), None)
        if first is not None:
            sample["person"] = first
    with services().sessions() as session:
        found = store.estimate(
            session,
            current_user().tenant_id,
            template,
            config,
            services().settings.short_link_base,
            **sample,
        )
    return jsonify(found.as_json(recipients))


@bp.post("/manual/customers")
@requires(CUSTOMER_PERMISSION)
def send_to_picked() -> Response:
    """The ticked customers as a small campaign sent now; one campaign per popup key."""
    body = json_body()

    def check(config: AppConfig, now: datetime) -> CheckedSend:
        template = _campaign_text(body, config)
        audience = _picked(body)
        found = preview_audience(audience, config, pages=1)
        if found.tally.would_get == 0:
            raise BadRequest(
                "customer_ids: none of the ticked customers can get the text",
                code="empty_audience",
                details={
                    "customer_ids": "nobody can get it",
                    "left_out": found.as_json()["left_out"],
                },
            )
        count = len(audience.customer_ids)
        name = f"{count} customer{'s' if count != 1 else ''} ticked in Saleor"
        recipients = store.Recipients(audience, None, [], 0)
        return CheckedSend(name, template, recipients, now, found.total)

    return send_once(body, check)


@bp.get("/manual/customers/<id:campaign_id>")
@requires(CUSTOMER_PERMISSION)
def picked_progress(campaign_id: int) -> Response:
    """The progress of a popup's campaign (only those: other campaigns need MANAGE_ORDERS)."""
    now = SYSTEM_CLOCK.now()
    with services().sessions() as session:
        campaign = store.find(session, current_user().tenant_id, campaign_id)
        if campaign is None or not audiences.Audience.from_json(campaign.audience or {}).picked:
            raise NotFound(
                "No such campaign sent from the customer list", code="campaign_not_found"
            )
        return jsonify({"campaign": store.campaign_json(session, campaign, now)})
