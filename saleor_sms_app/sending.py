"""From an accepted webhook to texts in the message log, and from a log row to a provider.

Two steps, two RQ jobs (:mod:`saleor_sms_app.jobs`):

1. :func:`process_event` fetches the order fresh, picks the rules, and writes
   one ``messages`` row per rule × recipient. Each row's ``dedupe_key`` is
   derived from the event occurrence, the rule and the recipient, and rows are
   inserted with ``ON CONFLICT DO NOTHING`` on the per-tenant unique key: a
   redelivered webhook, a re-run job, or two workers at once can never log a
   message twice, and only a logged ``queued`` row is ever sent. Messages that
   must not go out (no phone, invalid number, opted out, template error, rule
   switched off) are logged ``skipped``/``failed`` with the reason.
2. :func:`send_message` sends one ``queued`` row through the tenant's providers
   with failover, writes one ``message_attempts`` row per try and the final
   status. A temporary provider failure raises so RQ retries with backoff (the
   row says why it waits); after the last retry the row is ``failed``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from redis.exceptions import LockError
from rq import Retry, get_current_job
from sqlalchemy import Engine, Table, case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.delivery import callback_url
from saleor_sms_app.errors import InvalidPhoneNumber, NotFound, RetryableError, TemplateError
from saleor_sms_app.events import RULE_EVENTS
from saleor_sms_app.models import (
    Message,
    MessageAttempt,
    MessageStatus,
    RecipientType,
    Tenant,
    utcnow,
)
from saleor_sms_app.orders import fetch_order
from saleor_sms_app.phones import customer_phone, staff_phone
from saleor_sms_app.providers.base import ProviderContext
from saleor_sms_app.providers.failover import Outcome, send_with_failover
from saleor_sms_app.providers.models import FailureReason, OutboundSms
from saleor_sms_app.rendering import order_context, render
from saleor_sms_app.rules import Match, Recipient, matching_rules
from saleor_sms_app.saleor.tenants import (
    TenantRecord,
    get_tenant,
    saleor_client,
    tenant_record,
)
from saleor_sms_app.segments import count_segments
from saleor_sms_app.services import Services
from saleor_sms_app.suppressions import is_suppressed, suppress

log = logging.getLogger(__name__)

#: Seconds between tries of a send after a temporary provider failure (RQ's
#: scheduler runs them; tests set zeros to run them at once).
SEND_RETRY_INTERVALS: list[int] = [30, 120, 600, 1800]
#: How long one send may hold its message; longer than every provider's timeout
#: together, so a second worker never sends the same row while the first still is.
SEND_LOCK_SECONDS = 300
_MESSAGES = cast(Table, Message.__table__)
_ATTEMPTS = cast(Table, MessageAttempt.__table__)

#: Most messages one :func:`send_messages` job sends.
SEND_BATCH_SIZE = 50
#: Longest provider answer kept on an attempt row.
MAX_RAW_CHARS = 4000


@dataclass(frozen=True)
class EventResult:
    """What one webhook became: ids of new rows and of rows (new or old) queued to send."""

    created: list[int]
    queued: list[int]


def occurrence_key(event: str, payload: Mapping[str, Any], dedupe_key: str) -> str:
    """What identifies this happening of the event, for the messages' de-duplication.

    An order is created once and a fulfillment is created once, so for those the
    object id itself is the occurrence: even a second, differently-timed
    delivery cannot text twice. Other events (an order can be updated many
    times) use the webhook's body hash, which a redelivery repeats exactly.
    """
    order = payload.get("order")
    fulfillment = payload.get("fulfillment")
    if event == "ORDER_CREATED" and isinstance(order, Mapping) and order.get("id"):
        return f"{event}:{order['id']}"
    if (
        event == "FULFILLMENT_CREATED"
        and isinstance(fulfillment, Mapping)
        and fulfillment.get("id")
    ):
        return f"{event}:{fulfillment['id']}"
    return f"{event}:{dedupe_key}"


def message_dedupe_key(occurrence: str, rule_id: str, recipient: Recipient) -> str:
    return hashlib.sha256(f"{occurrence}\n{rule_id}\n{recipient.key}".encode()).hexdigest()


# --------------------------------------------------------------------------- step 1


def process_event(
    services: Services, saleor_api_url: str, event: str, payload: str, dedupe_key: str
) -> EventResult:
    """Log every message this webhook calls for and queue the sendable ones.

    Raises :class:`RetryableError` (Saleor down) so the job is retried; an
    uninstalled tenant, an event without rules or a vanished order is nothing
    to do. A configuration we cannot read raises its permanent error so the
    failed job shows why.
    """
    tenant = get_tenant(services, saleor_api_url)
    if tenant is None:
        log.info("webhook for %s ignored: the app is not installed there", saleor_api_url)
        return EventResult([], [])
    if event not in RULE_EVENTS:
        return EventResult([], [])
    try:
        body = json.loads(payload)
    except ValueError:
        log.error("webhook %s for tenant %s is not JSON; nothing sent", event, tenant.id)
        return EventResult([], [])
    body = body if isinstance(body, dict) else {}
    order_ref = body.get("order")
    order_id = order_ref.get("id") if isinstance(order_ref, Mapping) else None
    if not order_id:
        log.error("webhook %s for tenant %s names no order; nothing sent", event, tenant.id)
        return EventResult([], [])

    config = ConfigStore(services).load(tenant)
    try:
        snapshot = fetch_order(saleor_client(services, tenant), str(order_id))
    except NotFound:
        log.warning("order %s of tenant %s no longer exists; nothing sent", order_id, tenant.id)
        return EventResult([], [])

    fulfillment = body.get("fulfillment")
    fulfillment_id = fulfillment.get("id") if isinstance(fulfillment, Mapping) else None
    notify = body.get("notifyCustomer")
    matches = matching_rules(
        config,
        event,
        snapshot.order,
        notify_customer=notify if isinstance(notify, bool) else None,
    )
    if not matches:
        return EventResult([], [])
    context = order_context(
        snapshot.order,
        shop_name=snapshot.shop_name,
        fulfillment_id=str(fulfillment_id) if fulfillment_id else None,
        phone_metadata_key=config.settings.phone_metadata_key,
    )
    occurrence = occurrence_key(event, body, dedupe_key)
    base = {
        "tenant_id": tenant.id,
        "event": event,
        "order_id": str(snapshot.order.get("id") or order_id),
        "order_number": str(snapshot.order.get("number") or "") or None,
        "channel": str((snapshot.order.get("channel") or {}).get("slug") or "") or None,
    }
    created: list[int] = []
    to_send: list[int] = []
    with session_scope(services.sessions) as session:
        for match in matches:
            for recipient in match.recipients:
                key = message_dedupe_key(occurrence, match.rule.id, recipient)
                row = {
                    **base,
                    "dedupe_key": key,
                    "rule_id": match.rule.id,
                    "rule_name": match.rule.name,
                    "recipient_type": recipient.type.value,
                }
                row.update(
                    _compose(session, tenant, config, snapshot.order, context, match, recipient)
                )
                new_id = insert_message(session, row)
                if new_id is not None:
                    created.append(new_id)
                    if row["status"] == MessageStatus.QUEUED.value:
                        to_send.append(new_id)
                else:
                    # Already logged by an earlier run; if that run died before
                    # queueing the send, queue it now (sending is idempotent).
                    existing = session.scalar(
                        select(Message.id).where(
                            Message.tenant_id == tenant.id,
                            Message.dedupe_key == key,
                            Message.status == MessageStatus.QUEUED.value,
                        )
                    )
                    if existing is not None:
                        to_send.append(existing)
    enqueue_sends(services, to_send)
    return EventResult(created, to_send)


def _compose(
    session: Session,
    tenant: TenantRecord,
    config: AppConfig,
    order: Mapping[str, Any],
    context: Mapping[str, Any],
    match: Match,
    recipient: Recipient,
) -> dict[str, Any]:
    """Phone, body and status of one message: ``queued``, or why it is not sent."""
    settings = config.settings
    if recipient.skip_code:
        return _not_sent(MessageStatus.SKIPPED, recipient.skip_code, recipient.skip_reason or "")
    try:
        if recipient.type == RecipientType.CUSTOMER:
            found = customer_phone(order, settings)
            if found is None:
                return _not_sent(
                    MessageStatus.SKIPPED,
                    "no_phone",
                    "The order has no phone number (shipping, billing or customer metadata "
                    f"key {settings.phone_metadata_key!r})",
                    hint="Make the phone field required at checkout to reach every customer.",
                )
            phone = found[1]
        else:
            phone = staff_phone(recipient.number, settings)
    except InvalidPhoneNumber as exc:
        raw = str((exc.details or {}).get("raw", ""))
        return _not_sent(
            MessageStatus.SKIPPED,
            "invalid_number",
            exc.message,
            phone=raw,
            hint="Check the number, or set the default country for numbers without a prefix.",
        )
    try:
        body = render(match.rule.template, context)
    except TemplateError as exc:
        return _not_sent(
            MessageStatus.FAILED,
            "template_error",
            exc.message,
            phone=phone,
            hint=f"Fix the template of the rule {match.rule.name!r} in the app.",
        )
    if not body:
        return _not_sent(
            MessageStatus.SKIPPED,
            "empty_message",
            "The template produced no text for this order",
            phone=phone,
        )
    hint = None
    if settings.dry_run.enabled:
        try:
            test_number = staff_phone(settings.dry_run.number, settings)
        except InvalidPhoneNumber as exc:
            return _not_sent(
                MessageStatus.FAILED,
                "dry_run_number_invalid",
                f"Dry run is on but its test number is unusable: {exc.message}",
                phone=phone,
                body=body,
            )
        hint = f"Dry run: sent to the test number instead of {phone}"
        phone = test_number
    info = count_segments(body)
    fields: dict[str, Any] = {
        "phone": phone,
        "body": body,
        "segments": info.segments,
        "encoding": info.encoding,
        "status": MessageStatus.QUEUED.value,
        "error_hint": hint,
    }
    if is_suppressed(session, tenant.id, phone):
        fields.update(
            status=MessageStatus.SKIPPED.value,
            error_code="opted_out",
            error_text="The number is on the do-not-text list",
        )
    return fields


def _not_sent(
    status: MessageStatus,
    code: str,
    text: str,
    *,
    phone: str = "",
    body: str = "",
    hint: str | None = None,
) -> dict[str, Any]:
    return {
        "status": status.value,
        "error_code": code,
        "error_text": text,
        "error_hint": hint,
        "phone": phone[:64],
        "body": body,
    }


def insert_message(session: Session, row: Mapping[str, Any]) -> int | None:
    """Insert one log row; None if the tenant already has one with this ``dedupe_key``.

    ``ON CONFLICT DO NOTHING`` on the unique key, so two workers racing on the
    same webhook both succeed and exactly one row exists afterwards.
    """
    values = {"created_at": utcnow(), "updated_at": utcnow(), **row}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = (
            postgresql.insert(Message)
            .values(values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "dedupe_key"])
        )
    elif dialect == "sqlite":
        stmt = (
            sqlite.insert(Message)
            .values(values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "dedupe_key"])
        )
    else:  # pragma: no cover - only the two supported databases reach here
        stmt = insert(Message).values(values)
    new_id = session.execute(stmt.returning(Message.id)).scalar_one_or_none()
    return int(new_id) if new_id is not None else None


def enqueue_send(services: Services, message_id: int) -> None:
    """Queue :func:`saleor_sms_app.jobs.send_message` for a logged ``queued`` message."""
    services.queue.enqueue(
        "saleor_sms_app.jobs.send_message",
        message_id,
        job_id=f"send-{message_id}",
        retry=Retry(max=len(SEND_RETRY_INTERVALS), interval=SEND_RETRY_INTERVALS),
        description=f"send SMS message {message_id}",
    )


def enqueue_sends(services: Services, message_ids: list[int]) -> None:
    """Queue sends for several logged messages: one job for one, batch jobs for more.

    RQ's own bookkeeping costs more than an SMS, so many messages go in
    :func:`saleor_sms_app.jobs.send_messages` jobs of up to
    :data:`SEND_BATCH_SIZE`; each message is still sent by :func:`send_message`.
    """
    if len(message_ids) == 1:
        enqueue_send(services, message_ids[0])
        return
    for start in range(0, len(message_ids), SEND_BATCH_SIZE):
        batch = message_ids[start : start + SEND_BATCH_SIZE]
        services.queue.enqueue(
            "saleor_sms_app.jobs.send_messages",
            batch,
            job_id=f"send-{batch[0]}-{batch[-1]}-{len(batch)}",
            # A batch that dies half-way is re-run whole: rows already sent are
            # no longer ``queued`` and are skipped, so nothing goes out twice.
            retry=Retry(max=len(SEND_RETRY_INTERVALS), interval=SEND_RETRY_INTERVALS),
            description=f"send {len(batch)} SMS messages from {batch[0]}",
        )


def _enqueue_retry(services: Services, message_id: int) -> None:
    """Hand one message of a batch to its own job for the remaining tries.

    The batch was its first try, so the job starts after the first interval and
    keeps the other intervals: the same tries, at the same times, as a message
    sent alone.
    """
    first, *rest = SEND_RETRY_INTERVALS
    kwargs: dict[str, Any] = {
        "job_id": f"send-{message_id}",
        "description": f"send SMS message {message_id}",
    }
    if rest:
        kwargs["retry"] = Retry(max=len(rest), interval=rest)
    if first > 0:
        services.queue.enqueue_in(
            timedelta(seconds=first), "saleor_sms_app.jobs.send_message", message_id, **kwargs
        )
    else:
        services.queue.enqueue("saleor_sms_app.jobs.send_message", message_id, **kwargs)


# --------------------------------------------------------------------------- step 2


def providers_for(config: AppConfig, channel: str | None) -> list[ProviderConfig]:
    """Enabled providers serving the channel, in the merchant's failover order."""
    return [
        p
        for p in config.providers
        if p.enabled and (not p.channels or (channel is not None and channel in p.channels))
    ]


