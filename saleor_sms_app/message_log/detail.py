"""One message as the log's detail drawer shows it: every attempt and every delivery report.

Failover leaves one ``message_attempts`` row per provider tried; the log's
table shows only where the message ended up. The detail view is where a
merchant sees that the first provider refused it and why, what each provider
answered (secrets redacted) and which delivery reports came back.
Framework-free, scoped to one tenant: another shop's message id is not found.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from saleor_sms_app.errors import NotFound
from saleor_sms_app.message_log.rows import (
    ProviderDirectory,
    iso_time,
    message_row,
    reason_label,
)
from saleor_sms_app.models import DeliveryReport, Message, MessageAttempt
from saleor_sms_app.providers import PROVIDERS, provider_class
from saleor_sms_app.providers.http import ErrorRule


def provider_rule(provider_type: str, code: str | None) -> ErrorRule | None:
    """What the provider's own error table says ``code`` means (reason and advice).

    Attempts store the code, not the advice, so the advice shown is today's:
    better wording reaches old rows too.
    """
    if not code or provider_type not in PROVIDERS:
        return None
    table = getattr(provider_class(provider_type), "errors", None) or {}
    rule = table.get(code)
    return rule if isinstance(rule, ErrorRule) else None


def _attempt(
    attempt: MessageAttempt, message: Message, providers: ProviderDirectory, last: bool
) -> dict[str, Any]:
    rule = provider_rule(attempt.provider, attempt.error_code)
    hint = rule.hint if rule else None
    # "20003" says little: label a provider's code by the reason its table gives.
    label = reason_label(rule.reason.value if rule else attempt.error_code)
    if hint is None and last and attempt.error_code and message.error_hint:
        # The final refusal's advice is on the message itself.
        hint = message.error_hint
    return {
        "id": attempt.id,
        "created_at": iso_time(attempt.created_at),
        "provider_id": attempt.provider_id,
        "provider_name": providers.name(attempt.provider_id),
        "provider": attempt.provider,
        "outcome": attempt.status,
        "provider_message_id": attempt.provider_message_id,
        "error_code": attempt.error_code,
        "error_label": label,
        "error_text": providers.redact(attempt.error_text),
        "hint": hint,
        "temporary": attempt.temporary,
        "duration_ms": attempt.duration_ms,
        "raw_response": providers.redact(attempt.raw_response),
    }


def _report(report: DeliveryReport, providers: ProviderDirectory) -> dict[str, Any]:
    raw = None if report.raw is None else json.dumps(report.raw, ensure_ascii=False, indent=1)
    return {
        "id": report.id,
        "received_at": iso_time(report.received_at),
        "provider": report.provider,
        "provider_message_id": report.provider_message_id,
        "status": report.status,
        "provider_code": report.provider_code,
        "raw": providers.redact(raw),
    }


def message_detail(
    session: Session,
    tenant_id: int,
    message_id: int,
    providers: ProviderDirectory,
    *,
    full_phone: bool,
) -> dict[str, Any]:
    """The message, its attempts in order and its delivery reports in order of arrival.

    ``full_phone`` only for staff allowed to see customers' orders
    (MANAGE_ORDERS): everywhere else the number stays masked.
    """
    message = session.scalar(
        select(Message).where(Message.id == message_id, Message.tenant_id == tenant_id)
    )
    if message is None:
        raise NotFound(f"no message {message_id} in this shop's log", code="message_not_found")
    attempts = list(message.attempts)
    reports = session.scalars(
        select(DeliveryReport)
        .where(DeliveryReport.message_id == message.id, DeliveryReport.tenant_id == tenant_id)
        .order_by(DeliveryReport.received_at, DeliveryReport.id)
    ).all()
    row = message_row(message, len(attempts), providers)
    row["error_text"] = providers.redact(row["error_text"])
    row["phone_full"] = message.phone if full_phone else None
    return {
        "message": row,
        "attempts": [
            _attempt(a, message, providers, i == len(attempts) - 1) for i, a in enumerate(attempts)
        ],
        "delivery_reports": [_report(r, providers) for r in reports],
    }
