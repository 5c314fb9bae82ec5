"""One message of a rule to one recipient, as a log row not yet written.

:func:`compose_message` decides a message's phone, text and status
(``queued``, or ``skipped``/``failed`` with the reason the merchant reads in
the log); :func:`compose_rows` and :func:`log_rows` do it for many messages at
once and write them in a few statements. Both the webhook path
(:mod:`saleor_sms_app.messages.composing`) and the delayed rules
(:mod:`saleor_sms_app.automations.delayed`) compose through here, so a message
is the same whichever way it comes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from saleor_sms_app.automations.caps import over_cap
from saleor_sms_app.automations.rules import Match, Recipient, is_marketing, template_for
from saleor_sms_app.config.model import AppConfig, ShopSettings
from saleor_sms_app.consent.suppressions import is_suppressed, suppressed_numbers
from saleor_sms_app.errors import InvalidPhoneNumber
from saleor_sms_app.message_templates.links import LinkCollector, LinkMaker, store_links
from saleor_sms_app.message_templates.order_tokens import order_context
from saleor_sms_app.messages.keys import message_dedupe_key
from saleor_sms_app.messages.log import insert_messages
from saleor_sms_app.messages.texts import compose_text, not_sent
from saleor_sms_app.models import Message, MessageStatus, RecipientType
from saleor_sms_app.recipients.phones import customer_phone, staff_phone
from saleor_sms_app.saleor.orders import OrderSnapshot
from saleor_sms_app.saleor.tenants import TenantRecord


def order_columns(order: Mapping[str, Any], order_id: object) -> dict[str, Any]:
    """The order's columns of a log row, from the fetched order or the webhook's fields."""
    channel = order.get("channel")
    return {
        "order_id": str(order.get("id") or order_id),
        "order_number": str(order.get("number") or "") or None,
        "channel": str(channel.get("slug") or "") or None if isinstance(channel, Mapping) else None,
    }


def rule_columns(match: Match, recipient: Recipient) -> dict[str, Any]:
    return {
        "rule_id": match.rule.id,
        "rule_name": match.rule.name,
        "recipient_type": recipient.type.value,
        "marketing": is_marketing(match.rule),
    }


@dataclass(frozen=True)
class Occasion:
    """The happening of an event that rules answer: what a delayed run keeps to answer it later."""

    event: str
    occurrence: str
    fulfillment_id: str | None = None
    notify_customer: bool | None = None

    def as_payload(self) -> dict[str, Any]:
        return {
            "occurrence": self.occurrence,
            "fulfillment_id": self.fulfillment_id,
            "notify_customer": self.notify_customer,
        }

    @classmethod
    def from_payload(cls, event: str, payload: Mapping[str, Any]) -> Occasion:
        notify = payload.get("notify_customer")
        return cls(
            event,
            str(payload.get("occurrence") or ""),
            str(payload.get("fulfillment_id") or "") or None,
            notify if isinstance(notify, bool) else None,
        )


@dataclass(frozen=True)
class Composed:
    """A log row not yet written, with the short links its text made (stored with the row)."""

    row: dict[str, Any]
    links: LinkCollector


def compose_rows(
    tenant: TenantRecord,
    config: AppConfig,
    snapshot: OrderSnapshot,
    matches: list[Match],
    occasion: Occasion,
    short_link_base: str,
) -> list[Composed]:
    """The log rows (not yet written) of one order's matching rules × recipients."""
    if not matches:
        return []
    order = snapshot.order
    needs_context = any(not r.skip_code for m in matches for r in m.recipients)
    context = (
        order_context(
            order,
            shop_name=snapshot.shop_name,
            fulfillment_id=occasion.fulfillment_id,
            phone_metadata_key=config.settings.phone_metadata_key,
        )
        if needs_context
        else {}
    )
    base = {"tenant_id": tenant.id, "event": occasion.event, **order_columns(order, "")}
    composed: list[Composed] = []
    for match in matches:
        for recipient in match.recipients:
            links = LinkCollector(short_link_base)
            row = {
                **base,
                "dedupe_key": message_dedupe_key(occasion.occurrence, match.rule.id, recipient),
                **rule_columns(match, recipient),
                **compose_message(config, order, context, match, recipient, links),
            }
            composed.append(Composed(row, links))
    return composed


