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

With RQ's own maintenance (at start, then every ``maintenance_interval``) it
also marks messages left ``sending`` by a worker that died as ``unknown``
(:func:`saleor_sms_app.sending.release_stale_sends`) and adds the message log's
pending count changes into its per-day counts
(:func:`saleor_sms_app.logcounts.fold_pending_counts`), and applies each shop's
message retention (:func:`saleor_sms_app.personaldata.apply_retention_everywhere`;
until the durable scheduler exists, this is where periodic work runs).
"""

from __future__ import annotations

import logging
from typing import Any

from rq import SimpleWorker
from rq.utils import now

log = logging.getLogger(__name__)

#: Seconds between the worker's stand-alone heartbeats (RQ sends ~3 per job).
HEARTBEAT_EVERY_SECONDS = 10.0


class SmsWorker(SimpleWorker):
    """A non-forking worker; jobs share the process's pools and caches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("log_job_description", False)
        super().__init__(*args, **kwargs)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        # Heartbeats inside a pipeline go with a job's own bookkeeping (they set
        # the TTL a job needs) and are always kept; only the idle loop's are thinned.
        if pipeline is None and timeout is None and self.last_heartbeat is not None:
            if (now() - self.last_heartbeat).total_seconds() < HEARTBEAT_EVERY_SECONDS:
                return
        super().heartbeat(timeout, pipeline)

    def set_state(self, state: str, pipeline: Any = None) -> None:
        if pipeline is None and state == self._state:
            return
        super().set_state(state, pipeline)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
        # Imported here: the worker class is loaded by RQ's CLI before the app.
        from saleor_sms_app.sending import release_stale_sends
        from saleor_sms_app.services import get_services

        try:
            released = release_stale_sends(get_services())
        except Exception:  # noqa: BLE001 - a database hiccup must not stop the worker
            log.warning("could not check for interrupted sends", exc_info=True)
            return
        if released:
            log.warning("%s messages were interrupted while sending; marked unknown", released)
        self._fold_log_counts()
        self._apply_retention()

    def _fold_log_counts(self) -> None:
        from saleor_sms_app.logcounts import fold_pending_counts
        from saleor_sms_app.services import get_services

        try:
            folded = fold_pending_counts(get_services().sessions)
        except Exception:  # noqa: BLE001 - the chart is exact without folding, only slower
            log.warning("could not fold the message log's counts", exc_info=True)
            return
        if folded:
            log.info("folded %s message count changes into the daily counts", folded)

    def _apply_retention(self) -> None:
        from saleor_sms_app.models import utcnow
        from saleor_sms_app.personaldata import apply_retention_everywhere
        from saleor_sms_app.services import get_services

        try:
            apply_retention_everywhere(get_services(), now=utcnow())
        except Exception:  # noqa: BLE001 - retention waits for the next run
            log.warning("could not apply the message retention", exc_info=True)
