"""The Rules screen's API: recent orders and live preview for the editor, last sends."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic import ValidationError

from saleor_sms_app.automations.conditions import failing_rule_condition
from saleor_sms_app.automations.rules import template_for
from saleor_sms_app.config.model import Rule
from saleor_sms_app.errors import BadRequest, InvalidConfiguration
from saleor_sms_app.message_log import queries
from saleor_sms_app.message_templates import order_tokens
from saleor_sms_app.message_templates.links import PreviewLinks
from saleor_sms_app.saleor import orders
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION
from saleor_sms_app.saleor.tenants import saleor_client
from saleor_sms_app.web.dashboard_api.access import current_user, json_body, requires, services
from saleor_sms_app.web.dashboard_api.configuration import field_messages

bp = Blueprint("rules", __name__)


@bp.get("/orders/recent")
@requires(READ_PERMISSION)
def recent_orders() -> Response:
    """The merchant's latest orders, to pick one for the preview."""
    client = saleor_client(services(), current_user().tenant)
    return jsonify({"orders": [asdict(o) for o in orders.recent_orders(client)]})


@bp.post("/preview")
@requires(READ_PERMISSION)
def preview() -> Response:
    """Render a template against a chosen real order (or the sample one); never a 500."""
    body = json_body()
    template = body.get("template")
    if not isinstance(template, str):
        raise BadRequest("template must be text", details={"template": "must be text"})
    rule = _preview_rule(body.get("rule"))
    order_id = body.get("order_id")
    context = None
    failing = None
    order_language: str | None = None
    if isinstance(order_id, str) and order_id:
        client = saleor_client(services(), current_user().tenant)
        snapshot = orders.fetch_order(client, order_id)
        context = order_tokens.order_context(
            snapshot.order, shop_name=snapshot.shop_name or current_user().tenant.saleor_domain
        )
        failing = failing_rule_condition(rule, snapshot.order) if rule else None
        order_language = str(snapshot.order.get("languageCodeEnum") or "") or None
    opt_out = body.get("opt_out_line") if body.get("marketing") is True else ""
    result = order_tokens.preview(
        template,
        context,
        links=PreviewLinks(services().settings.short_link_base),
        opt_out_line=opt_out if isinstance(opt_out, str) else "",
    )
    info = result.segments
    return jsonify(
        {
            "text": result.text,
            "problems": result.problems,
            "encoding": info.encoding,
            "segments": info.segments,
            "units": info.units,
            "remaining": info.remaining,
            "unicode_characters": list(info.unicode_characters),
            "sample": context is None,
            # Whether the picked order meets the rule's conditions, and if not, which fails.
            "matches": None if rule is None or context is None else failing is None,
            "failing": failing,
            # The picked order's language and which of the rule's texts it gets
            # (None: the default text), so the editor can open that tab.
            "order_language": order_language,
            "text_language": (
                template_for(rule, order_language)[1] if rule and order_language else None
            ),
        }
    )


def _preview_rule(document: Any) -> Rule | None:
    """The rule being edited, sent with the preview to check its conditions; 422 per field."""
    if document is None:
        return None
    try:
        return Rule.model_validate(document)
    except ValidationError as exc:
        details = {f"rule.{k}": v for k, v in field_messages(exc).items()}
        raise InvalidConfiguration(
            "The rule has fields that are not valid.", details=details
        ) from None


@bp.get("/rules/last-sent")
@requires(READ_PERMISSION)
def rules_last_sent() -> Response:
    with services().sessions() as session:
        last = queries.last_sent_by_rule(session, current_user().tenant_id)
    return jsonify({"last_sent": last})
