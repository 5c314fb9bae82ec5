"""From an accepted webhook to texts in the message log, and from a log row to a provider.

Two steps (:mod:`saleor_sms_app.jobs`); the webhook's job runs both for the
messages of its event, and ``send_message``/``send_messages`` jobs run step 2
for retries, events with more than a batch of messages and balance alerts:

1. :func:`process_event` fetches the order fresh, picks the rules, and writes
   one ``messages`` row per rule × recipient. Each row's ``dedupe_key`` is
   derived from the event occurrence, the rule and the recipient, and rows are
   inserted with ``ON CONFLICT DO NOTHING`` on the per-tenant unique key: a
   redelivered webhook, a re-run job, or two workers at once can never log a
   message twice, and only a logged ``queued`` row is ever sent. Messages that
   must not go out (no phone, invalid number, opted out, template error, rule
   switched off) are logged ``skipped``/``failed`` with the reason.
2. :func:`send_message` (one row) and :func:`send_messages` (a batch) claim
   ``queued`` rows by moving them to ``sending`` in one conditional ``UPDATE``,
   so exactly one worker ever sends a row; send them through the tenant's
   providers with failover; and write one ``message_attempts`` row per try and
   the final status. A temporary provider failure puts the row back to
   ``queued`` with the reason and RQ retries it with backoff; after the last
   retry the row is ``failed``. A worker that dies mid-send leaves its rows
   ``sending``; :func:`release_stale_sends` later marks them ``unknown`` and
   never sends them again, since the provider may already have.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, cast

from rq import Retry, get_current_job
from sqlalchemy import Engine, Table, bindparam, case, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.delivery import callback_urls
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
from saleor_sms_app.providers import build_provider
from saleor_sms_app.providers.base import ProviderContext, SmsProvider
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
#: How long a message may stay ``sending`` before it counts as interrupted;
#: longer than every provider's timeout together (and than RQ's job timeout).
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
    # Fresh: the token must be the current install's, not a cached one a reinstall replaced.
    tenant = get_tenant(services, saleor_api_url, fresh=True)
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
                    # sending it, send it now (only a ``queued`` row can be claimed).
                    existing = session.scalar(
                        select(Message.id).where(
                            Message.tenant_id == tenant.id,
                            Message.dedupe_key == key,
                            Message.status == MessageStatus.QUEUED.value,
                        )
                    )
                    if existing is not None:
                        to_send.append(existing)
    # The messages of one event go out in this job, through the same claim as a
    # send job (a second RQ job per order cost more than the SMS); an event
    # with more than a batch of them leaves the rest to batch jobs.
    if to_send:
        send_messages(services, to_send[:SEND_BATCH_SIZE])
        enqueue_sends(services, to_send[SEND_BATCH_SIZE:])
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
    """Queue sends for several logged messages: one job for one, batch jobs for more
    (nothing for none).

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
    if retries_left is None:
        retries_left = _retries_left()
    statuses, waiting = _dispatch(services, [message_id], retries_left)
    if message_id in waiting:
        raise TemporarySendFailure(waiting[message_id])
    return statuses[message_id]


def send_messages(services: Services, message_ids: list[int]) -> dict[str, int]:
    """Send several logged messages, each exactly as :func:`send_message`; status → count.

    The batch shares its bookkeeping: one statement claims every row, one
    reads their tenants, each tenant's configuration is read once, the
    messages go to the providers side by side (``SEND_CONCURRENCY``) and the
    outcomes are written :data:`RECORD_EVERY` at a time. A message that fails
    temporarily is recorded as waiting and handed to its own ``send_message``
    job with the remaining tries (:func:`_enqueue_retry`), so one provider
    hiccup never re-runs the messages of the batch that already went out.
    """
    statuses, waiting = _dispatch(services, message_ids, len(SEND_RETRY_INTERVALS))
    for message_id in waiting:
        _enqueue_retry(services, message_id)
    counts: dict[str, int] = {}
    for message_id in message_ids:
        status = "retrying" if message_id in waiting else statuses[message_id]
        counts[status] = counts.get(status, 0) + 1
    return counts