def _retries_left() -> int:
    job = get_current_job()
    return int(job.retries_left or 0) if job is not None else 0


class _SendCache:
    """What every send would otherwise rebuild, kept per process: tenants, parsed configs.

    Nothing here can go stale unnoticed. A tenant record is keyed by its row's
    stored columns, read fresh with the message on every send, so an uninstall
    or a token change is seen at once. A configuration is keyed by the stored
    document's text, read on every send from the Redis cache that a save drops,
    so a saved change is a different key. Only the decryption and parsing are
    saved (about half a millisecond a message). Bounded: when full it starts over.
    """

    MAX_ENTRIES = 512

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tenants: dict[tuple[Any, ...], TenantRecord] = {}
        self._configs: dict[tuple[int, str | None], AppConfig] = {}

    def tenant(self, services: Services, row: Tenant) -> TenantRecord:
        key = tuple(getattr(row, name) for name in _TENANT_FIELDS)
        record = self._tenants.get(key)
        if record is None:
            record = tenant_record(services, row)
            with self._lock:
                if len(self._tenants) >= self.MAX_ENTRIES:
                    self._tenants.clear()
                self._tenants[key] = record
        return record

    def config(self, services: Services, tenant: TenantRecord) -> AppConfig:
        store = ConfigStore(services)
        raw = store.stored(tenant)
        key = (tenant.id, raw)
        config = self._configs.get(key)
        if config is None:
            config = store.parse(raw)
            with self._lock:
                if len(self._configs) >= self.MAX_ENTRIES:
                    self._configs.clear()
                self._configs[key] = config
        return config


