"""What the providers answered for a message, written to the message log.

One :class:`MessageUpdate` per message: its new status (sent, waiting to
retry, failed, skipped), the columns that go with it, one ``message_attempts``
row per provider tried, and an opt-out the provider reported.
:func:`write_updates` writes several in one transaction with Core
``executemany`` statements; dispatching calls it every few messages of a
batch, the dashboard's test message once (:func:`record_outcome`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.consent.suppressions import suppress
from saleor_sms_app.db import session_scope
from saleor_sms_app.delivery_reports.pending import apply_pending_reports
from saleor_sms_app.models import Message, MessageAttempt, MessageStatus, utcnow
from saleor_sms_app.observability.metrics import record_sends
from saleor_sms_app.providers.failover import Outcome
from saleor_sms_app.providers.models import FailureReason
from saleor_sms_app.services import Services

_MESSAGES = cast(Table, Message.__table__)
_ATTEMPTS = cast(Table, MessageAttempt.__table__)

#: Longest provider answer kept on an attempt row.
MAX_RAW_CHARS = 4000


@dataclass(frozen=True)
class MessageUpdate:
    """One message's new state and the attempts that led to it, ready to write."""

    message_id: int
    status: str
    #: Columns for :data:`_SENT` or :data:`_NOT_SENT` (which one: ``sent``).
    values: dict[str, Any]
    sent: bool = False
    attempts: tuple[dict[str, Any], ...] = ()
    #: (tenant, phone, provider) when the provider said the recipient opted out.
    opted_out: tuple[int, str, str] | None = None
    #: Why it waits for another try; None when the status is final.
    waiting: str | None = None
    #: The message's stored segment count (metrics, when the provider reports none).
    segments: int = 0


def record_outcome(
    services: Services, message_id: int, tenant_id: int, phone: str, outcome: Outcome
) -> str:
    """Write what the providers answered for a message sent outside a job (the
    dashboard's test message, logged as ``sending``); a temporary failure is
    final there. Returns the message's status."""
    update = outcome_update(message_id, tenant_id, phone, outcome, retries_left=0)
    write_updates(services, [update])
    return update.status


def outcome_update(
    message_id: int, tenant_id: int, phone: str, outcome: Outcome, retries_left: int
) -> MessageUpdate:
    """The new state of a message the providers answered for, and its attempt rows."""
    attempts = []
    for attempt in outcome.attempts:
        result, err = attempt.result, attempt.error
        raw = (result.raw if result else err.raw if err else "") or None
        attempts.append(
            {
                "message_id": message_id,
                "created_at": utcnow(),
                "provider_id": attempt.provider.id,
                "provider": attempt.provider.type,
                "status": result.status.value
                if result
                else ("unknown" if err and err.outcome_unknown else "failed"),
                "provider_message_id": result.provider_message_id if result else None,
                "error_code": (err.provider_code or err.reason.value) if err else None,
                "error_text": err.message if err else None,
                "temporary": err.temporary if err else None,
                "duration_ms": attempt.duration_ms,
                "raw_response": raw[:MAX_RAW_CHARS] if raw else None,
            }
        )
    provider = outcome.provider
    result, error = outcome.result, outcome.error
    if result is not None:
        return MessageUpdate(
            message_id,
            MessageStatus.SENT.value,
            {
                "b_id": message_id,
                "b_provider_id": provider.id if provider else None,
                "b_provider": provider.type if provider else None,
                "b_provider_message_id": result.provider_message_id,
                "b_price": result.price,
                "b_currency": result.currency,
                "b_segments": result.segments or None,
                "b_now": utcnow(),
            },
            sent=True,
            attempts=tuple(attempts),
        )
    if error is None:  # pragma: no cover - send_with_failover is never given no provider
        raise RuntimeError(f"message {message_id}: no provider answered")
    if error.outcome_unknown:
        # The provider may have it: never failed over, never retried blindly.
        unknown = not_sent_update(
            message_id,
            MessageStatus.UNKNOWN,
            error.reason.value,
            str(error),
            hint=error.hint,
            provider=provider,
        )
        return replace(unknown, attempts=tuple(attempts))
    update = not_sent_update(
        message_id,
        None,
        error.reason.value,
        str(error),
        hint=error.hint,
        retries_left=retries_left if error.temporary else 0,
        provider=provider,
    )
    opted_out = None
    if update.waiting is None and error.reason == FailureReason.OPTED_OUT:
        opted_out = (tenant_id, phone, error.provider)
    return replace(update, attempts=tuple(attempts), opted_out=opted_out)


