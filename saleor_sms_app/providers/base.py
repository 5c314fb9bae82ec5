"""The one interface every SMS provider adapter implements.

Like django-anymail's backends: the base class owns the pipeline and the HTTP
plumbing; an adapter declares its ``name``, its option fields, and maps our
message to its request and its answers to :mod:`.models`. Adapters never raise
anything but :class:`~.models.ProviderError` from :meth:`SmsProvider.send`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import requests

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers.models import (
    Balance,
    BalanceNotSupported,
    DeliveryEvent,
    InboundSms,
    OutboundSms,
    ProviderConfigError,
    SendResult,
)


@dataclass(frozen=True)
class ProviderContext:
    """What adapters get from the process: a shared HTTP session and limits."""

    session: requests.Session = field(default_factory=requests.Session)
    #: Seconds for connect and read of one provider call.
    timeout: float = 10.0
    #: Where the sandbox provider appends its messages.
    sandbox_outbox: Path | None = None


@dataclass(frozen=True)
class CallbackRequest:
    """A delivery-report request, framework-free (the Flask layer builds it)."""

    method: str
    #: The full URL as the provider called it (signatures cover it).
    url: str
    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OptionField:
    """One field of a provider's configuration form (the dashboard renders these)."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""
    default: str | None = None


class SmsProvider(ABC):
    """Base of every adapter."""

    #: Type name stored in configuration (``twilio``).
    name: ClassVar[str]
    #: Human name for the dashboard.
    label: ClassVar[str]
    #: Fields of the configuration form; ``secret`` ones go to ``config.secrets``.
    fields: ClassVar[tuple[OptionField, ...]] = ()
    #: Whether :meth:`verify_callback` checks a provider signature (else the
    #: per-tenant secret in the callback URL is the only authentication).
    signs_callbacks: ClassVar[bool] = False
    #: Plain-text body some providers insist on when they post a delivery report
    #: (SMSAPI wants ``OK``); None answers JSON.
    callback_ok_body: ClassVar[str | None] = None
    #: Provider codes meaning "you sent a message with this reference before":
    #: a provider that refuses a repeated reference (SMSAPI ``check_idx``,
    #: Infobip ``messageId``) lets the app settle a message whose send got no
    #: answer by sending it again with the same reference
    #: (:mod:`saleor_sms_app.delivery_reports.settling`). Empty: an unknown outcome stays unknown.
    duplicate_reference_codes: ClassVar[frozenset[str]] = frozenset()
    #: Whether the provider's message id is our reference (Infobip's
    #: ``messageId``), so a refused repeat still tells the provider's id.
    reference_is_message_id: ClassVar[bool] = False
    #: Whether the provider can forward texts customers send to the shop's number
    #: (replies, STOP, HELP) to the app; the dashboard shows the inbound URL then.
    receives_inbound: ClassVar[bool] = False
    #: Body and content type the provider wants when we took an inbound message
    #: (Twilio reads TwiML, SMSAPI wants ``OK``); None answers JSON.
    inbound_ok: ClassVar[tuple[str, str] | None] = None

    def __init__(self, config: ProviderConfig, context: ProviderContext) -> None:
        self.config = config
        self.context = context
        problems = self.validate_config(config)
        if problems:
            raise ProviderConfigError(
                f"{self.label} is not configured correctly: "
                + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                problems,
            )

    @classmethod
    def validate_config(cls, config: ProviderConfig) -> dict[str, str]:
        """Field name → problem, for required fields that are missing."""
        problems: dict[str, str] = {}
        for f in cls.fields:
            source: Mapping[str, Any] = config.secrets if f.secret else config.options
            if f.required and not str(source.get(f.name) or f.default or "").strip():
                problems[f.name] = f"{f.label} is required"
        return problems

    @classmethod
    def merchant_urls(cls, config: ProviderConfig) -> dict[str, str]:
        """Field name → URL the merchant typed and this adapter will call.

        The configuration store checks each against the operator's egress
        policy on save (:mod:`saleor_sms_app.egress`); built-in defaults are
        not listed, the connect-time check covers every call anyway.
        """
        return {}

    def option(self, name: str) -> str:
        """A non-secret option, falling back to the field's default."""
        value = self.config.options.get(name)
        if value in (None, ""):
            default = next((f.default for f in self.fields if f.name == name), None)
            return default or ""
        return str(value)

    def secret(self, name: str) -> str:
        return self.config.secrets.get(name, "")

    def sender_for(self, sms: OutboundSms) -> str:
        """The message's own sender, else the one configured on this provider."""
        return sms.sender or self.config.sender

    @abstractmethod
    def send(self, sms: OutboundSms) -> SendResult:
        """Send one message; raise ProviderError on any failure."""

    def balance(self) -> Balance:
        raise BalanceNotSupported(f"{self.label} has no balance API")

    def hint_for(self, code: str | None) -> str | None:
        """Merchant advice for a provider code seen in a delivery report."""
        return None

    def verify_callback(self, request: CallbackRequest) -> bool:
        """True if the request carries the provider's valid signature.

        Adapters for providers that sign callbacks override this; the others
        rely on the per-tenant secret in the URL, checked by the web layer.
        """
        return not self.signs_callbacks

    def parse_callback(self, request: CallbackRequest) -> list[DeliveryEvent]:
        """Delivery events in a callback request (empty if it holds none)."""
        return []

    def parse_inbound(self, request: CallbackRequest) -> list[InboundSms]:
        """Texts customers sent, in an inbound-message request (empty if it holds none).

        Signed inbound requests are checked by :meth:`verify_callback`, the same
        signature the provider puts on its delivery reports.
        """
        return []