def log_rows(
    session: Session,
    tenant_id: int,
    composed: list[Composed],
    settings: ShopSettings,
    now: datetime,
) -> tuple[list[int], list[int]]:
    """Write composed rows: (ids of new rows, ids of rows to send), in few statements.

    A ``queued`` row to a number on the do-not-text list is logged ``skipped``,
    and so is a marketing one past the number's caps (counting the batch's own).
    A row already logged by an earlier run of the same occasion is not logged
    again; if it is still ``queued`` (that run died before sending it), it is
    sent now, and only a ``queued`` row can be claimed, so never twice.
    """
    if not composed:
        return [], []
    rows = [c.row for c in composed]
    for row in rows:
        row["created_at"] = now  # the clock's time, which the marketing caps count back from
    queued = MessageStatus.QUEUED.value
    blocked = suppressed_numbers(
        session, tenant_id, {r["phone"] for r in rows if r["status"] == queued}
    )
    batch: dict[str, int] = {}
    for row in rows:
        if row["status"] == queued and row["phone"] in blocked:
            row.update(OPTED_OUT)
        elif row["status"] == queued and row.get("marketing"):
            reason = over_cap(session, tenant_id, row["phone"], settings, now, batch)
            if reason is not None:
                row.update(capped(reason))
            else:
                batch[row["phone"]] = batch.get(row["phone"], 0) + 1
    new = insert_messages(session, rows)
    for item in composed:
        new_id = new.get(item.row["dedupe_key"])
        if new_id is not None:
            store_links(session, tenant_id, new_id, item.links.made)
    created = [new[r["dedupe_key"]] for r in rows if r["dedupe_key"] in new]
    to_send = [
        new[r["dedupe_key"]] for r in rows if r["dedupe_key"] in new and r["status"] == queued
    ]
    earlier = [r["dedupe_key"] for r in rows if r["dedupe_key"] not in new]
    if earlier:
        to_send += session.scalars(
            select(Message.id).where(
                Message.tenant_id == tenant_id,
                Message.dedupe_key.in_(earlier),
                Message.status == queued,
            )
        ).all()
    return created, to_send


#: What a ``queued`` message to a number on the do-not-text list becomes.
OPTED_OUT = {
    "status": MessageStatus.SKIPPED.value,
    "error_code": "opted_out",
    "error_text": "The number is on the do-not-text list",
}


def capped(reason: str) -> dict[str, Any]:
    """What a ``queued`` marketing message past the number's caps becomes."""
    return {
        "status": MessageStatus.SKIPPED.value,
        "error_code": "marketing_cap",
        "error_text": reason,
        "error_hint": "Raise or clear the marketing caps in Settings to text a number more often.",
    }


def compose_checked(
    session: Session,
    tenant_id: int,
    config: AppConfig,
    now: datetime,
    order: Mapping[str, Any],
    context: Mapping[str, Any],
    match: Match,
    recipient: Recipient,
    links: LinkMaker,
) -> dict[str, Any]:
    """:func:`compose_message` for one message logged on its own: the do-not-text list
    and, for a marketing text, the number's caps checked now."""
    fields = compose_message(config, order, context, match, recipient, links)
    if fields["status"] != MessageStatus.QUEUED.value:
        return fields
    if is_suppressed(session, tenant_id, fields["phone"]):
        fields.update(OPTED_OUT)
    elif is_marketing(match.rule):
        reason = over_cap(session, tenant_id, fields["phone"], config.settings, now)
        if reason is not None:
            fields.update(capped(reason))
    return fields


def compose_message(
    config: AppConfig,
    order: Mapping[str, Any],
    context: Mapping[str, Any],
    match: Match,
    recipient: Recipient,
    links: LinkMaker,
) -> dict[str, Any]:
    """Phone, body and status of one message: ``queued``, or why it is not sent.

    A marketing rule's text ends with the shop's opt-out line.
    """
    settings = config.settings
    if recipient.skip_code:
        return not_sent(MessageStatus.SKIPPED, recipient.skip_code, recipient.skip_reason or "")
    try:
        if recipient.type == RecipientType.CUSTOMER:
            found = customer_phone(order, settings)
            if found is None:
                return not_sent(
                    MessageStatus.SKIPPED,
                    "no_phone",
                    "The order has no phone number (shipping, billing or customer metadata "
                    f"key {settings.phone_metadata_key!r})",
                    hint="Make the phone field required at checkout to reach every customer.",
                )
            phone = found[1]
        else:
            phone = staff_phone(recipient.number, settings)
    except InvalidPhoneNumber as exc:
        raw = str((exc.details or {}).get("raw", ""))
        return not_sent(
            MessageStatus.SKIPPED,
            "invalid_number",
            exc.message,
            phone=raw,
            hint="Check the number, or set the default country for numbers without a prefix.",
        )
    template, _ = template_for(match.rule, order.get("languageCodeEnum"))
    return compose_text(
        settings,
        phone,
        template,
        context,
        links,
        marketing=match.rule.marketing,
        fix_hint=f"Fix the template of the rule {match.rule.name!r} in the app.",
    )
