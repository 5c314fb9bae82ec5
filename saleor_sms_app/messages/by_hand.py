"""A text a staff member sends by hand from Saleor's order or customer page ("Send SMS").

The popup (a manifest extension on ``ORDER_DETAILS_MORE_ACTIONS`` or
``CUSTOMER_DETAILS_MORE_ACTIONS``) sends free text or a rule's template; here it
becomes one row of the message log like any other message: rendered in the
sandbox with this order's (or customer's) tokens, checked
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

from saleor_sms_app.campaigns.customers import LEFT_OUT_REASONS, Person
from saleor_sms_app.campaigns.store import campaign_context
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.consent.suppressions import is_suppressed
from saleor_sms_app.errors import BadRequest, InvalidPhoneNumber, TemplateError
from saleor_sms_app.message_templates.links import LinkCollector, LinkMaker, store_links
from saleor_sms_app.message_templates.order_tokens import Preview, order_context, preview
from saleor_sms_app.message_templates.sandbox import render
from saleor_sms_app.messages.log import insert_message
from saleor_sms_app.messages.rule_messages import OPTED_OUT, order_columns
from saleor_sms_app.messages.texts import compose_text
from saleor_sms_app.models import Message, MessageStatus, RecipientType
from saleor_sms_app.recipients.phones import customer_phone
from saleor_sms_app.saleor.orders import OrderSnapshot
from saleor_sms_app.segments import MAX_TYPED_CHARS

#: The log's event for a text sent by hand from Saleor's pages.
MANUAL_EVENT = "MANUAL"
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
    if len(text) > MAX_TYPED_CHARS:
        raise BadRequest(
            f"the text is longer than {MAX_TYPED_CHARS} characters",
            details={"text": f"at most {MAX_TYPED_CHARS} characters"},
        )
    return text.strip()


def checked_key(key: object) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise BadRequest(
            "idempotency_key must be 8 to 64 letters, digits, - or _",
            details={"idempotency_key": "required"},
        )
    return key


@dataclass(frozen=True)
class HandRecipient:
    """Who the popup texts: the number (E.164), what templates see, the log's columns."""

    phone: str
    context: dict[str, Any]
    columns: dict[str, Any]


def order_recipient(config: AppConfig, snapshot: OrderSnapshot, shop: str) -> HandRecipient:
    """The order's customer (the phone found as for rules); 400 naming ``order_id``."""
    order = snapshot.order
    try:
        found = customer_phone(order, config.settings)
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
    return HandRecipient(found[1], context, order_columns(order, order.get("id")))


def customer_recipient(person: Person, shop_name: str) -> HandRecipient:
    """A customer of the customer page (phone as for campaigns; consent is for
    marketing and not asked here); 400 naming ``customer_id`` without a usable phone."""
    if not person.phone:
        reason = LEFT_OUT_REASONS.get(person.left_out or "no_phone", "no phone number")
        raise BadRequest(
            f"the customer cannot be texted: {reason}", details={"customer_id": reason}
        )
    return HandRecipient(person.phone, campaign_context(person, shop_name), {})


def preview_text(recipient: HandRecipient, template: str, links: LinkMaker) -> Preview:
    """The text as this recipient would get it, with its problems (never raises)."""
    return preview(template, recipient.context, links=links)


def compose_for(
    config: AppConfig, recipient: HandRecipient, template: str, links: LinkCollector
) -> dict[str, Any]:
    """Phone, body, segments and status of the text; 400 naming ``text`` when it cannot render."""
    try:
        rendered = render(template, recipient.context)
    except TemplateError as exc:
        raise BadRequest(
            f"the text is not valid: {exc.message}", details={"text": exc.message}
        ) from None
    if not rendered:
        raise BadRequest("the text is empty here", details={"text": "renders to no text"})
    return compose_text(
        config.settings,
        recipient.phone,
        template,
        recipient.context,
        links,
        marketing=False,
        fix_hint="",
    )


def log_hand_sent(
    session: Session,
    tenant_id: int,
    recipient: HandRecipient,
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
        **recipient.columns,
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