def record_outcome(
    services: Services, message_id: int, tenant_id: int, phone: str, outcome: Outcome
) -> str:
    """Write what the providers answered for a message sent outside a job (the
    dashboard's test message, logged as ``sending``); a temporary failure is
    final there. Returns the message's status."""
    update = _outcome_update(message_id, tenant_id, phone, outcome, retries_left=0)
    _write(services, [update])
    return update.status


def release_stale_sends(services: Services, *, older_than: int = SEND_LOCK_SECONDS) -> int:
    """Mark messages stuck in ``sending`` as ``unknown``; how many there were.

    A row stays ``sending`` only if its worker died between claiming it and
    recording the provider's answer. The provider may or may not have taken
    it, so it is not sent again (a customer would rather miss a text than get
    two); the log says so. The worker runs this with its maintenance tasks.
    """
    cutoff = utcnow() - timedelta(seconds=older_than)
    with session_scope(services.sessions) as session:
        result = session.connection().execute(
            _MESSAGES.update()
            .where(
                _MESSAGES.c.status == MessageStatus.SENDING.value,
                _MESSAGES.c.updated_at < cutoff,
            )
            .values(
                status=MessageStatus.UNKNOWN.value,
                error_code="send_interrupted",
                error_text="The worker stopped while this message was being sent; the provider "
                "may or may not have taken it",
                error_hint="Not sent again, so that nobody gets the text twice.",
                updated_at=utcnow(),
            )
        )
        return int(result.rowcount or 0)


#: Outcomes written per transaction while a batch is being sent: few enough that
#: the log shows progress and a delivery report finds its row, enough to share commits.
RECORD_EVERY = 10
#: ... or as soon as this long has passed since the last write (slow providers).
RECORD_AFTER_SECONDS = 0.25


@dataclass(frozen=True)
class _Claimed:
    """A message this worker moved from ``queued`` to ``sending``: only it sends it."""

    id: int
    tenant_id: int
    channel: str | None
    sms: OutboundSms


@dataclass(frozen=True)
class _Update:
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


_Send = tuple[_Claimed, list[ProviderConfig], Callable[[ProviderConfig], str | None]]


def _dispatch(
    services: Services, message_ids: list[int], retries_left: int
) -> tuple[dict[int, str], dict[int, str]]:
    """Claim, send and record ``message_ids``: (id → status afterwards, id → why it waits)."""
    claimed, statuses, tenant_rows = _claim(services, message_ids)
    settings = services.settings
    cache = _send_cache(services)
    updates: list[_Update] = []
    sends: list[_Send] = []
    balance_watch: set[int] = set()
    for tenant_id, messages in _by_tenant(claimed).items():
        tenant = cache.tenant(services, tenant_rows[tenant_id])
        if not tenant.is_installed:
            updates += [
                _not_sent_update(
                    m.id,
                    MessageStatus.SKIPPED,
                    "app_uninstalled",
                    "The app was removed from this Saleor before the message was sent",
                )
                for m in messages
            ]
            continue
        try:
            config = cache.config(services, tenant)
        except RetryableError as exc:
            updates += [
                _not_sent_update(m.id, None, exc.code, exc.message, retries_left=retries_left)
                for m in messages
            ]
            continue
        if config.settings.low_balance_threshold is not None:
            balance_watch.add(tenant_id)
        callback_url_for = callback_urls(settings, tenant_id, tenant.callback_secret)
        for message in messages:
            providers = providers_for(config, message.channel)
            if providers:
                sends.append((message, providers, callback_url_for))
                continue
            updates.append(
                _not_sent_update(
                    message.id,
                    MessageStatus.FAILED,
                    "no_provider",
                    f"No enabled provider serves the channel {message.channel or '(none)'}",
                    hint="Enable a provider for this channel in the app's Providers screen.",
                )
            )
    _write(services, updates)

    context = ProviderContext(session=services.http, sandbox_outbox=settings.sandbox_outbox)
    build = _AdapterCache().build

    def send(item: _Send) -> _Update:
        message, providers, callback_url_for = item
        try:
            outcome = send_with_failover(
                providers, message.sms, context, build=build, callback_url_for=callback_url_for
            )
        except Exception as exc:  # a bug must not leave the row claimed for ever
            log.exception("sending message %s failed unexpectedly", message.id)
            return _not_sent_update(
                message.id,
                None,
                "internal_error",
                f"Unexpected error while sending: {type(exc).__name__}",
                retries_left=retries_left,
            )
        return _outcome_update(message.id, message.tenant_id, message.sms.to, outcome, retries_left)

    pending: list[_Update] = []
    sent_for: set[int] = set()
    tenant_of = {m.id: m.tenant_id for m in claimed}
    written_at = time.monotonic()
    for update in _side_by_side(send, sends, settings.send_concurrency):
        updates.append(update)
        pending.append(update)
        if len(pending) >= RECORD_EVERY or time.monotonic() - written_at > RECORD_AFTER_SECONDS:
            _write(services, pending)
            pending, written_at = [], time.monotonic()
        if update.sent:
            sent_for.add(tenant_of[update.message_id])
    _write(services, pending)

    if balance_watch & sent_for:
        # Imported here: balance.py logs its alert texts through this module.
        from saleor_sms_app.balance import schedule_balance_check

        for tenant_id in balance_watch & sent_for:
            schedule_balance_check(services, tenant_id)
    waiting: dict[int, str] = {}
    for update in updates:
        statuses[update.message_id] = update.status
        if update.waiting is not None:
            waiting[update.message_id] = update.waiting
    return statuses, waiting


