"""Who the staff user is and what the editors can offer (every screen loads these first)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from saleor_sms_app.anniversaries.tables import DAILY_SEND_EVENT
from saleor_sms_app.campaigns.tables import CAMPAIGN_EVENT
from saleor_sms_app.inbound.receiving import HELP_REPLY_EVENT, INBOUND_EVENT
from saleor_sms_app.message_templates import order_tokens
from saleor_sms_app.messages.by_hand import MANUAL_EVENT
from saleor_sms_app.models import MessageStatus
from saleor_sms_app.provider_checks.balance import LOW_BALANCE_EVENT
from saleor_sms_app.provider_checks.testmessage import TEST_EVENT
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION, WRITE_PERMISSION
from saleor_sms_app.saleor.events import EVENTS, ORDER_STATUSES
from saleor_sms_app.web.dashboard_api.access import current_user, requires

bp = Blueprint("metadata", __name__)


@bp.get("/me")
@requires(READ_PERMISSION)
def me() -> Response:
    user = current_user()
    return jsonify(
        {
            "email": user.email,
            "saleor_api_url": user.saleor_api_url,
            "can_configure": WRITE_PERMISSION in user.permissions,
            "expires_at": user.expires_at,
        }
    )


def provider_types() -> list[dict[str, Any]]:
    """Every registered provider with its form fields (labels only, no values)."""
    from saleor_sms_app.providers import PROVIDERS, provider_class

    types = []
    for name in PROVIDERS:
        cls = provider_class(name)
        types.append(
            {
                "type": cls.name,
                "label": cls.label,
                "receives_inbound": cls.receives_inbound,
                "fields": [
                    {
                        "name": f.name,
                        "label": f.label,
                        "secret": f.secret,
                        "required": f.required,
                        "help": f.help,
                        "default": f.default,
                    }
                    for f in cls.fields
                ],
            }
        )
    return types


@bp.get("/metadata")
@requires(READ_PERMISSION)
def metadata() -> Response:
    """What the editors offer: events, order statuses, provider types, template tokens."""
    return jsonify(
        {
            "events": [{"name": e.name, "label": e.label} for e in EVENTS if e.for_rules],
            "log_events": log_events(),
            "order_statuses": list(ORDER_STATUSES),
            "message_statuses": [s.value for s in MessageStatus],
            "providers": provider_types(),
            "tokens": template_tokens(),
        }
    )


#: Texts the app starts itself, under the event their message-log rows carry.
APP_EVENTS: tuple[tuple[str, str], ...] = (
    (CAMPAIGN_EVENT, "Campaigns"),
    (DAILY_SEND_EVENT, "Daily sends (birthdays, anniversaries)"),
    (MANUAL_EVENT, "Sent by hand"),
    (TEST_EVENT, "Test message"),
    (INBOUND_EVENT, "Texts from customers"),
    (HELP_REPLY_EVENT, "Answers to HELP"),
    (LOW_BALANCE_EVENT, "Low-balance alerts"),
)


def log_events() -> list[dict[str, str]]:
    """The message log's other events, after the rules' ones: without them its filter could not
    find a campaign's, a daily send's, a reminder's or a stock alert's texts. Reminders and
    stock alerts log the Saleor event that started them."""
    saleor = [
        {"name": e.name, "label": e.label}
        for e in EVENTS
        if not e.for_rules and e.subject in ("checkout", "stock")
    ]
    return saleor + [{"name": name, "label": label} for name, label in APP_EVENTS]


def template_tokens() -> list[dict[str, Any]]:
    """The token catalogue for the picker, with examples from a sample order."""
    return [
        {"name": t.name, "description": t.description, "example": t.example}
        for t in order_tokens.TOKENS
    ]
