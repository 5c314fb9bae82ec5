"""Normalised provider results, delivery events and errors (the anymail model).

Every adapter turns its provider's answers into these; nothing outside
``providers/`` ever looks at a provider's own JSON except through ``raw``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any


class SendStatus(enum.StrEnum):
    #: Accepted, waiting at the provider to go out.
    QUEUED = "queued"
    #: Handed to the carrier.
    SENT = "sent"
    #: Refused by the provider for this recipient/message (not worth retrying as is).
    REJECTED = "rejected"
    #: Failed at the provider.
    FAILED = "failed"


class FailureReason(enum.StrEnum):
    INVALID_NUMBER = "invalid_number"
    NOT_MOBILE = "not_mobile"
    OPTED_OUT = "opted_out"
    INVALID_SENDER = "invalid_sender"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    AUTHENTICATION = "authentication"
    RATE_LIMITED = "rate_limited"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    #: The provider answered something we cannot read (HTML, nothing, wrong JSON).
    MALFORMED_RESPONSE = "malformed_response"
    #: The request left for the provider but no answer came back (read timeout,
    #: connection dropped): it may have taken the message, or not.
    NO_ANSWER = "no_answer"
    OTHER = "other"


#: Failures after which the provider may hold the message: the message's fate is
#: unknown, so neither a failover nor a blind retry may send it again.
UNKNOWN_OUTCOME_REASONS = frozenset({FailureReason.NO_ANSWER, FailureReason.MALFORMED_RESPONSE})

#: Reasons that are about the recipient: another provider would refuse them too.
RECIPIENT_REASONS = frozenset(
    {FailureReason.INVALID_NUMBER, FailureReason.NOT_MOBILE, FailureReason.OPTED_OUT}
)


class DeliveryStatus(enum.StrEnum):
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    FAILED = "failed"
    #: Intermediate or unrecognised report (e.g. "sent", "buffered").
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OutboundSms:
    """One text to one number, ready for a provider."""

    #: E.164, already validated.
    to: str
    body: str
    sender: str = ""
    #: Our own id for this message (the log row id, as a string). Providers that
    #: de-duplicate (SMSAPI idx, Infobip messageId) get it so a retried job cannot
    #: send twice.
    reference: str = ""
    #: Where the provider should post delivery reports, or None when not public.
    status_callback_url: str | None = None
    #: Free context for the log and the sandbox outbox (tenant, rule, order number).
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    provider_message_id: str | None
    segments: int | None = None
    price: Decimal | None = None
    currency: str | None = None
    #: The provider's answer as text, credentials never included.
    raw: str = ""


@dataclass(frozen=True)
class Balance:
    amount: Decimal
    #: ISO currency, or a unit such as "points"/"credits" when the provider counts those.
    currency: str
    raw: str = ""


def without_nul(value: Any) -> Any:
    """``value`` with NUL characters removed from every text in it (dict keys and
    values, list items). No provider or phone means one, and PostgreSQL refuses
    to store one, so callback text is stored without them."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_nul(v) for v in value]
    return value


@dataclass(frozen=True)
class DeliveryEvent:
    """One delivery report, normalised."""

    provider_message_id: str
    status: DeliveryStatus
    provider_code: str | None = None
    description: str | None = None
    to: str | None = None
    timestamp: datetime | None = None
    #: The provider says the recipient opted out (feeds the suppression list).
    opted_out: bool = False
    raw: dict[str, Any] = field(default_factory=dict)
    #: Our own reference echoed back (SMSAPI ``idx``, Vonage ``client-ref``): matches
    #: the report to its message even when the send answer was lost.
    reference: str | None = None

    def without_nul(self) -> DeliveryEvent:
        """The report with NUL characters removed from what is stored of it
        (PostgreSQL refuses them: a 500). The id is left alone: an id holding one
        names no message we recorded."""
        return replace(
            self,
            provider_code=without_nul(self.provider_code),
            description=without_nul(self.description),
            to=without_nul(self.to),
            raw=without_nul(self.raw),
            reference=without_nul(self.reference),
        )


@dataclass(frozen=True)
class InboundSms:
    """One text a customer sent to the shop's number, normalised (a reply, STOP, HELP)."""

    #: The customer's number as the provider wrote it (E.164, or digits without "+").
    sender: str
    #: The shop's number (or short code) the text was sent to.
    to: str
    text: str
    #: The provider's id of the inbound message: a redelivered one is logged once.
    provider_message_id: str
    raw: dict[str, Any] = field(default_factory=dict)


class ProviderError(Exception):
    """A provider refused or failed a request.

    ``temporary`` says whether the same request later may work (RQ retries it);
    ``accepted`` is False when the provider surely did not take the message, which
    is when failing over to the next provider cannot send a duplicate.
    """

    def __init__(
        self,
        reason: FailureReason,
        message: str,
        *,
        temporary: bool,
        provider: str,
        provider_code: str | None = None,
        hint: str | None = None,
        raw: str = "",
        accepted: bool = False,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.temporary = temporary
        self.provider = provider
        self.provider_code = provider_code
        self.hint = hint
        self.raw = raw
        self.accepted = accepted

    @property
    def outcome_unknown(self) -> bool:
        """Whether the provider may or may not have taken the message: the request
        reached it and no readable answer came back. Logged ``unknown``, never
        sent through another provider (that could text the customer twice)."""
        return self.accepted and self.reason in UNKNOWN_OUTCOME_REASONS

    @property
    def should_fail_over(self) -> bool:
        """Try the next provider? Only if this one surely did not take it and the
        problem is not the recipient's (another provider would refuse it too)."""
        return not self.accepted and self.reason not in RECIPIENT_REASONS

    def __str__(self) -> str:
        code = f" [{self.provider_code}]" if self.provider_code else ""
        return f"{self.provider}: {self.reason.value}{code}: {self.message}"


class BalanceNotSupported(Exception):
    """This provider has no balance API."""


class ProviderConfigError(ValueError):
    """A provider configuration that cannot work; ``fields`` maps field names to messages."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}
