"""Delivery reports: where providers send them, and what they change in the log.

Every tenant has a random callback secret (``tenants.callback_secret``); each
message asks its provider to report to
``<APP_URL>/api/delivery-reports/<tenant_id>/<provider_id>/<secret>``. The web
layer (:mod:`saleor_sms_app.web.delivery_reports`) checks the secret and the
provider's own signature, the adapter parses the request into
:class:`DeliveryEvent` s, and :func:`apply_events` moves messages on.

Rules for the log: a report is stored only for a message we sent (same
tenant, same provider configuration, same provider message id), so a forged or
stray report changes nothing; a final state is never downgraded (a late
"sent" or "buffered" cannot undo "delivered"); an opted-out report puts the
number on the tenant's suppression list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.consent.suppressions import suppress
from saleor_sms_app.models import DeliveryReport, Message, MessageStatus, utcnow
from saleor_sms_app.providers.models import DeliveryEvent, DeliveryStatus
from saleor_sms_app.settings import Settings

#: Delivery status → the message's status. UNKNOWN (intermediate) changes nothing.
_MESSAGE_STATUS = {
    DeliveryStatus.DELIVERED: MessageStatus.DELIVERED,
    DeliveryStatus.UNDELIVERED: MessageStatus.FAILED,
    DeliveryStatus.EXPIRED: MessageStatus.FAILED,
    DeliveryStatus.FAILED: MessageStatus.FAILED,
}

#: Hints for failed deliveries when the provider's code has none of its own.
_DELIVERY_HINTS = {
    DeliveryStatus.EXPIRED: "The phone stayed off or out of coverage until the provider "
    "gave up; the number itself may be fine.",
    DeliveryStatus.UNDELIVERED: "The carrier could not deliver it; check the number.",
}


def callback_url(
    settings: Settings, tenant_id: int, callback_secret: str | None, provider_id: str
) -> str | None:
    """Where ``provider_id`` should report delivery, or None when providers could not reach us.

    A local ``APP_URL`` (localhost, 10.x …) gets no callback URL at all: some
    providers refuse the whole send when the report URL is unreachable.
    """
    if not callback_secret or not settings.app_url_is_public:
        return None
    return f"{settings.app_url}/api/delivery-reports/{tenant_id}/{provider_id}/{callback_secret}"


def callback_urls(
    settings: Settings, tenant_id: int, callback_secret: str | None
) -> Callable[[ProviderConfig], str | None]:
    """One tenant's :func:`callback_url` per provider, as ``send_with_failover`` asks for it
    (the URL names the provider, so a report only matches what that provider sent)."""
    return lambda provider: callback_url(settings, tenant_id, callback_secret, provider.id)


@dataclass
class Applied:
    """What one callback request did."""

    #: Message ids whose report was stored.
    matched: list[int] = field(default_factory=list)
    #: Provider message ids we have no message for.
    unknown: list[str] = field(default_factory=list)
    #: Message ids whose status changed.
    changed: list[int] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)


def apply_events(
    session: Session,
    tenant_id: int,
    provider_id: str,
    provider_type: str,
    events: Sequence[DeliveryEvent],
    *,
    hint_for: Callable[[str | None], str | None] = lambda _code: None,
) -> Applied:
    """Store each report of a message we sent and move that message on.

    The caller commits. ``hint_for`` maps the provider's code to merchant advice
    (the adapter's lookup table).
    """
    applied = Applied()
    for event in events:
        message = session.scalars(
            select(Message).where(
                Message.tenant_id == tenant_id,
                Message.provider_id == provider_id,
                Message.provider_message_id == event.provider_message_id,
            )
        ).first()
        if message is None:
            message = _by_reference(session, tenant_id, provider_id, event)
        if message is None:
            applied.unknown.append(event.provider_message_id)
            continue
        session.add(
            DeliveryReport(
                tenant_id=tenant_id,
                message_id=message.id,
                provider=provider_type,
                provider_message_id=event.provider_message_id,
                status=event.status.value,
                provider_code=event.provider_code,
                raw=event.raw or None,
            )
        )
        applied.matched.append(message.id)
        if _move(message, event, hint_for):
            applied.changed.append(message.id)
        if event.opted_out and message.phone:
            if suppress(
                session, tenant_id, message.phone, reason="opted_out", source=provider_type
            ):
                applied.suppressed.append(message.phone)
    return applied


#: A send still unrecorded after this long is not about to be recorded (its
#: providers' timeouts have all passed): a report then is simply unknown.
IN_FLIGHT_SECONDS = 60


def sending_now(session: Session, tenant_id: int) -> bool:
    """Whether the tenant has messages a worker is sending at this moment.

    A worker records the providers' answers a few at a time, so a fast
    provider's report can arrive before its message id is written; such a
    report is worth sending again, not refusing as unknown.
    """
    cutoff = utcnow() - timedelta(seconds=IN_FLIGHT_SECONDS)
    found = session.scalar(
        select(
            exists().where(
                Message.tenant_id == tenant_id,
                Message.status == MessageStatus.SENDING.value,
                Message.updated_at >= cutoff,
            )
        )
    )
    return bool(found)


def _by_reference(
    session: Session, tenant_id: int, provider_id: str, event: DeliveryEvent
) -> Message | None:
    """The message a report names by our own reference, when we never learnt the
    provider's id for it (the send answer was lost: a timeout, or SMSAPI's
    "already sent" for a retried idx). Only a message of this provider that has
    no provider id yet qualifies, so a reference can never hijack another row.
    """
    if not event.reference or not event.reference.isdigit():
        return None
    message = session.get(Message, int(event.reference))
    if (
        message is None
        or message.tenant_id != tenant_id
        or message.provider_id != provider_id
        or message.provider_message_id is not None
    ):
        return None
    message.provider_message_id = event.provider_message_id
    return message


def _move(
    message: Message, event: DeliveryEvent, hint_for: Callable[[str | None], str | None]
) -> bool:
    target = _MESSAGE_STATUS.get(event.status)
    current = message.status
    if target is None:
        # Intermediate report: a message still waiting for news stays as it is,
        # but at least the provider has it.
        return False
    if current == MessageStatus.DELIVERED.value:
        return False  # final: nothing after "delivered" can undo it
    if current == MessageStatus.FAILED.value and target != MessageStatus.DELIVERED:
        return False  # already failed; a later delivered report is the only news
    if current in (MessageStatus.SKIPPED.value, MessageStatus.QUEUED.value):
        return False  # not sent by us (yet): a report cannot be about it
    message.status = target.value
    message.status_changed_at = utcnow()
    message.delivery_code = event.provider_code or event.status.value
    if target == MessageStatus.DELIVERED:
        message.error_code = message.error_text = message.error_hint = None
    else:
        message.error_code = event.provider_code or event.status.value
        message.error_text = f"Delivery report: {event.description or event.status.value}"
        message.error_hint = hint_for(event.provider_code) or _DELIVERY_HINTS.get(event.status)
    return True