#: Every stored column a :class:`TenantRecord` is built from.
_TENANT_FIELDS = (
    "id",
    "saleor_api_url",
    "saleor_domain",
    "app_id",
    "token_encrypted",
    "jwks",
    "callback_secret_encrypted",
    "jwks_fetched_at",
    "saleor_version",
)

# Keyed by engine, like the tenant cache: two Services on different databases
# (tests, the benchmark) never share records.
_send_caches: weakref.WeakKeyDictionary[Engine, _SendCache] = weakref.WeakKeyDictionary()


def _send_cache(services: Services) -> _SendCache:
    cache = _send_caches.get(services.engine)
    if cache is None:
        cache = _send_caches.setdefault(services.engine, _SendCache())
    return cache


def send_message(services: Services, message_id: int, *, retries_left: int | None = None) -> str:
    """Send one logged message if it is still ``queued``; returns its status afterwards.

    ``retries_left`` says whether a temporary failure will be tried again
    (recorded as waiting and raised) or is final (recorded ``failed``); by
    default the running RQ job's own count decides.
    """
    lock = services.redis.lock(f"sms:sending:{message_id}", timeout=SEND_LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        log.info("message %s is being sent by another worker", message_id)
        return "locked"
    try:
        return _send_locked(services, message_id, retries_left)
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("the send lock of message %s expired before the send finished", message_id)


def _send_locked(services: Services, message_id: int, retries_left: int | None = None) -> str:
    if retries_left is None:
        retries_left = _retries_left()
    # One read: the message and its tenant's row together.
    with services.sessions() as session:
        found = session.execute(
            select(Message, Tenant)
            .join(Tenant, Tenant.id == Message.tenant_id)
            .where(Message.id == message_id)
        ).first()
        if found is None:
            return "missing"
        message, tenant_row = found
        if message.status != MessageStatus.QUEUED.value:
            return message.status
        tenant_id, channel = message.tenant_id, message.channel
        sms = OutboundSms(
            to=message.phone,
            body=message.body,
            reference=str(message.id),
            # Set per provider by send_with_failover (callback_url_for below).
            status_callback_url=None,
            context={
                "tenant": tenant_id,
                "rule": message.rule_name,
                "order_number": message.order_number,
            },
        )
        cache = _send_cache(services)
        tenant = cache.tenant(services, tenant_row)
    if not tenant.is_installed:
        _finish(
            services,
            message_id,
            MessageStatus.SKIPPED,
            "app_uninstalled",
            "The app was removed from this Saleor before the message was sent",
        )
        return MessageStatus.SKIPPED.value
    try:
        config = cache.config(services, tenant)
    except RetryableError as exc:
        if retries_left > 0:
            _note_waiting(services, message_id, exc.code, exc.message)
            raise
        _finish(services, message_id, MessageStatus.FAILED, exc.code, exc.message)
        return MessageStatus.FAILED.value
    providers = providers_for(config, channel)
    if not providers:
        _finish(
            services,
            message_id,
            MessageStatus.FAILED,
            "no_provider",
            f"No enabled provider serves the channel {channel or '(none)'}",
            hint="Enable a provider for this channel in the app's Providers screen.",
        )
        return MessageStatus.FAILED.value
    context = ProviderContext(
        session=services.http, sandbox_outbox=services.settings.sandbox_outbox
    )
    settings, secret = services.settings, tenant.callback_secret
    outcome = send_with_failover(
        providers,
        sms,
        context,
        callback_url_for=lambda p: callback_url(settings, tenant_id, secret, p.id),
    )
    if outcome.result is not None and config.settings.low_balance_threshold is not None:
        # Imported here: balance.py logs its alert texts through this module.
        from saleor_sms_app.balance import schedule_balance_check

        schedule_balance_check(services, tenant_id)
    return _record(services, message_id, tenant_id, sms.to, outcome, retries_left)


def send_messages(services: Services, message_ids: list[int]) -> dict[str, int]:
    """Send several logged messages, each exactly as :func:`send_message`; status → count.

    A message that fails temporarily (or hits anything unexpected) is recorded
    as waiting and handed to its own ``send_message`` job with the remaining
    tries (:func:`_enqueue_retry`), so one provider hiccup never re-runs the
    messages of the batch that already went out.
    """
    counts: dict[str, int] = {}
    for message_id in message_ids:
        try:
            status = send_message(services, message_id, retries_left=len(SEND_RETRY_INTERVALS))
        except Exception:
            log.warning("message %s will be tried again in its own job", message_id, exc_info=True)
            _enqueue_retry(services, message_id)
            status = "retrying"
        counts[status] = counts.get(status, 0) + 1
    return counts


def _record(
    services: Services,
    message_id: int,
    tenant_id: int,
    phone: str,
    outcome: Outcome,
    retries_left: int | None = None,
) -> str:
    """Write the attempts and the message's status in one go; raise to retry a temporary failure.

    One multi-row insert and one ``UPDATE … RETURNING`` (no re-read of the
    message): a dry-run hint is kept by the database itself (``CASE``).
    """
    if retries_left is None:
        retries_left = _retries_left()
    error = outcome.error
    retry = error is not None and error.temporary and retries_left > 0
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
                "status": result.status.value if result else "failed",
                "provider_message_id": result.provider_message_id if result else None,
                "error_code": (err.provider_code or err.reason.value) if err else None,
                "error_text": err.message if err else None,
                "temporary": err.temporary if err else None,
                "duration_ms": attempt.duration_ms,
                "raw_response": raw[:MAX_RAW_CHARS] if raw else None,
            }
        )
    provider = outcome.provider
    values: dict[str, Any] = {
        "provider_id": provider.id if provider else None,
        "provider": provider.type if provider else None,
        "updated_at": utcnow(),
    }
    result = outcome.result
    if result is not None:
        values.update(
            status=MessageStatus.SENT.value,
            provider_message_id=result.provider_message_id,
            price=result.price,
            currency=result.currency,
            sent_at=utcnow(),
            error_code=None,
            error_text=None,
            error_hint=case(
                (_MESSAGES.c.error_hint.startswith("Dry run"), _MESSAGES.c.error_hint),
                else_=None,
            ),
        )
        if result.segments:
            values["segments"] = result.segments
    elif error is not None:
        values.update(
            error_code=error.reason.value,
            error_text=f"Waiting to retry: {error}" if retry else str(error),
            error_hint=error.hint,
        )
        if not retry:
            values["status"] = MessageStatus.FAILED.value
    with session_scope(services.sessions) as session:
        # Core statements on the session's connection (same transaction): the
        # ORM's bulk and UPDATE paths cost about as much Python as the SMS call.
        connection = session.connection()
        if attempts:
            connection.execute(_ATTEMPTS.insert(), attempts)
        status = connection.execute(
            _MESSAGES.update()
            .where(_MESSAGES.c.id == message_id)
            .values(values)
            .returning(_MESSAGES.c.status)
        ).scalar_one()
        if error is not None and result is None and not retry:
            if error.reason == FailureReason.OPTED_OUT:
                suppress(session, tenant_id, phone, reason="opted_out", source=error.provider)
    if retry:
        assert error is not None
        raise TemporarySendFailure(str(error))
    return str(status)


class TemporarySendFailure(RetryableError):
    """Raised inside the send job so RQ schedules the next try."""

    code = "provider_temporarily_failed"


def _note_waiting(services: Services, message_id: int, code: str, text: str) -> None:
    with session_scope(services.sessions) as session:
        session.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(error_code=code, error_text=f"Waiting to retry: {text}", updated_at=utcnow())
        )


def _finish(
    services: Services,
    message_id: int,
    status: MessageStatus,
    code: str,
    text: str,
    *,
    hint: str | None = None,
) -> None:
    with session_scope(services.sessions) as session:
        session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.QUEUED.value)
            .values(
                status=status.value,
                error_code=code,
                error_text=text,
                error_hint=hint,
                updated_at=utcnow(),
            )
        )
