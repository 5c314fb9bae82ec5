"""The personal data in the message log: one number's erasure and export, and retention.

A European shop must be able to forget a customer (a deleted account, or a
request to the merchant), to say what it holds about one number, and to keep
texts no longer than it needs. Phone numbers and texts live in the message log
(``messages``), the providers' answers (``message_attempts``), the delivery
reports as received (``delivery_reports``) and the do-not-text list
(``suppressions``).

Erasure blanks rather than deletes the log rows: the shop keeps that a message
went out, when, for which order, at what cost (its invoice from the provider
says so anyway) and the chart stays true, but not to whom or what it said.
Everything here is framework-free and takes a session; the caller commits and
logs the action, never the number.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ColumnElement

from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import InvalidPhoneNumber, SmsAppError
from saleor_sms_app.message_log.rows import iso_time
from saleor_sms_app.models import (
    DeliveryReport,
    Message,
    MessageAttempt,
    PendingDeliveryReport,
    ShortLink,
    Suppression,
    Tenant,
)
from saleor_sms_app.recipients.phones import metadata_dict, normalise
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

#: What a blanked phone or text becomes.
BLANK = ""
#: Rows handled per retention transaction: short enough never to hold the log's
#: writers up for long (a worker's send waits at most one batch on SQLite).
RETENTION_BATCH = 500

RetentionMode = Literal["delete", "blank"]


def _changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE/DELETE on the session's connection; how many rows it changed."""
    return int(session.connection().execute(statement).rowcount or 0)


def number_forms(phone: str) -> tuple[str, ...]:
    """How one number can appear in stored text: E.164 and its bare digits."""
    digits = re.sub(r"\D", "", phone)
    return tuple(dict.fromkeys(f for f in (phone.strip(), "+" + digits, digits) if len(f) >= 6))


def _mentions(column: Any, forms: Sequence[str]) -> ColumnElement[bool]:
    return or_(*[column.contains(form, autoescape=True) for form in forms])


def messages_of(session: Session, tenant_id: int, phone: str) -> list[int]:
    """Ids of the tenant's messages to ``phone``, or whose text or reason mentions it."""
    forms = number_forms(phone)
    if not forms:
        return []
    statement = select(Message.id).where(
        Message.tenant_id == tenant_id,
        or_(
            Message.phone.in_(forms),
            _mentions(Message.body, forms),
            _mentions(Message.error_text, forms),
            _mentions(Message.error_hint, forms),
        ),
    )
    return list(session.scalars(statement))


def _reports_of(
    session: Session, tenant_id: int, message_ids: Sequence[int], forms: Sequence[str]
) -> ColumnElement[bool]:
    return (DeliveryReport.tenant_id == tenant_id) & or_(
        DeliveryReport.message_id.in_(message_ids),
        _mentions(cast(DeliveryReport.raw, String), forms),
    )


@dataclass(frozen=True)
class Erased:
    """How much was erased (the log line and the page say this, never the number)."""

    messages: int
    attempts: int
    delivery_reports: int
    suppressions: int
    #: Reports still waiting for their message, and tracked links, that named the number.
    pending_reports: int = 0
    short_links: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "messages": self.messages,
            "attempts": self.attempts,
            "delivery_reports": self.delivery_reports,
            "suppressions": self.suppressions,
            "pending_reports": self.pending_reports,
            "short_links": self.short_links,
        }


def erase_number(session: Session, tenant_id: int, phone: str) -> Erased:
    """Blank every message, attempt answer and delivery report holding ``phone`` or the
    texts sent to it, and drop it from the do-not-text list. The caller commits."""
    forms = number_forms(phone)
    ids = messages_of(session, tenant_id, phone)
    messages = attempts = 0
    for start in range(0, len(ids), RETENTION_BATCH):
        chunk = ids[start : start + RETENTION_BATCH]
        messages += _blank_messages(session, chunk)
        attempts += _blank_attempts(session, chunk)
    reports = _changed(
        session,
        update(DeliveryReport).where(_reports_of(session, tenant_id, ids, forms)).values(raw=None),
    )
    suppressions = _changed(
        session,
        delete(Suppression).where(Suppression.tenant_id == tenant_id, Suppression.phone.in_(forms)),
    )
    # A report still waiting for its message keeps the provider's normalised
    # report, which can name the number: dropped, it would only ever be applied
    # to a message just blanked. A tracked link's address is the merchant's, but
    # a template may have put the customer's number in it: such links go (their
    # code then answers 404), the others keep counting clicks.
    pending = _changed(
        session,
        delete(PendingDeliveryReport).where(
            PendingDeliveryReport.tenant_id == tenant_id,
            _mentions(cast(PendingDeliveryReport.event, String), forms),
        ),
    )
    links = _changed(
        session,
        delete(ShortLink).where(ShortLink.tenant_id == tenant_id, _mentions(ShortLink.url, forms)),
    )
    return Erased(messages, attempts, reports, suppressions, pending, links)


