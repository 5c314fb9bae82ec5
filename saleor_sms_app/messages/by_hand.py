"""A text a staff member sends by hand from Saleor's order page (the "Send SMS" popup).

The popup (a manifest extension on ``ORDER_DETAILS_MORE_ACTIONS``) sends free
text or a rule's template; here it becomes one row of the message log like any
other message: rendered in the sandbox with this order's tokens, checked
against the do-not-text list, logged with event ``MANUAL`` and who sent it, and
handed to the same send job as a rule's message. Logged at most once per
idempotency key the popup made, so a double click on Send texts the customer once.

Bad input (empty text, a template error, an order without a usable phone)
raises :class:`BadRequest` naming the field, before anything is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.errors import BadRequest, InvalidPhoneNumber, TemplateError
from saleor_sms_app.links import LinkCollector, store_links
from saleor_sms_app.messages.log import insert_message
from saleor_sms_app.messages.rule_messages import OPTED_OUT, order_columns
from saleor_sms_app.messages.texts import compose_text
from saleor_sms_app.models import Message, MessageStatus, RecipientType
from saleor_sms_app.orders import OrderSnapshot
from saleor_sms_app.phones import customer_phone
from saleor_sms_app.rendering import order_context, render
from saleor_sms_app.suppressions import is_suppressed

#: The log's event for a text sent by hand from Saleor's pages.
MANUAL_EVENT = "MANUAL"
#: Longest text accepted (ten concatenated GSM-7 parts), as for test messages.
MAX_CHARS = 1530
#: What the popup sends as its idempotency key: a random id it made when opened.
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def sent_by_label(email: str) -> str:
    """The log's rule column for a text sent by hand: who sent it (the staff email)."""
    return f"Sent by hand by {email}"[:255]


@dataclass(frozen=True)
class HandSent:
    """The logged message: its id and status now (``queued`` unless skipped)."""

    message_id: int
    status: str
    #: False when this idempotency key had already logged the message (a double click).
    new: bool
    error_text: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "status": self.status,
            "new": self.new,
            "errorText": self.error_text,
        }


def checked_text(text: object) -> str:
    """The template the popup sent, or 400 naming ``text``."""
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("the text is empty", details={"text": "write a text to send"})
    if len(text) > MAX_CHARS:
        raise BadRequest(
            f"the text is longer than {MAX_CHARS} characters",
            details={"text": f"at most {MAX_CHARS} characters"},
        )
    return text.strip()


def checked_key(key: object) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise BadRequest(
            "idempotency_key must be 8 to 64 letters, digits, - or _",
            details={"idempotency_key": "required"},
        )
    return key


def compose_for_order(
    config: AppConfig, snapshot: OrderSnapshot, template: str, links: LinkCollector, shop: str
) -> dict[str, Any]:
    """Phone, body, segments and status of the text to the order's customer; 400 per field."""
    order = snapshot.order
    settings = config.settings
    try:
        found = customer_phone(order, settings)
    except InvalidPhoneNumber as exc:
        raise BadRequest(
            f"the order's phone number is not usable: {exc.message}",
            details={"order_id": f"the customer's phone number is not usable: {exc.message}"},
        ) from None
    if found is None:
        raise BadRequest(
            "the order has no phone number",
            details={"order_id": "the order has no phone number (shipping, billing or metadata)"},
        )
    context = order_context(order, shop_name=snapshot.shop_name or shop)
    try:
        rendered = render(template, context)
    except TemplateError as exc:
        raise BadRequest(
            f"the text is not valid: {exc.message}", details={"text": exc.message}
        ) from None
    if not rendered:
        raise BadRequest("the text is empty for this order", details={"text": "renders to no text"})
    return compose_text(settings, found[1], template, context, links, marketing=False, fix_hint="")


def log_hand_sent(
    session: Session,
    tenant_id: int,
    snapshot: OrderSnapshot,
    fields: dict[str, Any],
    links: LinkCollector,
    *,
    key: str,
    sent_by: str,
) -> HandSent:
    """Log the message once per ``key``; the do-not-text list turns it into ``skipped``."""
    dedupe_key = f"manual:{key}"
    if fields["status"] == MessageStatus.QUEUED.value and is_suppressed(
        session, tenant_id, fields["phone"]
    ):
        fields = {**fields, **OPTED_OUT}
    row = {
        **order_columns(snapshot.order, snapshot.order.get("id")),
        **fields,
        "tenant_id": tenant_id,
        "dedupe_key": dedupe_key,
        "event": MANUAL_EVENT,
        "recipient_type": RecipientType.CUSTOMER.value,
        "rule_name": sent_by_label(sent_by),
    }
    new_id = insert_message(session, row)
    if new_id is not None:
        store_links(session, tenant_id, new_id, links.made)
        return HandSent(new_id, row["status"], True, row.get("error_text"))
    earlier = session.scalars(
        select(Message).where(Message.tenant_id == tenant_id, Message.dedupe_key == dedupe_key)
    ).one()
    return HandSent(earlier.id, earlier.status, False, earlier.error_text)
