"""The dashboard's "send test message" and "check settings" buttons.

Unlike a rule's message this goes through exactly the provider the merchant
is looking at (no failover: the point is to test *that* provider), is logged
in the message log as recipient type ``test`` like any other message, and
returns the provider's answer as it came (status, id, raw answer, or the
normalised error with its hint) so the merchant sees what the provider said.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.config.store import load_provider
from saleor_sms_app.db import session_scope
from saleor_sms_app.delivery_reports.receiving import callback_urls
from saleor_sms_app.egress import EgressPolicy, url_problems
from saleor_sms_app.errors import BadRequest, InvalidConfiguration
from saleor_sms_app.messages.log import insert_message
from saleor_sms_app.messages.outcomes import record_outcome
from saleor_sms_app.models import MessageStatus, RecipientType
from saleor_sms_app.providers import build_provider
from saleor_sms_app.providers.base import ProviderContext
from saleor_sms_app.providers.failover import send_with_failover
from saleor_sms_app.providers.models import (
    BalanceNotSupported,
    OutboundSms,
    ProviderConfigError,
    ProviderError,
)
from saleor_sms_app.recipients.phones import normalise
from saleor_sms_app.segments import MAX_TYPED_CHARS, count_segments
from saleor_sms_app.services import Services

#: The message-log event of a test message.
TEST_EVENT = "TEST"


@dataclass(frozen=True)
class TestMessageResult:
    message_id: int
    ok: bool
    #: The adapter's normalised status (queued, sent …) or "failed".
    status: str
    provider_message_id: str | None
    #: The provider's answer as it came (credentials removed).
    raw: str
    #: reason, code, message, hint, temporary: None when the provider took it.
    error: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "ok": self.ok,
            "status": self.status,
            "providerMessageId": self.provider_message_id,
            "raw": self.raw,
            "error": self.error,
        }


def send_test_message(
    services: Services, tenant_id: int, provider_id: str, to: str, text: str
) -> TestMessageResult:
    """Send ``text`` to ``to`` through the tenant's provider ``provider_id``.

    Bad input raises the app's permanent errors (unknown provider → NotFound,
    bad number → InvalidPhoneNumber, broken provider settings →
    InvalidConfiguration with field messages); a provider refusal is *not* an
    exception but the answer the merchant asked for.
    """
    tenant, config, provider = load_provider(services, tenant_id, provider_id)
    body = text.strip()
    if not body:
        raise BadRequest("the test message is empty")
    if len(body) > MAX_TYPED_CHARS:
        raise BadRequest(f"the test message is longer than {MAX_TYPED_CHARS} characters")
    phone = normalise(to, config.settings.staff_country)
    context = services.provider_context()
    try:
        build_provider(provider, context)
    except ProviderConfigError as exc:
        raise InvalidConfiguration(str(exc), details=exc.fields) from None

    info = count_segments(body)
    with session_scope(services.sessions) as session:
        message_id = insert_message(
            session,
            {
                "tenant_id": tenant_id,
                "dedupe_key": f"test:{uuid.uuid4().hex}",
                "event": TEST_EVENT,
                "recipient_type": RecipientType.TEST.value,
                "phone": phone,
                "sender": provider.sender or None,
                "body": body,
                "segments": info.segments,
                "encoding": info.encoding,
                # Sent right here, not by a worker: no job may claim it.
                "status": MessageStatus.SENDING.value,
            },
        )
    assert message_id is not None  # a fresh random dedupe key cannot collide
    sms = OutboundSms(to=phone, body=body, reference=str(message_id), context={"tenant": tenant_id})
    secret = tenant.callback_secret
    outcome = send_with_failover(
        [provider],
        sms,
        context,
        callback_url_for=callback_urls(services.settings, tenant_id, secret),
    )
    record_outcome(services, message_id, tenant_id, phone, outcome)
    attempt = outcome.attempts[-1]
    if attempt.result is not None:
        return TestMessageResult(
            message_id,
            True,
            attempt.result.status.value,
            attempt.result.provider_message_id,
            attempt.result.raw,
            None,
        )
    error = attempt.error
    assert error is not None
    return TestMessageResult(
        message_id,
        False,
        "failed",
        None,
        error.raw,
        {
            "reason": error.reason.value,
            "code": error.provider_code,
            "message": error.message,
            "hint": error.hint,
            "temporary": error.temporary,
        },
    )


def check_provider(
    config: ProviderConfig, context: ProviderContext, egress: EgressPolicy | None = None
) -> dict[str, Any]:
    """The dashboard's "check settings": field problems, or whether the provider
    accepts the credentials (its balance call, which sends nothing and costs nothing).

    Providers without a balance API can only be checked by a test message; that
    is said in ``note`` rather than pretending the credentials are fine.
    """
    try:
        adapter = build_provider(config, context)
    except ProviderConfigError as exc:
        return {"ok": False, "fields": exc.fields, "error": str(exc)}
    refused = url_problems(adapter.merchant_urls(config).items(), egress) if egress else {}
    if refused:
        return {"ok": False, "fields": refused, "error": "; ".join(refused.values())}
    try:
        balance = adapter.balance()
    except BalanceNotSupported:
        return {
            "ok": True,
            "balance": None,
            "note": f"{adapter.label} has no balance API: send a test message to check it.",
        }
    except ProviderError as exc:
        return {
            "ok": False,
            "fields": {},
            "error": {
                "reason": exc.reason.value,
                "code": exc.provider_code,
                "message": exc.message,
                "hint": exc.hint,
                "temporary": exc.temporary,
            },
        }
    return {
        "ok": True,
        "balance": {"amount": str(balance.amount), "currency": balance.currency},
    }
