"""Carrying out claimed runs: ``queued`` → ``running`` → the handler of their kind → outcome.

A handler is named by dotted path in :data:`HANDLERS` (so the scheduler
imports none of them) and is called as ``handler(services, runs, now)`` with
up to a batch of ``running`` runs of its kind; it returns a
:class:`~.runs.RunOutcome` per run id. A handler that raises a
:class:`~saleor_sms_app.errors.RetryableError` (Saleor down) puts its runs back
to ``pending`` with backoff: not lost, and not doubled, since a run's
messages are de-duplicated by the run's own keys. A run handed back due at
once (a campaign's next stretch) is queued again by a tick right away.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from redis.exceptions import RedisError

from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import RetryableError
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK, Clock
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.scheduler.tick import tick
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

Handler = Callable[[Services, Sequence[ScheduledRun], datetime], dict[int, runs.RunOutcome]]

#: kind → the function that carries out runs of that kind.
HANDLERS: dict[str, str] = {
    "rule": "saleor_sms_app.automations.delayed.carry_out",
    "checkout": "saleor_sms_app.checkouts.reminders.carry_out",
    "stock_digest": "saleor_sms_app.stock.alerts.carry_out",
    "campaign": "saleor_sms_app.campaigns.running.carry_out",
    "daily_send": "saleor_sms_app.anniversaries.running.carry_out",
}

#: Waits before a run whose handler could not finish is tried again (by attempt).
RETRY_BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15)]
#: After this many attempts a run that keeps failing is closed rather than retried.
MAX_ATTEMPTS = 30


def handler_for(kind: str) -> Handler:
    path = HANDLERS[kind]
    module, _, name = path.rpartition(".")
    found: Handler = getattr(importlib.import_module(module), name)
    return found


def retry_outcome(run: ScheduledRun, now: datetime, code: str, text: str) -> runs.RunOutcome:
    """Try ``run`` again later with backoff, or close it after :data:`MAX_ATTEMPTS`."""
    if run.attempts >= MAX_ATTEMPTS:
        gave_up = f"Gave up after {run.attempts} tries: {text}"
        return runs.RunOutcome(RunState.CLOSED, "gave_up", gave_up)
    wait = RETRY_BACKOFF[min(run.attempts, len(RETRY_BACKOFF)) - 1]
    return runs.RunOutcome(RunState.PENDING, code, text, retry_at=now + wait)


def run_scheduled(
    services: Services, run_ids: list[int], clock: Clock = SYSTEM_CLOCK
) -> dict[str, int]:
    """Carry out the claimed runs ``run_ids``; state afterwards → count."""
    now = clock.now()
    with session_scope(services.sessions) as session:
        started = runs.start(session, run_ids, now)
    by_kind: dict[str, list[ScheduledRun]] = {}
    for run in started:
        by_kind.setdefault(run.kind, []).append(run)
    outcomes: dict[int, runs.RunOutcome] = {}
    for kind, batch in by_kind.items():
        try:
            if kind not in HANDLERS:
                outcomes.update(
                    {
                        r.id: runs.RunOutcome(
                            RunState.CLOSED, "unknown_kind", f"No handler for {kind!r}"
                        )
                        for r in batch
                    }
                )
                continue
            outcomes.update(handler_for(kind)(services, batch, now))
        except RetryableError as exc:
            log.warning("scheduled %s runs wait: %s", kind, exc.message)
            outcomes.update({r.id: retry_outcome(r, now, exc.code, exc.message) for r in batch})
        except Exception as exc:  # a bug must not leave the runs claimed for ever
            log.exception("scheduled %s runs failed unexpectedly", kind)
            text = f"Unexpected error: {type(exc).__name__}"
            for run in batch:
                outcomes[run.id] = retry_outcome(run, now, "internal_error", text)
    with session_scope(services.sessions) as session:
        runs.finish(session, outcomes, now)
    if any(o.retry_at is not None and o.retry_at <= clock.now() for o in outcomes.values()):
        # A run handed back due at once (a campaign's next stretch) goes on now,
        # not at the next tick up to TICK_SECONDS later; if Redis refuses, the tick will.
        try:
            tick(services, clock)
        except RedisError:
            log.warning("could not queue the next stretch at once; the next tick will")
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        state = RunState.PENDING.value if outcome.retry_at else outcome.state.value
        counts[state] = counts.get(state, 0) + 1
    return counts
