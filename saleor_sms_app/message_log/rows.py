"""How one message-log row is shown: the phone masked, the reason as a short label, the
provider by the merchant's name, times in ISO 8601 UTC, prices with at least two decimals.

Shared by the log's pages (``queries``), its CSV (``csv_export``) and the
detail view (``detail``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.models import Message, mask_phone
from saleor_sms_app.providers.http import redact_secrets

#: The log's reason column shows these short labels; the full text is on hover
#: and in the message's detail view. A code not here is shown as its own words.
REASON_LABELS: dict[str, str] = {
    "no_phone": "No phone",
    "invalid_number": "Invalid number",
    "not_mobile": "Not a mobile",
    "opted_out": "Opted out",
    "marketing_cap": "Marketing cap",
    "customer_not_notified": "Customer not notified",
    "no_staff_numbers": "No staff numbers",
    "template_error": "Template error",
    "empty_message": "Empty text",
    "dry_run_number_invalid": "Dry-run number unusable",
    "no_provider": "No provider",
    "send_interrupted": "Send interrupted",
    "invalid_sender": "Sender refused",
    "insufficient_funds": "Out of credit",
    "authentication": "Login refused",
    "rate_limited": "Rate limited",
    "provider_unavailable": "Provider unavailable",
    "malformed_response": "Unreadable answer",
    "configuration": "Provider not set up",
    "undelivered": "Undelivered",
    "expired": "Expired",
    "failed": "Failed",
    "other": "Provider error",
}
#: A label longer than this is cut (a provider's own code can be a sentence).
MAX_LABEL_CHARS = 24


def reason_label(code: str | None) -> str | None:
    """The short name of why a message was not sent or delivered, for the table."""
    if not code:
        return None
    label = REASON_LABELS.get(code)
    if label is None:
        label = code.replace("_", " ").strip().capitalize()
    if len(label) > MAX_LABEL_CHARS:
        label = label[: MAX_LABEL_CHARS - 1].rstrip() + "…"
    return label


@dataclass(frozen=True)
class ProviderDirectory:
    """The tenant's providers as configured now: the merchant's names and the secrets to hide.

    A message records the provider's config id and type; two Twilio accounts
    differ only by the name the merchant gave each, so the log shows that name.
    A provider removed from the configuration since is shown by its id.
    """

    names: Mapping[str, str]
    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, config: AppConfig) -> ProviderDirectory:
        return cls(
            names={p.id: p.name or p.type for p in config.providers},
            secrets=tuple(v for p in config.providers for v in p.secrets.values() if v),
        )

    def name(self, provider_id: str | None) -> str | None:
        if provider_id is None:
            return None
        return self.names.get(provider_id, provider_id)

    def redact(self, text: str | None) -> str | None:
        """Defence in depth: answers were redacted when stored, but a secret may have
        been typed into the configuration after (or into a delivery report's sender)."""
        return None if text is None else redact_secrets(text, self.secrets)


NO_PROVIDERS = ProviderDirectory(names={})


def message_row(
    message: Message, attempts: int = 0, providers: ProviderDirectory = NO_PROVIDERS
) -> dict[str, Any]:
    """One log row as the dashboard shows it: the phone masked, nothing secret."""
    return {
        "id": message.id,
        "created_at": iso_time(message.created_at),
        "direction": message.direction,
        "event": message.event,
        "order_id": message.order_id,
        "order_number": message.order_number,
        "channel": message.channel,
        "rule_name": message.rule_name,
        "recipient_type": message.recipient_type,
        "phone": mask_phone(message.phone),
        "sender": message.sender,
        "body": message.body,
        "segments": message.segments,
        "encoding": message.encoding,
        "provider": message.provider,
        "provider_id": message.provider_id,
        "provider_name": providers.name(message.provider_id),
        "attempt_count": attempts,
        "status": message.status,
        "status_changed_at": iso_time(message.status_changed_at),
        "delivery_code": message.delivery_code,
        "error_code": message.error_code,
        "error_label": reason_label(message.error_code),
        "error_text": message.error_text,
        "error_hint": message.error_hint,
        "price": price_text(message.price),
        "currency": message.currency,
    }


def price_text(value: Decimal | None) -> str | None:
    """``0.04000`` → ``0.04``: the column keeps 5 places, people read at least 2."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def iso_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat()