# Built once: compiling the statements again for every job costs more than running them.
_CLAIM = (
    _MESSAGES.update()
    .where(
        _MESSAGES.c.id.in_(bindparam("b_ids", expanding=True)),
        _MESSAGES.c.status == MessageStatus.QUEUED.value,
    )
    .values(status=MessageStatus.SENDING.value, updated_at=bindparam("b_now"))
    .returning(
        _MESSAGES.c.id,
        _MESSAGES.c.tenant_id,
        _MESSAGES.c.channel,
        _MESSAGES.c.phone,
        _MESSAGES.c.body,
        _MESSAGES.c.rule_name,
        _MESSAGES.c.order_number,
    )
)
_STATUSES = select(_MESSAGES.c.id, _MESSAGES.c.status).where(
    _MESSAGES.c.id.in_(bindparam("b_ids", expanding=True))
)
_TENANTS = select(Tenant).where(Tenant.id.in_(bindparam("b_ids", expanding=True)))


def _claim(
    services: Services, message_ids: list[int]
) -> tuple[list[_Claimed], dict[int, str], dict[int, Tenant]]:
    """Move the ``queued`` ones of ``message_ids`` to ``sending`` in one statement.

    The database decides who sends: of two workers running the same ids, the
    conditional ``UPDATE`` lets exactly one take each row, on SQLite and on
    PostgreSQL alike, and a row already sent, skipped or being sent is left
    alone. Returns the claimed messages, the current status of the others
    (``missing`` when there is no row) and the claimed messages' tenants.
    """
    wanted = list(dict.fromkeys(message_ids))
    with session_scope(services.sessions) as session:
        connection = session.connection()
        rows = connection.execute(_CLAIM, {"b_ids": wanted, "b_now": utcnow()}).all()
        taken = {row.id for row in rows}
        others = [i for i in wanted if i not in taken]
        statuses = {i: "missing" for i in others}
        if others:
            found_statuses = connection.execute(_STATUSES, {"b_ids": others})
            statuses.update((row.id, row.status) for row in found_statuses)
        tenants: dict[int, Tenant] = {}
        if rows:
            tenant_ids = list({row.tenant_id for row in rows})
            found = session.scalars(_TENANTS, {"b_ids": tenant_ids})
            tenants = {tenant.id: tenant for tenant in found}
    order = {message_id: i for i, message_id in enumerate(wanted)}
    claimed = [
        _Claimed(
            id=row.id,
            tenant_id=row.tenant_id,
            channel=row.channel,
            sms=OutboundSms(
                to=row.phone,
                body=row.body,
                reference=str(row.id),
                # Set per provider by send_with_failover (callback_url_for).
                status_callback_url=None,
                context={
                    "tenant": row.tenant_id,
                    "rule": row.rule_name,
                    "order_number": row.order_number,
                },
            ),
        )
        for row in sorted(rows, key=lambda r: order[r.id])
    ]
    return claimed, statuses, tenants


