"""The RQ worker class (``rq worker --worker-class saleor_sms_app.worker.SmsWorker``).

The worker does not fork a process per job: sending an SMS is a few
milliseconds of I/O, and forking would cost more than the job itself.

For jobs that short, RQ's own bookkeeping (about 70 Redis commands a job in
rq 3.0) costs more than the work, so :class:`SmsWorker` trims what is only
monitoring, never what keeps a job safe: the worker's liveness heartbeat outside
a job is sent at most every :data:`HEARTBEAT_EVERY_SECONDS` (its key lives
minutes, so it cannot expire in between), an unchanged state is not re-written,
and job descriptions are not formatted into the log. Every job still goes
through RQ's started registry, retries and failed registry exactly as before.

It also ticks the durable scheduler every few seconds in a thread
(:class:`saleor_sms_app.scheduler.tick.SchedulerLoop`; not in burst mode),
which queues the jobs of due delayed rules.

RQ's scheduler (``--with-scheduler``: the child process that moves delayed
retries onto the queue) dies when Redis goes away, and RQ restarts it only in
its maintenance, every ``maintenance_interval`` (10 minutes by default, and an
idle worker runs it only between waits for a job, up to 17 minutes apart):
meanwhile every delayed retry waits. :class:`SchedulerWatch` checks the child
every :data:`SCHEDULER_CHECK_SECONDS` and restarts it (or takes the scheduler
over from a worker that died, once its lock has expired).

With RQ's own maintenance (at start, then every ``maintenance_interval``) it
also marks messages left ``sending`` by a worker that died as ``unknown``
(:func:`saleor_sms_app.messages.dispatching.release_stale_sends`, after
``SEND_LOCK_SECONDS``), drops delivery reports that waited an hour for their
message (:mod:`saleor_sms_app.delivery_reports.pending`), settles ``unknown`` sends
where the provider can tell (:mod:`saleor_sms_app.delivery_reports.settling`), adds the message
log's pending count changes into its per-day counts
(:func:`saleor_sms_app.message_log.daily_counts.fold_pending_counts`), applies each shop's
message retention (:func:`saleor_sms_app.message_log.personal_data.apply_retention_everywhere`)
and queues a webhook sync for every shop whose Saleor webhooks predate this
version's manifest (:func:`saleor_sms_app.saleor.webhook_sync.enqueue_due_syncs`).

A job whose worker died (SIGKILL, out of memory) stays in RQ's started registry
until its heartbeat expires, then RQ's maintenance retries it. RQ gives a
non-forking worker's job its timeout plus 60 s; here the grace is at most the
timeout itself, so that with a short ``JOB_TIMEOUT`` (the chaos suite) a killed
job is retried in seconds. With the default timeout (180 s) nothing changes.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from rq import SimpleWorker
from rq.utils import now

from saleor_sms_app.periodic import PeriodicThread

log = logging.getLogger(__name__)

#: Seconds between the worker's stand-alone heartbeats (RQ sends ~3 per job).
HEARTBEAT_EVERY_SECONDS = 10.0
#: What RQ adds to a non-forking worker's job timeout before the job counts as abandoned.
RQ_JOB_GRACE_SECONDS = 60
#: Seconds between checks that RQ's scheduler process is alive.
SCHEDULER_CHECK_SECONDS = 3.0


class SmsWorker(SimpleWorker):
    """A non-forking worker; jobs share the process's pools and caches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("log_job_description", False)
        super().__init__(*args, **kwargs)
        # One of the watch and RQ's maintenance at a time starts the scheduler
        # process, and neither once the worker is stopping it.
        self._scheduler_guard = threading.Lock()
        self._scheduler_stopped = False

    def work(self, burst: bool = False, *args: Any, **kwargs: Any) -> bool:
        # Imported here: the worker class is loaded by RQ's CLI before the app.
        from saleor_sms_app.scheduler.tick import SchedulerLoop

        loop = None if burst else SchedulerLoop()
        watch = None if burst else SchedulerWatch(self)
        for thread in (loop, watch):
            if thread is not None:
                thread.start()
        try:
            return bool(super().work(burst, *args, **kwargs))
        finally:
            for thread in (watch, loop):
                if thread is not None:
                    thread.stop()

    def restart_dead_scheduler(self) -> bool:
        """Start RQ's scheduler process again if it has exited (or was never
        started here because another worker held the scheduler lock, which may
        have expired since); whether a new one was started."""
        with self._scheduler_guard:
            scheduler = self.scheduler
            if scheduler is None or self._scheduler_stopped:
                return False
            process = scheduler._process
            if process is not None and process.is_alive():
                return False
            scheduler.acquire_locks(auto_start=True)
            started = scheduler._process is not process
        if started and process is not None:
            log.warning(
                "RQ's scheduler process %s had exited (code %s); started it again",
                process.pid,
                process.exitcode,
            )
        return started

    def _start_scheduler(self, *args: Any, **kwargs: Any) -> None:
        with self._scheduler_guard:
            super()._start_scheduler(*args, **kwargs)

    def stop_scheduler(self) -> None:
        with self._scheduler_guard:
            self._scheduler_stopped = True
        super().stop_scheduler()  # type: ignore[no-untyped-call]

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        # Heartbeats inside a pipeline go with a job's own bookkeeping (they set
        # the TTL a job needs) and are always kept; only the idle loop's are thinned.
        if pipeline is None and timeout is None and self.last_heartbeat is not None:
            if (now() - self.last_heartbeat).total_seconds() < HEARTBEAT_EVERY_SECONDS:
                return
        super().heartbeat(timeout, pipeline)

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        timeout = job.timeout
        if timeout is None or timeout < 0:
            return int(super().get_heartbeat_ttl(job, working_time))
        return int(timeout) + min(int(timeout), RQ_JOB_GRACE_SECONDS)

    def set_state(self, state: str, pipeline: Any = None) -> None:
        if pipeline is None and state == self._state:
            return
        super().set_state(state, pipeline)

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        # Every log line of the job carries its id (and what the job binds).
        from saleor_sms_app.observability.logs import log_scope

        with log_scope(job_id=job.id):
            return bool(super().perform_job(job, queue, execution))

    def run_maintenance_tasks(self) -> None:
        with self._scheduler_guard:  # RQ's maintenance may restart the scheduler too
            super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
        # Imported here: the worker class is loaded by RQ's CLI before the app.
        from saleor_sms_app.services import get_services

        services = get_services()
        run_sending_maintenance(services)
        queue_webhook_syncs(services)


