"""From a logged ``queued`` message to a provider, and the outcome back to the log.

:func:`send_message` (one row) and :func:`send_messages` (a batch) claim
``queued`` rows by moving them to ``sending`` in one conditional ``UPDATE``,
so exactly one worker ever sends a row; send them through the tenant's
providers with failover; and write one ``message_attempts`` row per try and
the final status (:mod:`saleor_sms_app.messages.outcomes`). A temporary
provider failure puts the row back to ``queued`` with the reason and RQ
retries it with backoff (:mod:`saleor_sms_app.messages.send_jobs`); after the
last retry the row is ``failed``. A worker that dies mid-send leaves its rows
``sending``; :func:`release_stale_sends` later marks them ``unknown`` and
never sends them again, since the provider may already have.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import cast

from rq import get_current_job
from sqlalchemy import Table, bindparam, select

from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.db import session_scope
from saleor_sms_app.delivery_reports.receiving import callback_urls
from saleor_sms_app.errors import RetryableError
from saleor_sms_app.messages import send_jobs
from saleor_sms_app.messages.outcomes import (
    MessageUpdate,
    not_sent_update,
    outcome_update,
    write_updates,
)
from saleor_sms_app.messages.send_cache import AdapterCache, send_cache
from saleor_sms_app.models import Message, MessageStatus, Tenant, utcnow
from saleor_sms_app.provider_checks.balance import schedule_balance_check
from saleor_sms_app.providers.failover import send_with_failover
from saleor_sms_app.providers.models import OutboundSms
from saleor_sms_app.services import Services
from saleor_sms_app.settings import DEFAULT_SEND_LOCK_SECONDS

log = logging.getLogger(__name__)

#: How long a message may stay ``sending`` before it counts as interrupted;
#: longer than every provider's timeout together (and than RQ's job timeout).
#: The worker passes ``SEND_LOCK_SECONDS`` from its settings.
SEND_LOCK_SECONDS = DEFAULT_SEND_LOCK_SECONDS
_MESSAGES = cast(Table, Message.__table__)


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
    job with the remaining tries (:func:`.send_jobs.enqueue_retry`), so one
    provider hiccup never re-runs the messages of the batch that already went out.
    """
    statuses, waiting = _dispatch(services, message_ids, len(send_jobs.SEND_RETRY_INTERVALS))
    for message_id in waiting:
        send_jobs.enqueue_retry(services, message_id)
    counts: dict[str, int] = {}
    for message_id in message_ids:
        status = "retrying" if message_id in waiting else statuses[message_id]
        counts[status] = counts.get(status, 0) + 1
    return counts


def send_event_messages(services: Services, message_ids: list[int]) -> None:
    """Send the ``queued`` messages one event logged, from the event's own job.

    They go through the same claim as a send job (a second RQ job per order
    cost more than the SMS); an event with more than a batch of them leaves
    the rest to batch jobs.
    """
    if message_ids:
        send_messages(services, message_ids[: send_jobs.SEND_BATCH_SIZE])
        send_jobs.enqueue_sends(services, message_ids[send_jobs.SEND_BATCH_SIZE :])


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


#: Outcomes written per transaction while a batch is being sent: a whole batch
#: (``SEND_BATCH_SIZE``) from a fast provider shares one commit (each costs 2-4 ms
#: on SQLite, more than sending a text to a provider on the same network) ...
RECORD_EVERY = 50
#: ... and outcomes are written as soon as this long has passed since the last
#: write, so the log still shows progress every quarter second and a delivery
#: report finds its row soon (an earlier one waits: ``pending_reports``).
RECORD_AFTER_SECONDS = 0.25


@dataclass(frozen=True)
class _Claimed:
    """A message this worker moved from ``queued`` to ``sending``: only it sends it."""

    id: int
    tenant_id: int
    channel: str | None
    sms: OutboundSms
    #: Segments counted when the message was composed (the metrics' fallback).
    segments: int = 0


_Send = tuple[_Claimed, list[ProviderConfig], Callable[[ProviderConfig], str | None]]


def _dispatch(
    services: Services, message_ids: list[int], retries_left: int
) -> tuple[dict[int, str], dict[int, str]]:
    """Claim, send and record ``message_ids``: (id → status afterwards, id → why it waits)."""
    claimed, statuses, tenant_rows = _claim(services, message_ids)
    settings = services.settings
    cache = send_cache(services)
    updates: list[MessageUpdate] = []
    sends: list[_Send] = []
    balance_watch: set[int] = set()
    for tenant_id, messages in _by_tenant(claimed).items():
        tenant = cache.tenant(services, tenant_rows[tenant_id])
        if not tenant.is_installed:
            updates += [
                not_sent_update(
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
                not_sent_update(m.id, None, exc.code, exc.message, retries_left=retries_left)
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
                not_sent_update(
                    message.id,
                    MessageStatus.FAILED,
                    "no_provider",
                    f"No enabled provider serves the channel {message.channel or '(none)'}",
                    hint="Enable a provider for this channel in the app's Providers screen.",
                )
            )
    write_updates(services, updates)

    context = services.provider_context()
    build = AdapterCache().build

    def send(item: _Send) -> MessageUpdate:
        message, providers, callback_url_for = item
        try:
            outcome = send_with_failover(
                providers, message.sms, context, build=build, callback_url_for=callback_url_for
            )
        except Exception as exc:  # a bug must not leave the row claimed for ever
            log.exception("sending message %s failed unexpectedly", message.id)
            return not_sent_update(
                message.id,
                None,
                "internal_error",
                f"Unexpected error while sending: {type(exc).__name__}",
                retries_left=retries_left,
            )
        update = outcome_update(
            message.id, message.tenant_id, message.sms.to, outcome, retries_left
        )
        return replace(update, segments=message.segments)

    pending: list[MessageUpdate] = []
    sent_for: set[int] = set()
    tenant_of = {m.id: m.tenant_id for m in claimed}
    written_at = time.monotonic()
    for update in _side_by_side(send, sends, settings.send_concurrency):
        updates.append(update)
        pending.append(update)
        if len(pending) >= RECORD_EVERY or time.monotonic() - written_at > RECORD_AFTER_SECONDS:
            write_updates(services, pending)
            pending, written_at = [], time.monotonic()
        if update.sent:
            sent_for.add(tenant_of[update.message_id])
    write_updates(services, pending)

    if balance_watch & sent_for:
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
        _MESSAGES.c.segments,
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
            segments=row.segments or 0,
        )
        for row in sorted(rows, key=lambda r: order[r.id])
    ]
    return claimed, statuses, tenants


def _by_tenant(claimed: list[_Claimed]) -> dict[int, list[_Claimed]]:
    groups: dict[int, list[_Claimed]] = {}
    for message in claimed:
        groups.setdefault(message.tenant_id, []).append(message)
    return groups


_executors: dict[int, ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()


#: A provider answering slower than this on average is mostly waited for, so
#: the rest of the batch goes side by side; a faster one (a provider on the
#: same network, the sandbox) is cheaper to call one at a time, since threads
#: fight over the interpreter lock (measured: 1,185 against 954 SMS/s on loopback).
SIDE_BY_SIDE_AFTER_MS = 10.0


def _side_by_side(
    send: Callable[[_Send], MessageUpdate], sends: list[_Send], concurrency: int
) -> Iterator[MessageUpdate]:
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


class TemporarySendFailure(RetryableError):
    """Raised inside the send job so RQ schedules the next try."""

    code = "provider_temporarily_failed"
