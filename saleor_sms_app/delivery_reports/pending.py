"""Delivery reports that arrive before their message's provider id is recorded.

A worker records providers' answers a few at a time (``RECORD_EVERY`` in
:mod:`saleor_sms_app.messages.dispatching`), so a fast provider can report delivery before
the app knows which message the provider's id belongs to. Answering 503 made
providers that retry send it again, and lost it for good at providers that
never retry. Instead, a report that is *verified* (the tenant's secret in the
URL, the provider's signature) and matches nothing while the tenant has a
message being sent is kept here and applied when the id is recorded:

* :func:`keep_reports` (the web layer) stores it, bounded: at most
  :data:`MAX_PENDING_PER_TENANT` per tenant (the oldest make room, logged) and
  never older than :data:`PENDING_FOR` (one hour);
* :func:`apply_pending_reports` runs where outcomes are written
  (``messages.outcomes.write_updates``, the settling step) in the same transaction, and again
  by the web layer right after it stored a report, so whichever of the two
  commits second applies it; a pending row is deleted by the one that applies
  it, so a report is applied once;
* :func:`discard_stale_reports` (the worker's maintenance, and each store)
  drops what waited an hour, with a log line naming tenant and ids.

A refused report (bad secret, forged signature) never gets this far.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select
from sqlalchemy.orm import Session

from saleor_sms_app.delivery_reports.receiving import apply_events
from saleor_sms_app.models import Message, PendingDeliveryReport, utcnow
from saleor_sms_app.providers.models import DeliveryEvent, DeliveryStatus

log = logging.getLogger(__name__)

_PENDING = cast(Table, PendingDeliveryReport.__table__)

#: Built once: whether any report waits at all (the send path asks per batch).
_ANY_WAITING = select(_PENDING.c.id).limit(1)

#: How long an early report waits for its message's id.
PENDING_FOR = timedelta(hours=1)
#: Most reports one tenant may have waiting; a flood of stray reports cannot
#: grow the table, and the newest (likeliest to be about a send in progress) stay.
MAX_PENDING_PER_TENANT = 1000


def keep_reports(
    session: Session,
    tenant_id: int,
    provider_id: str,
    provider_type: str,
    events: Sequence[DeliveryEvent],
    *,
    hint_for: Callable[[str | None], str | None] = lambda _code: None,
    now: datetime | None = None,
) -> int:
    """Store verified, unmatched reports of one tenant; how many were stored. The caller commits."""
    now = now or utcnow()
    discard_stale_reports(session, now=now, tenant_id=tenant_id)
    for event in events:
        session.add(
            PendingDeliveryReport(
                tenant_id=tenant_id,
                provider_id=provider_id,
                provider=provider_type,
                provider_message_id=event.provider_message_id[:255],
                reference=(event.reference or None) and str(event.reference)[:64],
                received_at=now,
                event=_event_json(event, hint_for(event.provider_code)),
            )
        )
    session.flush()
    _enforce_bound(session, tenant_id)
    return len(events)


def _enforce_bound(session: Session, tenant_id: int) -> None:
    count = session.scalar(select(func.count()).where(PendingDeliveryReport.tenant_id == tenant_id))
    excess = int(count or 0) - MAX_PENDING_PER_TENANT
    if excess <= 0:
        return
    oldest = session.execute(
        select(PendingDeliveryReport.id, PendingDeliveryReport.provider_message_id)
        .where(PendingDeliveryReport.tenant_id == tenant_id)
        .order_by(PendingDeliveryReport.received_at, PendingDeliveryReport.id)
        .limit(excess)
    ).all()
    session.execute(delete(PendingDeliveryReport).where(_PENDING.c.id.in_([r.id for r in oldest])))
    log.warning(
        "tenant %s has more than %s delivery reports waiting for their message; "
        "dropped the %s oldest (provider ids %s)",
        tenant_id,
        MAX_PENDING_PER_TENANT,
        len(oldest),
        [r.provider_message_id for r in oldest[:5]],
    )


def apply_pending_reports(
    session: Session, message_ids: Iterable[int], *, now: datetime | None = None
) -> int:
    """Apply the waiting reports of messages whose provider id was just recorded.

    Runs in the caller's transaction; how many reports were applied. One
    indexed query when nothing waits, which is nearly always.
    """
    wanted = list(dict.fromkeys(message_ids))
    if not wanted or session.connection().execute(_ANY_WAITING).first() is None:
        return 0  # nearly always: one tiny indexed query per batch of outcomes
    now = now or utcnow()
    messages = session.execute(
        select(
            Message.id, Message.tenant_id, Message.provider_id, Message.provider_message_id
        ).where(Message.id.in_(wanted), Message.provider_id.is_not(None))
    ).all()
    by_provider_id = {(m.tenant_id, m.provider_id, m.provider_message_id): m for m in messages}
    by_reference = {(m.tenant_id, m.provider_id, str(m.id)): m for m in messages}
    provider_ids = [m.provider_message_id for m in messages if m.provider_message_id]
    references = [str(m.id) for m in messages]
    if not messages:
        return 0
    waiting = session.scalars(
        select(PendingDeliveryReport)
        .where(
            or_(
                PendingDeliveryReport.provider_message_id.in_(provider_ids),
                PendingDeliveryReport.reference.in_(references),
            ),
            PendingDeliveryReport.received_at >= now - PENDING_FOR,
        )
        .order_by(PendingDeliveryReport.received_at, PendingDeliveryReport.id)
    ).all()
    applied = 0
    for report in waiting:
        key = (report.tenant_id, report.provider_id)
        if (*key, report.provider_message_id) not in by_provider_id and (
            *key,
            report.reference or "",
        ) not in by_reference:
            continue  # another tenant's or provider's id that happens to be equal
        # Deleted first: of two processes applying it at once, one deletes it.
        gone = session.execute(
            delete(PendingDeliveryReport).where(PendingDeliveryReport.id == report.id)
        )
        if not cast(Any, gone).rowcount:
            continue
        result = apply_events(
            session,
            report.tenant_id,
            report.provider_id,
            report.provider,
            [_event_of(report)],
            hint_for=_StoredHint(report.event.get("hint")),
        )
        applied += len(result.matched)
    if applied:
        log.info("applied %s delivery reports that had arrived before their message's id", applied)
    return applied


def apply_pending_for_events(
    session: Session,
    tenant_id: int,
    provider_id: str,
    events: Sequence[DeliveryEvent],
    *,
    now: datetime | None = None,
) -> int:
    """After storing reports: apply them if their messages were recorded meanwhile."""
    ids = [e.provider_message_id for e in events]
    references = [int(e.reference) for e in events if e.reference and e.reference.isdigit()]
    found = session.scalars(
        select(Message.id).where(
            Message.tenant_id == tenant_id,
            Message.provider_id == provider_id,
            or_(Message.provider_message_id.in_(ids), Message.id.in_(references)),
        )
    ).all()
    return apply_pending_reports(session, found, now=now)


def discard_stale_reports(
    session: Session, *, now: datetime | None = None, tenant_id: int | None = None
) -> int:
    """Drop reports that waited longer than :data:`PENDING_FOR`, logging each tenant's ids."""
    cutoff = (now or utcnow()) - PENDING_FOR
    query = select(
        PendingDeliveryReport.id,
        PendingDeliveryReport.tenant_id,
        PendingDeliveryReport.provider_id,
        PendingDeliveryReport.provider_message_id,
    ).where(PendingDeliveryReport.received_at < cutoff)
    if tenant_id is not None:
        query = query.where(PendingDeliveryReport.tenant_id == tenant_id)
    stale = session.execute(query).all()
    if not stale:
        return 0
    session.execute(delete(PendingDeliveryReport).where(_PENDING.c.id.in_([r.id for r in stale])))
    for row in stale:
        log.warning(
            "discarded a delivery report of tenant %s (provider %s, message id %s): "
            "no message with that id was recorded within an hour",
            row.tenant_id,
            row.provider_id,
            row.provider_message_id,
        )
    return len(stale)


