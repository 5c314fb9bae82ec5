"""The scheduler's tick: due runs → claimed → RQ jobs, every few seconds in each worker.

:func:`tick` claims due runs :data:`RUN_BATCH_SIZE` at a time
(:func:`.runs.claim_due`) and enqueues one
:func:`saleor_sms_app.jobs.run_scheduled` job per batch with a job id made of
the batch's ids, so a tick repeated after a crash queues the same job rather
than a second one. Every worker ticks (:class:`SchedulerLoop`, started by
:class:`saleor_sms_app.worker.SmsWorker`); the claim lets exactly one of them
have each run, so there is no leader to elect and none to lose.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.exceptions import RedisError
from rq import Retry

from saleor_sms_app.db import session_scope
from saleor_sms_app.periodic import PeriodicThread
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK, Clock
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

#: Runs per RQ job: one batched Saleor re-check (its page limit is 100).
RUN_BATCH_SIZE = 100
#: Most runs one tick claims; the rest wait for the next tick, so one tick
#: never floods the queue ahead of webhooks.
TICK_LIMIT = 5_000
#: Seconds between ticks in a worker.
TICK_SECONDS = 5.0
#: Seconds between sweeps for runs whose job or worker was lost.
SWEEP_SECONDS = 60.0
#: Tries of a batch job that fails outright (its runs are also swept back).
RUN_JOB_RETRIES = [10, 60]


@dataclass(frozen=True)
class TickResult:
    claimed: int
    jobs: int


def run_job_id(run_ids: list[int]) -> str:
    return f"runs-{run_ids[0]}-{run_ids[-1]}-{len(run_ids)}"


def enqueue_runs(services: Services, run_ids: list[int]) -> None:
    """Queue :func:`saleor_sms_app.jobs.run_scheduled` for claimed runs."""
    services.queue.enqueue(
        "saleor_sms_app.jobs.run_scheduled",
        run_ids,
        job_id=run_job_id(run_ids),
        retry=Retry(max=len(RUN_JOB_RETRIES), interval=RUN_JOB_RETRIES),
        description=f"carry out {len(run_ids)} scheduled runs from {run_ids[0]}",
    )


def tick(
    services: Services,
    clock: Clock = SYSTEM_CLOCK,
    *,
    limit: int = TICK_LIMIT,
    batch_size: int = RUN_BATCH_SIZE,
) -> TickResult:
    """Claim the runs due now and queue their jobs; how many of each.

    Each batch is claimed in its own transaction and queued right after; if
    Redis refuses the job, the batch goes back to ``pending`` at once (and a
    tick that dies in between leaves it ``queued`` for :func:`sweep`).
    """
    claimed = jobs = 0
    while claimed < limit:
        now = clock.now()
        with session_scope(services.sessions) as session:
            batch = runs.claim_due(session, now, min(batch_size, limit - claimed))
        if not batch:
            break
        try:
            enqueue_runs(services, batch)
        except RedisError:
            with session_scope(services.sessions) as session:
                runs.unclaim(session, batch, now)
            raise
        claimed += len(batch)
        jobs += 1
        if len(batch) < batch_size:
            break
    return TickResult(claimed, jobs)


def sweep(services: Services, clock: Clock = SYSTEM_CLOCK) -> int:
    """Hand back runs whose job or worker was lost (:func:`.runs.release_stale`)."""
    with session_scope(services.sessions) as session:
        return runs.release_stale(session, clock.now())


class SchedulerLoop(PeriodicThread):
    """Ticks every :data:`TICK_SECONDS` in a daemon thread of the worker process.

    A thread, not RQ's scheduler process: ticking is a short query and a few
    Redis writes, and the thread shares the worker's database and Redis pools.
    Errors are logged and the next tick tries again; nothing is lost, since a
    run only leaves ``pending`` in the same transaction that claims it.
    """

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._since_sweep = SWEEP_SECONDS
        super().__init__(
            "sms-scheduler",
            TICK_SECONDS,
            self._tick_once,
            "scheduler tick failed; trying again",
            at_once=True,
        )

    def _tick_once(self) -> None:
        from saleor_sms_app.services import get_services

        try:
            services = get_services()
            if self._since_sweep >= SWEEP_SECONDS:
                released = sweep(services, self._clock)
                if released:
                    log.warning("%s scheduled runs were interrupted; due again", released)
                self._since_sweep = 0.0
            result = tick(services, self._clock)
            if result.claimed:
                log.info("scheduler: %s runs due, %s jobs queued", result.claimed, result.jobs)
        finally:
            self._since_sweep += TICK_SECONDS