def _blank_messages(session: Session, ids: Sequence[int]) -> int:
    return _changed(
        session,
        update(Message)
        .where(Message.id.in_(ids))
        .values(phone=BLANK, body=BLANK, error_text=None, error_hint=None),
    )


def _blank_attempts(session: Session, ids: Sequence[int]) -> int:
    return _changed(
        session,
        update(MessageAttempt)
        .where(MessageAttempt.message_id.in_(ids))
        .values(raw_response=None, error_text=None),
    )


def export_number(session: Session, tenant_id: int, phone: str) -> dict[str, Any]:
    """Everything held for ``phone`` (a data subject's access request), as JSON-ready data."""
    forms = number_forms(phone)
    ids = messages_of(session, tenant_id, phone)
    messages = session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id))
    reports = session.scalars(
        select(DeliveryReport)
        .where(_reports_of(session, tenant_id, ids, forms))
        .order_by(DeliveryReport.id)
    )
    suppressions = session.scalars(
        select(Suppression).where(Suppression.tenant_id == tenant_id, Suppression.phone.in_(forms))
    )
    pending = session.scalars(
        select(PendingDeliveryReport)
        .where(
            PendingDeliveryReport.tenant_id == tenant_id,
            _mentions(cast(PendingDeliveryReport.event, String), forms),
        )
        .order_by(PendingDeliveryReport.id)
    )
    return {
        "phone": phone,
        "messages": [
            {
                "id": m.id,
                "created_at": iso_time(m.created_at),
                "direction": m.direction,
                "event": m.event,
                "order_number": m.order_number,
                "rule_name": m.rule_name,
                "recipient_type": m.recipient_type,
                "phone": m.phone,
                "sender": m.sender,
                "body": m.body,
                "status": m.status,
                "provider": m.provider,
                "error_text": m.error_text,
                "error_hint": m.error_hint,
                "attempts": [
                    {
                        "created_at": iso_time(a.created_at),
                        "provider": a.provider,
                        "status": a.status,
                        "error_text": a.error_text,
                        "answer": a.raw_response,
                    }
                    for a in m.attempts
                ],
            }
            for m in messages
        ],
        "delivery_reports": [
            {
                "received_at": iso_time(r.received_at),
                "message_id": r.message_id,
                "provider": r.provider,
                "status": r.status,
                "report": json.loads(json.dumps(r.raw)) if r.raw is not None else None,
            }
            for r in reports
        ],
        "pending_delivery_reports": [
            {
                "received_at": iso_time(r.received_at),
                "provider": r.provider,
                "report": json.loads(json.dumps(r.event)),
            }
            for r in pending
        ],
        "do_not_text": [
            {"reason": s.reason, "source": s.source, "created_at": iso_time(s.created_at)}
            for s in suppressions
        ],
    }


def apply_retention(
    session: Session, tenant_id: int, *, days: int, mode: RetentionMode, now: datetime
) -> int:
    """Delete or blank one batch of the tenant's messages older than ``days``; how many.

    Call it again until it returns less than :data:`RETENTION_BATCH`: each
    batch is its own short transaction, so the log's writers never wait long.
    A blanked message is not picked again.
    """
    cutoff = now - timedelta(days=days)
    old = select(Message.id).where(Message.tenant_id == tenant_id, Message.created_at < cutoff)
    if mode == "blank":
        old = old.where(or_(Message.phone != BLANK, Message.body != BLANK))
    ids = list(session.scalars(old.order_by(Message.created_at).limit(RETENTION_BATCH)))
    if not ids:
        return 0
    # A report outlives its message (message_id SET NULL): blank what it said first.
    _changed(
        session, update(DeliveryReport).where(DeliveryReport.message_id.in_(ids)).values(raw=None)
    )
    if mode == "delete":
        return _changed(session, delete(Message).where(Message.id.in_(ids)))
    _blank_attempts(session, ids)
    return _blank_messages(session, ids)