def not_sent_update(
    message_id: int,
    status: MessageStatus | None,
    code: str,
    text: str,
    *,
    hint: str | None = None,
    retries_left: int = 0,
    provider: ProviderConfig | None = None,
) -> MessageUpdate:
    """A message that was not sent: ``status``, or with ``None`` a temporary
    failure, which waits in ``queued`` while tries are left and is ``failed`` after."""
    waiting = None
    if status is None:
        if retries_left > 0:
            status, waiting = MessageStatus.QUEUED, text
            text = f"Waiting to retry: {text}"
        else:
            status = MessageStatus.FAILED
    return MessageUpdate(
        message_id,
        status.value,
        {
            "b_id": message_id,
            "b_status": status.value,
            "b_provider_id": provider.id if provider else None,
            "b_provider": provider.type if provider else None,
            "b_error_code": code,
            "b_error_text": text,
            "b_error_hint": hint,
            "b_now": utcnow(),
        },
        waiting=waiting,
    )


#: A sent message: the provider's id, price and segments; a dry-run hint stays.
_SENT = (
    _MESSAGES.update()
    .where(_MESSAGES.c.id == bindparam("b_id"))
    .values(
        status=MessageStatus.SENT.value,
        provider_id=bindparam("b_provider_id"),
        provider=bindparam("b_provider"),
        provider_message_id=bindparam("b_provider_message_id"),
        price=bindparam("b_price"),
        currency=bindparam("b_currency"),
        segments=func.coalesce(bindparam("b_segments"), _MESSAGES.c.segments),
        sent_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
        error_code=None,
        error_text=None,
        error_hint=case(
            (_MESSAGES.c.error_hint.startswith("Dry run"), _MESSAGES.c.error_hint),
            else_=None,
        ),
    )
)
#: A message not sent (yet): its status and why.
_NOT_SENT = (
    _MESSAGES.update()
    .where(_MESSAGES.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        provider_id=bindparam("b_provider_id"),
        provider=bindparam("b_provider"),
        error_code=bindparam("b_error_code"),
        error_text=bindparam("b_error_text"),
        error_hint=bindparam("b_error_hint"),
        updated_at=bindparam("b_now"),
    )
)


def write_updates(services: Services, updates: list[MessageUpdate]) -> None:
    """Record several messages' outcomes in one transaction: attempts, statuses, opt-outs.

    Core ``executemany`` statements on the session's connection: the ORM's
    unit of work costs about as much Python per row as sending the SMS.
    """
    if not updates:
        return
    sent = [u.values for u in updates if u.sent]
    not_sent = [u.values for u in updates if not u.sent]
    attempts = [a for u in updates for a in u.attempts]
    with session_scope(services.sessions) as session:
        connection = session.connection()
        if attempts:
            connection.execute(_ATTEMPTS.insert(), attempts)
        if sent:
            connection.execute(_SENT, sent)
            # A delivery report that came before the id was recorded applies now.
            apply_pending_reports(session, [u.message_id for u in updates if u.sent])
        if not_sent:
            connection.execute(_NOT_SENT, not_sent)
        for update in updates:
            if update.opted_out is not None:
                tenant_id, phone, source = update.opted_out
                suppress(session, tenant_id, phone, reason="opted_out", source=source)
    record_sends(updates)  # counted once the outcomes are committed
