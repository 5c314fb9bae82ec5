"""Settling messages whose send got no answer: did the provider take them or not?

A send whose request reached the provider but got no readable answer (a read
timeout, a dropped connection, an unreadable 2xx) is logged ``unknown`` and is
never failed over or retried blindly, since the customer could get the text
twice (:attr:`ProviderError.outcome_unknown`). Some providers let the app find
out, because they refuse a second message with the same reference: SMSAPI
(``idx`` with ``check_idx=1``, error 53) and Infobip (our ``messageId``,
``REJECTED_DUPLICATE_MESSAGE_ID``); their adapters name those codes in
:attr:`SmsProvider.duplicate_reference_codes`. For those, :func:`settle_unknown_sends`
sends the message again through the same provider with the same reference:

* refused as a repeat → the first request went out: the message is ``sent``
  (with the provider's id when the reference is that id, as at Infobip; SMSAPI's
  delivery report brings it later, matched by ``idx``);
* accepted → the first request never reached the provider, and this one is the
  one text the customer gets: ``sent`` with the new id;
* anything else (no answer again, a refusal) → still ``unknown``; tried again
  at the next round until the message is :data:`SETTLE_WITHIN` old.

Only the provider that got the first request is asked: another provider knows
nothing of the reference. A message of a provider without such codes stays
``unknown`` for the merchant to check. The worker runs this with its
maintenance (:mod:`saleor_sms_app.worker`), one worker at a time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, select

from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.delivery_reports.pending import apply_pending_reports
from saleor_sms_app.delivery_reports.receiving import callback_url
from saleor_sms_app.errors import RetryableError
from saleor_sms_app.messages.outcomes import record_outcome
from saleor_sms_app.models import Message, MessageAttempt, MessageStatus, utcnow
from saleor_sms_app.providers import PROVIDERS, build_provider, provider_class
from saleor_sms_app.providers.base import ProviderContext, SmsProvider
from saleor_sms_app.providers.failover import Attempt, Outcome
from saleor_sms_app.providers.models import (
    UNKNOWN_OUTCOME_REASONS,
    OutboundSms,
    ProviderConfigError,
    ProviderError,
)
from saleor_sms_app.saleor.tenants import get_tenant_by_id
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

_MESSAGES = cast(Table, Message.__table__)
_ATTEMPTS = cast(Table, MessageAttempt.__table__)

#: Wait this long after the failed send before asking: a delivery report
#: (matched by our reference) often settles it first, for free.
SETTLE_AFTER = timedelta(seconds=60)
#: A message older than this is left ``unknown``: a text hours late is worse
#: than none, and the merchant sees the reason in the log.
SETTLE_WITHIN = timedelta(hours=1)
#: Most messages asked about in one round (the worker's maintenance runs every
#: few minutes; a backlog drains over several rounds).
SETTLE_BATCH = 50


@dataclass(frozen=True)
class Settled:
    """What one round found: message ids by what became of them."""

    sent_before: tuple[int, ...] = ()
    sent_now: tuple[int, ...] = ()
    still_unknown: tuple[int, ...] = ()


def settleable_provider_types() -> list[str]:
    """Provider types whose adapter can tell a repeated reference."""
    types = []
    for name in PROVIDERS:
        try:
            if provider_class(name).duplicate_reference_codes:
                types.append(name)
        except ProviderConfigError:  # pragma: no cover - the registry names real classes
            continue
    return types


def settle_unknown_sends(
    services: Services, *, now: datetime | None = None, limit: int = SETTLE_BATCH
) -> Settled:
    """Ask the providers that can tell about messages whose send got no answer."""
    now = now or utcnow()
    with session_scope(services.sessions) as session:
        candidates = list(
            session.scalars(
                select(Message.id)
                .where(
                    Message.status == MessageStatus.UNKNOWN.value,
                    Message.error_code.in_([r.value for r in UNKNOWN_OUTCOME_REASONS]),
                    Message.provider.in_(settleable_provider_types()),
                    Message.provider_id.is_not(None),
                    Message.updated_at <= now - SETTLE_AFTER,
                    Message.created_at >= now - SETTLE_WITHIN,
                )
                .order_by(Message.id)
                .limit(limit)
            )
        )
    sent_before: list[int] = []
    sent_now: list[int] = []
    still: list[int] = []
    for message_id in candidates:
        verdict = _settle_one(services, message_id, now)
        if verdict == "sent_before":
            sent_before.append(message_id)
        elif verdict == "sent_now":
            sent_now.append(message_id)
        elif verdict == "unknown":
            still.append(message_id)
    if sent_before or sent_now:
        log.info(
            "settled unknown sends: %s had gone out, %s sent now, %s still unknown",
            len(sent_before),
            len(sent_now),
            len(still),
        )
    return Settled(tuple(sent_before), tuple(sent_now), tuple(still))


def _settle_one(services: Services, message_id: int, now: datetime) -> str | None:
    """Claim one ``unknown`` message (so one worker asks), ask, record; the verdict."""
    with session_scope(services.sessions) as session:
        claimed = session.connection().execute(
            _MESSAGES.update()
            .where(
                _MESSAGES.c.id == message_id,
                _MESSAGES.c.status == MessageStatus.UNKNOWN.value,
            )
            .values(status=MessageStatus.SENDING.value, updated_at=now)
        )
        if not claimed.rowcount:
            return None  # settled meanwhile (a delivery report, another worker)
        message = session.get(Message, message_id)
        assert message is not None
        tenant_id, provider_id = message.tenant_id, message.provider_id or ""
        sms = OutboundSms(
            to=message.phone,
            body=message.body,
            reference=str(message.id),
            context={"tenant": tenant_id, "rule": message.rule_name},
        )
        previous = (message.error_code or "", message.error_text or "", message.error_hint)
    try:
        adapter, sms = _adapter_for(services, tenant_id, provider_id, sms)
    except (RetryableError, ProviderConfigError, LookupError) as exc:
        _back_to_unknown(services, message_id, previous, now)
        log.info("cannot settle message %s yet: %s", message_id, exc)
        return "unknown"
    started = utcnow()
    try:
        result = adapter.send(sms)
    except ProviderError as exc:
        attempt = Attempt(adapter.config, None, exc, _ms_since(started))
        if exc.provider_code in adapter.duplicate_reference_codes:
            provider_id_known = sms.reference if adapter.reference_is_message_id else None
            _record_sent_before(services, message_id, attempt, provider_id_known, now)
            return "sent_before"
        _back_to_unknown(services, message_id, previous, now, attempt)
        return "unknown"
    # The provider took the repeat: the first request never reached it.
    outcome = Outcome([Attempt(adapter.config, result, None, _ms_since(started))])
    record_outcome(services, message_id, tenant_id, sms.to, outcome)
    return "sent_now"


def _adapter_for(
    services: Services, tenant_id: int, provider_id: str, sms: OutboundSms
) -> tuple[SmsProvider, OutboundSms]:
    tenant = get_tenant_by_id(services, tenant_id)
    if tenant is None or not tenant.is_installed:
        raise LookupError(f"tenant {tenant_id} is not installed")
    config = ConfigStore(services).load(tenant).provider(provider_id)
    if config is None:
        raise LookupError(f"provider {provider_id} is no longer configured")
    context = ProviderContext(
        session=services.http, sandbox_outbox=services.settings.sandbox_outbox
    )
    adapter = build_provider(config, context)
    report_to = callback_url(services.settings, tenant_id, tenant.callback_secret, config.id)
    return adapter, OutboundSms(
        to=sms.to,
        body=sms.body,
        reference=sms.reference,
        status_callback_url=report_to,
        context=sms.context,
    )


def _attempt_row(message_id: int, attempt: Attempt, status: str) -> dict[str, object]:
    err = attempt.error
    return {
        "message_id": message_id,
        "created_at": utcnow(),
        "provider_id": attempt.provider.id,
        "provider": attempt.provider.type,
        "status": status,
        "provider_message_id": None,
        "error_code": (err.provider_code or err.reason.value) if err else None,
        "error_text": err.message if err else None,
        "temporary": err.temporary if err else None,
        "duration_ms": attempt.duration_ms,
        "raw_response": (err.raw[:4000] or None) if err else None,
    }


def _record_sent_before(
    services: Services,
    message_id: int,
    attempt: Attempt,
    provider_message_id: str | None,
    now: datetime,
) -> None:
    with session_scope(services.sessions) as session:
        connection = session.connection()
        connection.execute(_ATTEMPTS.insert(), [_attempt_row(message_id, attempt, "duplicate")])
        connection.execute(
            _MESSAGES.update()
            .where(_MESSAGES.c.id == message_id)
            .values(
                status=MessageStatus.SENT.value,
                provider_message_id=provider_message_id,
                sent_at=now,
                updated_at=now,
                error_code=None,
                error_text=None,
                error_hint=f"Settled: {attempt.provider.name or attempt.provider.type} "
                "refused the same reference again, so the first send had reached it.",
            )
        )
        if provider_message_id is not None:
            apply_pending_reports(session, [message_id], now=now)


def _back_to_unknown(
    services: Services,
    message_id: int,
    previous: tuple[str, str, str | None],
    now: datetime,
    attempt: Attempt | None = None,
) -> None:
    code, text, hint = previous
    with session_scope(services.sessions) as session:
        connection = session.connection()
        if attempt is not None:
            status = "unknown" if attempt.error and attempt.error.outcome_unknown else "failed"
            connection.execute(_ATTEMPTS.insert(), [_attempt_row(message_id, attempt, status)])
        connection.execute(
            _MESSAGES.update()
            .where(_MESSAGES.c.id == message_id)
            .values(
                status=MessageStatus.UNKNOWN.value,
                error_code=code,
                error_text=text,
                error_hint=hint,
                updated_at=now,
            )
        )


def _ms_since(started: datetime) -> int:
    return int((utcnow() - started).total_seconds() * 1000)
