"""Inbound texts into the log and the do-not-text list; HELP answered.

The web layer (:mod:`saleor_sms_app.web.inbound`) authenticates the request
exactly as a delivery report (per-tenant secret URL, then the provider's own
signature) and lets the adapter parse it into
:class:`~saleor_sms_app.providers.models.InboundSms`; :func:`receive` does the
rest in the caller's transaction:

* every text is logged once as an ``inbound`` row with status ``received``
  (a provider redelivering the same message id changes nothing);
* STOP words put the number on the shop's do-not-text list with the time and
  the provider as source, START words take it off;
* HELP logs a ``queued`` answer with the text the merchant set, which the
  caller queues for sending after the commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from saleor_sms_app.config.model import ProviderConfig, ShopSettings
from saleor_sms_app.consent.suppressions import suppress, unsuppress
from saleor_sms_app.errors import InvalidPhoneNumber
from saleor_sms_app.inbound.keywords import Keyword, keyword_of, normalised
from saleor_sms_app.messages.log import insert_message
from saleor_sms_app.models import Direction, MessageStatus, RecipientType
from saleor_sms_app.providers.models import InboundSms
from saleor_sms_app.recipients.phones import normalise
from saleor_sms_app.segments import count_segments
from saleor_sms_app.settings import Settings

#: ``messages.event`` of an inbound text and of the app's answer to HELP.
INBOUND_EVENT = "INBOUND"
HELP_REPLY_EVENT = "HELP_REPLY"


def inbound_url(
    settings: Settings, tenant_id: int, callback_secret: str | None, provider_id: str
) -> str | None:
    """Where ``provider_id`` should forward texts customers send, or None when
    providers could not reach this app (a local ``APP_URL``)."""
    if not callback_secret or not settings.app_url_is_public:
        return None
    return f"{settings.app_url}/api/inbound/{tenant_id}/{provider_id}/{callback_secret}"


@dataclass
class Received:
    """What one inbound request did."""

    #: Log ids of inbound texts seen for the first time.
    logged: list[int] = field(default_factory=list)
    #: How many texts were redeliveries of ones already logged.
    repeated: int = 0
    suppressed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    #: Log ids of ``queued`` HELP answers, to send once the transaction commits.
    replies: list[int] = field(default_factory=list)


def customer_number(sender: str) -> str:
    """The sender as E.164 when it is a valid number (providers write it with or
    without "+"), else as given, so the log still shows who it was."""
    text = sender.strip()
    candidate = "+" + text if text.isdigit() else text
    try:
        return normalise(candidate, None)
    except InvalidPhoneNumber:
        return text[:64]


def receive(
    session: Session,
    tenant_id: int,
    provider: ProviderConfig,
    shop: ShopSettings,
    texts: Sequence[InboundSms],
) -> Received:
    """Log ``texts`` and act on their keywords; the caller commits."""
    done = Received()
    for sms in texts:
        phone = customer_number(sms.sender)
        keyword = keyword_of(sms.text)
        key = _dedupe_key(provider.id, sms.provider_message_id)
        info = count_segments(sms.text)
        row: dict[str, Any] = {
            "tenant_id": tenant_id,
            "dedupe_key": key,
            "event": INBOUND_EVENT,
            "direction": Direction.INBOUND.value,
            "recipient_type": RecipientType.CUSTOMER.value,
            "phone": phone,
            "sender": sms.to[:64] or None,
            "body": sms.text,
            "segments": info.segments,
            "encoding": info.encoding,
            "provider_id": provider.id,
            "provider": provider.type,
            "provider_message_id": sms.provider_message_id[:255],
            "status": MessageStatus.RECEIVED.value,
            "error_hint": _what_we_did(keyword, sms.text, shop),
        }
        new_id = insert_message(session, row)
        if new_id is None:
            done.repeated += 1  # the provider sent it again: acted on already
            continue
        done.logged.append(new_id)
        if keyword == Keyword.STOP:
            reason = f"replied {normalised(sms.text)}"[:64]
            if suppress(session, tenant_id, phone, reason=reason, source=provider.type):
                done.suppressed.append(phone)
        elif keyword == Keyword.START:
            if unsuppress(session, tenant_id, phone):
                done.restored.append(phone)
        elif keyword == Keyword.HELP and shop.help_reply.strip():
            reply_id = _log_help_reply(session, tenant_id, key, phone, shop.help_reply.strip())
            if reply_id is not None:
                done.replies.append(reply_id)
    return done


def _dedupe_key(provider_id: str, provider_message_id: str) -> str:
    digest = hashlib.sha256(f"{provider_id}\n{provider_message_id}".encode()).hexdigest()
    return f"inbound:{digest}"


def _what_we_did(keyword: Keyword | None, text: str, shop: ShopSettings) -> str | None:
    """The note the message log shows beside an inbound text."""
    if keyword == Keyword.STOP:
        return f"{normalised(text)}: the number is now on the do-not-text list."
    if keyword == Keyword.START:
        return f"{normalised(text)}: the number is off the do-not-text list again."
    if keyword == Keyword.HELP:
        if shop.help_reply.strip():
            return f"{normalised(text)}: answered with the help text from Settings."
        return f"{normalised(text)}: not answered, the help text in Settings is empty."
    return None


def _log_help_reply(
    session: Session, tenant_id: int, inbound_key: str, phone: str, text: str
) -> int | None:
    info = count_segments(text)
    return insert_message(
        session,
        {
            "tenant_id": tenant_id,
            "dedupe_key": "help:" + inbound_key.removeprefix("inbound:"),
            "event": HELP_REPLY_EVENT,
            "recipient_type": RecipientType.CUSTOMER.value,
            "phone": phone,
            "body": text,
            "segments": info.segments,
            "encoding": info.encoding,
            "status": MessageStatus.QUEUED.value,
        },
    )