def _event_json(event: DeliveryEvent, hint: str | None) -> dict[str, object]:
    return {
        "provider_message_id": event.provider_message_id,
        "status": event.status.value,
        "provider_code": event.provider_code,
        "description": event.description,
        "to": event.to,
        "timestamp": event.timestamp.isoformat() if event.timestamp else None,
        "opted_out": event.opted_out,
        "raw": event.raw,
        "reference": event.reference,
        "hint": hint,
    }


def _event_of(report: PendingDeliveryReport) -> DeliveryEvent:
    data = report.event
    stamp = data.get("timestamp")
    raw = data.get("raw")
    return DeliveryEvent(
        provider_message_id=report.provider_message_id,
        status=DeliveryStatus(str(data.get("status") or DeliveryStatus.UNKNOWN.value)),
        provider_code=_text(data.get("provider_code")),
        description=_text(data.get("description")),
        to=_text(data.get("to")),
        timestamp=datetime.fromisoformat(stamp) if isinstance(stamp, str) else None,
        opted_out=bool(data.get("opted_out")),
        raw=raw if isinstance(raw, dict) else {},
        reference=report.reference,
    )


class _StoredHint:
    """The merchant hint worked out when the report arrived (the adapter is not at hand)."""

    def __init__(self, hint: object) -> None:
        self.hint = str(hint) if hint else None

    def __call__(self, _code: str | None) -> str | None:
        return self.hint


def _text(value: object) -> str | None:
    return None if value is None else str(value)