def _by_tenant(claimed: list[_Claimed]) -> dict[int, list[_Claimed]]:
    groups: dict[int, list[_Claimed]] = {}
    for message in claimed:
        groups.setdefault(message.tenant_id, []).append(message)
    return groups


class _AdapterCache:
    """Provider adapters built once per batch rather than once per message.

    Keyed by the configuration object itself: one batch reads each tenant's
    configuration once, so its messages share the same objects.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._adapters: dict[int, tuple[ProviderConfig, SmsProvider]] = {}

    def build(self, config: ProviderConfig, context: ProviderContext) -> SmsProvider:
        found = self._adapters.get(id(config))
        if found is not None and found[0] is config:
            return found[1]
        adapter = build_provider(config, context)
        with self._lock:
            self._adapters[id(config)] = (config, adapter)
        return adapter


_executors: dict[int, ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()


#: A provider answering slower than this on average is mostly waited for, so
#: the rest of the batch goes side by side; a faster one (a provider on the
#: same network, the sandbox) is cheaper to call one at a time, since threads
#: fight over the interpreter lock (measured: 1,185 against 954 SMS/s on loopback).
SIDE_BY_SIDE_AFTER_MS = 10.0


def _side_by_side(
    send: Callable[[_Send], _Update], sends: list[_Send], concurrency: int
) -> Iterator[_Update]:
    """Run ``send`` over ``sends``, up to ``concurrency`` at a time once the provider
    proves slow (:data:`SIDE_BY_SIDE_AFTER_MS`); results as they come.

    A real provider takes 100 ms or more to answer, nearly all of it waiting,
    so threads let one worker process keep several messages in flight. One
    pool per process and size, made on first use: RQ's non-forking worker runs
    jobs one after another in the same process.
    """
    remaining = iter(sends)
    spent = 0.0
    done = 0
    for item in remaining:
        started = time.perf_counter()
        update = send(item)
        spent += time.perf_counter() - started
        done += 1
        yield update
        if concurrency > 1 and spent * 1000 / done > SIDE_BY_SIDE_AFTER_MS:
            break
    rest = list(remaining)
    if not rest:
        return
    with _executors_lock:
        executor = _executors.get(concurrency)
        if executor is None:
            executor = _executors[concurrency] = ThreadPoolExecutor(
                max_workers=concurrency, thread_name_prefix="sms-send"
            )
    for future in as_completed([executor.submit(send, item) for item in rest]):
        yield future.result()


def _outcome_update(
    message_id: int, tenant_id: int, phone: str, outcome: Outcome, retries_left: int
) -> _Update:
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
    result, error = outcome.result, outcome.error
    if result is not None:
        return _Update(
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
    update = _not_sent_update(
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


def _not_sent_update(
    message_id: int,
    status: MessageStatus | None,
    code: str,
    text: str,
    *,
    hint: str | None = None,
    retries_left: int = 0,
    provider: ProviderConfig | None = None,
) -> _Update:
    """A message that was not sent: ``status``, or with ``None`` a temporary
    failure, which waits in ``queued`` while tries are left and is ``failed`` after."""
    waiting = None
    if status is None:
        if retries_left > 0:
            status, waiting = MessageStatus.QUEUED, text
            text = f"Waiting to retry: {text}"
        else:
            status = MessageStatus.FAILED
    return _Update(
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


def _write(services: Services, updates: list[_Update]) -> None:
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
        if not_sent:
            connection.execute(_NOT_SENT, not_sent)
        for update in updates:
            if update.opted_out is not None:
                tenant_id, phone, source = update.opted_out
                suppress(session, tenant_id, phone, reason="opted_out", source=source)


class TemporarySendFailure(RetryableError):
    """Raised inside the send job so RQ schedules the next try."""

    code = "provider_temporarily_failed"