def apply_retention_everywhere(
    services: Services, *, now: datetime, max_batches: int = 200
) -> dict[int, int]:
    """Each installed shop's retention, at most ``max_batches`` batches per shop per call
    (the worker's maintenance calls it every few minutes); tenant id → messages handled.

    A shop whose configuration cannot be read now (Saleor down) is skipped
    this time: nothing is deleted on a guess.
    """
    from saleor_sms_app.config.store import ConfigStore
    from saleor_sms_app.saleor.tenants import get_tenant_by_id, installed

    with services.sessions() as session:
        tenant_ids = list(session.scalars(select(Tenant.id).where(installed())))
    done: dict[int, int] = {}
    store = ConfigStore(services)
    for tenant_id in tenant_ids:
        tenant = get_tenant_by_id(services, tenant_id)
        if tenant is None:
            continue
        try:
            settings = store.load(tenant).settings
        except SmsAppError as exc:
            log.warning("retention skipped for tenant %s: %s", tenant_id, exc.message)
            continue
        total = 0
        for _ in range(max_batches):
            with session_scope(services.sessions) as session:
                handled = apply_retention(
                    session,
                    tenant_id,
                    days=settings.retention_days,
                    mode=settings.retention_mode,
                    now=now,
                )
            total += handled
            if handled < RETENTION_BATCH:
                break
        if total:
            log.info(
                "retention: %s messages older than %s days %s for tenant %s",
                total,
                settings.retention_days,
                "deleted" if settings.retention_mode == "delete" else "blanked",
                tenant_id,
            )
            done[tenant_id] = total
    return done


def customer_numbers(user: Mapping[str, Any], metadata_key: str, country: str) -> list[str]:
    """Every phone number a Saleor user holds (its addresses and the phone metadata key),
    as E.164; numbers that cannot be read are left out (they could not have been texted)."""
    raws: list[str] = []
    for field in ("defaultShippingAddress", "defaultBillingAddress"):
        address = user.get(field)
        if isinstance(address, Mapping):
            raws.append(str(address.get("phone") or ""))
    for address in user.get("addresses") or []:
        if isinstance(address, Mapping):
            raws.append(str(address.get("phone") or ""))
    raws.append(metadata_dict(user.get("metadata")).get(metadata_key, ""))
    numbers: dict[str, None] = {}
    for raw in raws:
        if raw.strip():
            try:
                numbers[normalise(raw, country)] = None
            except InvalidPhoneNumber:
                continue
    return list(numbers)


def erase_customer(services: Services, saleor_api_url: str, payload: str) -> Erased:
    """A CUSTOMER_DELETED / ACCOUNT_DELETED webhook: erase each of the user's numbers.

    Logged with the counts and the Saleor user id, never a number. An unknown
    shop or a body without a user erases nothing.
    """
    from saleor_sms_app.config.store import ConfigStore
    from saleor_sms_app.saleor.tenants import get_tenant

    tenant = get_tenant(services, saleor_api_url)
    user = json.loads(payload).get("user")
    if tenant is None or not isinstance(user, Mapping):
        return Erased(0, 0, 0, 0)
    settings = ConfigStore(services).load(tenant).settings
    numbers = customer_numbers(user, settings.phone_metadata_key, settings.default_country)
    total = Erased(0, 0, 0, 0)
    with session_scope(services.sessions) as session:
        for number in numbers:
            erased = erase_number(session, tenant.id, number)
            total = Erased(
                total.messages + erased.messages,
                total.attempts + erased.attempts,
                total.delivery_reports + erased.delivery_reports,
                total.suppressions + erased.suppressions,
            )
    log.info(
        "customer %s deleted in Saleor: erased %s phone numbers for tenant %s: %s",
        user.get("id"),
        len(numbers),
        tenant.id,
        total.to_json(),
    )
    return total
