"""Prometheus metrics: what happened (counters, histograms) and what waits (gauges).

Counters and histograms are written by whichever process saw the event — a
web worker (webhooks, delivery reports) or an RQ worker (sends). With
``PROMETHEUS_MULTIPROC_DIR`` set (``make run`` and the Procfile's processes
share one folder; prometheus_client reads the variable itself) each process
writes its own file there and :func:`render` adds them up, so one scrape of
any web worker shows the whole machine. Without it, each process counts for
itself (tests, ``python -c``).

What waits is read when scraped, not counted: jobs in the queue and the age of
the oldest, retries scheduled, failed jobs, delivery reports waiting for their
message, and messages ``unknown`` in the last hour (:class:`BacklogCollector`).

Labels are bounded: event names from :mod:`saleor_sms_app.saleor.events`, provider
*types* (never a tenant's provider ids), error codes of :mod:`saleor_sms_app.errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from saleor_sms_app.models import Message, MessageStatus, PendingDeliveryReport, utcnow

if TYPE_CHECKING:
    from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

WEBHOOKS_RECEIVED = Counter(
    "sms_webhooks_received",
    "Saleor webhooks verified and answered 200, by event and outcome "
    "(accepted: a job was queued; duplicate: seen before; ignored)",
    ["event", "outcome"],
)
WEBHOOKS_REFUSED = Counter(
    "sms_webhooks_refused",
    "Saleor webhooks refused, by the error code of the answer (unknown_tenant, "
    "invalid_signature, queue_unavailable, ...)",
    ["reason"],
)
SENDS = Counter(
    "sms_sends",
    "Messages whose send was recorded, by provider type and outcome "
    "(sent, failed, unknown, retrying, skipped)",
    ["provider", "outcome"],
)
PROVIDER_ATTEMPTS = Counter(
    "sms_provider_attempts",
    "Calls to providers, by provider type and result (queued/sent: accepted; failed; "
    "unknown: no answer; duplicate: a settling repeat the provider refused)",
    ["provider", "status"],
)
SEGMENTS = Counter(
    "sms_segments_sent", "SMS segments of messages providers accepted, by provider", ["provider"]
)
WEBHOOK_TO_PROVIDER = Histogram(
    "sms_webhook_to_provider_seconds",
    "From the web accepting a Saleor webhook to the provider's answer being recorded, "
    "for messages sent in the webhook's own job",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
DELIVERY_REPORTS = Counter(
    "sms_delivery_reports",
    "Delivery reports received, by provider type and outcome "
    "(applied, pending: kept until the message's id is recorded, unknown, refused)",
    ["provider", "outcome"],
)


def _provider(value: object) -> str:
    return str(value) if value else "none"


_children: dict[tuple[object, ...], Any] = {}


def child(metric: Counter, *labels: str) -> Any:
    """``metric.labels(*labels)``, kept: prometheus_client locks and checks on every
    ``labels()`` call, which cost a send about as much as the count itself."""
    key = (id(metric), *labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return found


def record_sends(updates: Sequence[Any]) -> None:
    """Count recorded outcomes (``MessageUpdate`` s) and time the webhook's own sends.

    Segments are the provider's count, else the one stored with the message.
    """
    webhook_started = _webhook_job_started()
    now = datetime.now(UTC)
    for update in updates:
        provider = _provider(update.values.get("b_provider"))
        outcome = "retrying" if update.waiting is not None else update.status
        child(SENDS, provider, outcome).inc()
        for attempt in update.attempts:
            child(PROVIDER_ATTEMPTS, _provider(attempt.get("provider")), attempt["status"]).inc()
        if update.sent:
            segments = update.values.get("b_segments") or update.segments or 1
            child(SEGMENTS, provider).inc(int(segments))
            if webhook_started is not None:
                WEBHOOK_TO_PROVIDER.observe(max(0.0, (now - webhook_started).total_seconds()))


def _webhook_job_started() -> datetime | None:
    """When the web queued the running webhook job (None in any other job)."""
    from rq import get_current_job

    job = get_current_job()
    if job is None or not str(job.func_name).endswith("handle_webhook") or not job.enqueued_at:
        return None
    started = job.enqueued_at
    return started if started.tzinfo else started.replace(tzinfo=UTC)


class BacklogCollector(Collector):
    """What waits, read at scrape time from Redis and the database."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        yield from self._queue()
        yield from self._database()

    def _queue(self) -> Iterable[Metric]:
        from rq.job import Job
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry

        queue = self.services.queue
        try:
            queued = queue.count
            oldest = 0.0
            first = queue.get_job_ids(0, 0)
            if first:
                job = Job.fetch(first[0], connection=queue.connection)
                if job.enqueued_at is not None:
                    at = job.enqueued_at
                    at = at if at.tzinfo else at.replace(tzinfo=UTC)
                    oldest = max(0.0, (datetime.now(UTC) - at).total_seconds())
            scheduled = ScheduledJobRegistry(queue=queue).count
            failed = FailedJobRegistry(queue=queue).count
        except Exception:  # noqa: BLE001 - a scrape must answer even with Redis down
            log.warning("metrics: cannot read the queue", exc_info=True)
            return
        yield GaugeMetricFamily("sms_jobs_queued", "Jobs waiting in the queue", value=queued)
        yield GaugeMetricFamily(
            "sms_oldest_job_age_seconds",
            "How long the oldest queued job has waited (0 when none)",
            value=oldest,
        )
        yield GaugeMetricFamily(
            "sms_retries_scheduled",
            "Jobs scheduled to run later: sends waiting to retry, Saleor fetches retried",
            value=scheduled,
        )
        yield GaugeMetricFamily(
            "sms_jobs_failed",
            "Jobs that used up their retries (RQ's failed registry)",
            value=failed,
        )

    def _database(self) -> Iterable[Metric]:
        try:
            with self.services.sessions() as session:
                pending = session.scalar(select(func.count()).select_from(PendingDeliveryReport))
                unknown = session.scalar(
                    select(func.count()).where(
                        Message.status == MessageStatus.UNKNOWN.value,
                        Message.updated_at >= utcnow() - timedelta(hours=1),
                    )
                )
        except Exception:  # noqa: BLE001
            log.warning("metrics: cannot read the database", exc_info=True)
            return
        yield GaugeMetricFamily(
            "sms_delivery_reports_pending",
            "Delivery reports kept until their message's id is recorded",
            value=int(pending or 0),
        )
        yield GaugeMetricFamily(
            "sms_messages_unknown_last_hour",
            "Messages whose fate is unknown (no answer from the provider, or a worker died "
            "mid-send), updated in the last hour",
            value=int(unknown or 0),
        )


class _ThisProcess(Collector):
    """The process's own registry, when there is no multiprocess folder."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def render(services: Services) -> tuple[bytes, str]:
    """The metrics page: every process's counters (or this one's) and the backlog."""
    from prometheus_client import CONTENT_TYPE_LATEST

    registry = CollectorRegistry()
    if services.settings.prometheus_multiproc_dir is not None:
        multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
            registry, path=str(services.settings.prometheus_multiproc_dir)
        )
    else:
        registry.register(_ThisProcess())
    registry.register(BacklogCollector(services))
    return generate_latest(registry), CONTENT_TYPE_LATEST