class SchedulerWatch(PeriodicThread):
    """Restarts the worker's RQ scheduler process when it has died, checking
    every :data:`SCHEDULER_CHECK_SECONDS` in a daemon thread. Redis being still
    down is only logged; the next check tries again."""

    def __init__(self, worker: SmsWorker) -> None:
        super().__init__(
            "sms-rq-scheduler-watch",
            SCHEDULER_CHECK_SECONDS,
            worker.restart_dead_scheduler,
            "could not restart RQ's scheduler process; trying again",
            at_once=False,
        )


#: One worker at a time settles unknown sends (each round asks providers).
SETTLE_LOCK_SECONDS = 300


def run_sending_maintenance(services: Any) -> None:
    """What the worker checks besides RQ's own maintenance, each step on its own:
    sends interrupted by a dead worker (marked ``unknown``), delivery reports that
    waited an hour for their message (discarded), and ``unknown`` sends a provider
    can settle (one worker at a time, under a Redis lock)."""
    from saleor_sms_app.db import session_scope
    from saleor_sms_app.delivery_reports.pending import discard_stale_reports
    from saleor_sms_app.delivery_reports.settling import settle_unknown_sends
    from saleor_sms_app.messages.dispatching import release_stale_sends

    try:
        released = release_stale_sends(services, older_than=services.settings.send_lock_seconds)
        if released:
            log.warning("%s messages were interrupted while sending; marked unknown", released)
    except Exception:  # noqa: BLE001 - a database hiccup must not stop the worker
        log.warning("could not check for interrupted sends", exc_info=True)
    try:
        with session_scope(services.sessions) as session:
            discard_stale_reports(session)
    except Exception:  # noqa: BLE001
        log.warning("could not discard stale delivery reports", exc_info=True)
    try:
        if services.redis.set("sms:settle-lock", "1", nx=True, ex=SETTLE_LOCK_SECONDS):
            try:
                settle_unknown_sends(services)
            finally:
                services.redis.delete("sms:settle-lock")
    except Exception:  # noqa: BLE001
        log.warning("could not settle unknown sends", exc_info=True)
    fold_log_counts(services)
    apply_retention(services)


def fold_log_counts(services: Any) -> None:
    """Adds the message log's pending count changes into its per-day counts."""
    from saleor_sms_app.message_log.daily_counts import fold_pending_counts

    try:
        folded = fold_pending_counts(services.sessions)
    except Exception:  # noqa: BLE001 - the chart is exact without folding, only slower
        log.warning("could not fold the message log's counts", exc_info=True)
        return
    if folded:
        log.info("folded %s message count changes into the daily counts", folded)


def apply_retention(services: Any) -> None:
    """Each shop's message retention (delete or blank old messages, in batches)."""
    from saleor_sms_app.message_log.personal_data import apply_retention_everywhere
    from saleor_sms_app.models import utcnow

    try:
        apply_retention_everywhere(services, now=utcnow())
    except Exception:  # noqa: BLE001 - retention waits for the next run
        log.warning("could not apply the message retention", exc_info=True)


def queue_webhook_syncs(services: Any) -> None:
    """Shops whose Saleor webhooks predate this version's manifest get a sync job.

    Here rather than on a shop's first webhook or dashboard call: a worker
    starts with every deploy, so every shop is brought up to date at once,
    including those whose missing webhook is the only one they would get.
    """
    from saleor_sms_app.saleor.webhook_sync import enqueue_due_syncs

    try:
        queued = enqueue_due_syncs(services)
    except Exception:  # noqa: BLE001 - the worker must keep running; the next pass tries again
        log.warning("could not queue webhook syncs", exc_info=True)
        return
    if queued:
        log.info("queued webhook syncs for %s shop(s)", queued)
