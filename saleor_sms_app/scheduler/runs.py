"""The ``scheduled_runs`` table's operations: schedule, claim, start, finish, cancel, sweep.

Every state change is one conditional ``UPDATE … WHERE state = <expected>``,
so two workers (or a tick restarted half-way) can never move the same run
twice: ``pending`` → ``queued`` (a tick claimed it and queued its job) →
``running`` (a worker carries it out) → ``done``/``closed``/``expired``, or
back to ``pending`` with a later due time (Saleor was down). The time is
always passed in (:mod:`.clock`), never read here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from saleor_sms_app.db import insert_once
from saleor_sms_app.scheduler.clock import as_utc
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun

_RUNS = cast(Table, ScheduledRun.__table__)

#: How long a run may stay claimed (``queued``/``running``) before the sweep
#: hands it back: longer than any batch takes, so only a lost job or a dead
#: worker leaves one behind.
CLAIM_TIMEOUT = timedelta(minutes=10)
#: The longest a delayed rule may wait (the issue's 90 days).
MAX_DELAY = timedelta(days=90)


@dataclass(frozen=True)
class RunOutcome:
    """What carrying out one run came to; ``retry_at`` set means "try again then"."""

    state: RunState
    code: str | None = None
    text: str | None = None
    retry_at: datetime | None = None


def schedule(
    session: Session,
    *,
    tenant_id: int,
    kind: str,
    dedupe_key: str,
    due_at: datetime,
    now: datetime,
    send_before: datetime | None = None,
    **fields: Any,
) -> int | None:
    """Add a pending run; None if this tenant already has one with ``dedupe_key``.

    A redelivered webhook or a re-run job schedules the same key again, and
    nothing happens: each rule and event occurrence gets one run.
    """
    values = {
        "tenant_id": tenant_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "state": RunState.PENDING.value,
        "due_at": due_at,
        "send_before": send_before,
        "attempts": 0,
        "payload": {},
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    return insert_once(session, ScheduledRun, values, ["tenant_id", "dedupe_key"])


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Move up to ``limit`` due ``pending`` runs to ``queued``; their ids, earliest first.

    The due runs are read through the partial index on ``due_at``; the
    ``UPDATE`` re-checks ``state = 'pending'``, so of two ticks racing for a
    run exactly one gets it back. On PostgreSQL the due rows are first locked
    with ``FOR UPDATE SKIP LOCKED`` in their own statement (a second tick takes
    the next ones instead of waiting): inside ``UPDATE … WHERE id IN (…)`` the
    planner may run that sub-select more than once, each time skipping the
    rows it just locked, and claim more than ``limit``. SQLite writes one
    transaction at a time, so there one statement does it.
    """
    due = (
        select(_RUNS.c.id)
        .where(_RUNS.c.state == RunState.PENDING.value, _RUNS.c.due_at <= now)
        .order_by(_RUNS.c.due_at, _RUNS.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        ids: Any = list(session.scalars(due.with_for_update(skip_locked=True)))
        if not ids:
            return []
    else:
        ids = due.scalar_subquery()
    rows = session.execute(
        _RUNS.update()
        .where(_RUNS.c.id.in_(ids), _RUNS.c.state == RunState.PENDING.value)
        .values(
            state=RunState.QUEUED.value,
            claimed_at=now,
            attempts=_RUNS.c.attempts + 1,
            updated_at=now,
        )
        .returning(_RUNS.c.id, _RUNS.c.due_at)
    ).all()
    return [row.id for row in sorted(rows, key=lambda r: (as_utc(r.due_at), r.id))]


def unclaim(session: Session, run_ids: list[int], now: datetime) -> None:
    """Put ``queued`` runs whose job could not be queued (Redis down) back to ``pending``."""
    session.execute(
        _RUNS.update()
        .where(_RUNS.c.id.in_(run_ids), _RUNS.c.state == RunState.QUEUED.value)
        .values(state=RunState.PENDING.value, claimed_at=None, updated_at=now)
    )


def start(session: Session, run_ids: Iterable[int], now: datetime) -> list[ScheduledRun]:
    """Move ``queued`` runs to ``running`` and return them; a run started already is left out.

    A job that RQ runs twice (or a batch queued again after the sweep) finds
    its runs no longer ``queued`` and does nothing with them.
    """
    ids = list(run_ids)
    if not ids:
        return []
    started = session.scalars(
        _RUNS.update()
        .where(_RUNS.c.id.in_(ids), _RUNS.c.state == RunState.QUEUED.value)
        .values(state=RunState.RUNNING.value, claimed_at=now, updated_at=now)
        .returning(_RUNS.c.id)
    ).all()
    if not started:
        return []
    runs = session.scalars(
        select(ScheduledRun).where(ScheduledRun.id.in_(started)).order_by(ScheduledRun.id)
    ).all()
    return list(runs)


def finish(session: Session, outcomes: dict[int, RunOutcome], now: datetime) -> None:
    """Write what became of ``running`` runs, all in one ``executemany``.

    A run with ``retry_at`` goes back to ``pending`` due then (with the reason,
    so the screen says why it waits); the others are final.
    """
    if not outcomes:
        return
    rows = [
        {
            "run_id": run_id,
            "new_state": RunState.PENDING.value if o.retry_at is not None else o.state.value,
            "new_due": o.retry_at,
            "code": o.code,
            "reason": o.text,
            "finished": None if o.retry_at is not None else now,
        }
        for run_id, o in outcomes.items()
    ]
    session.connection().execute(
        _RUNS.update()
        .where(_RUNS.c.id == bindparam("run_id"), _RUNS.c.state == RunState.RUNNING.value)
        .values(
            state=bindparam("new_state"),
            due_at=func.coalesce(bindparam("new_due"), _RUNS.c.due_at),
            reason_code=bindparam("code"),
            reason_text=bindparam("reason"),
            finished_at=bindparam("finished"),
            updated_at=now,
        ),
        rows,
    )


def cancel(session: Session, tenant_id: int, run_id: int, now: datetime) -> bool:
    """Cancel a tenant's ``pending`` run; False if it is not pending (any more)."""
    result = session.execute(
        _RUNS.update()
        .where(
            _RUNS.c.id == run_id,
            _RUNS.c.tenant_id == tenant_id,
            _RUNS.c.state == RunState.PENDING.value,
        )
        .values(
            state=RunState.CANCELLED.value,
            reason_code="cancelled",
            reason_text="Cancelled in the app's Scheduled screen",
            finished_at=now,
            updated_at=now,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def close_pending(
    session: Session,
    tenant_id: int,
    dedupe_keys: list[str],
    code: str,
    text: str,
    now: datetime,
) -> int:
    """Close a tenant's ``pending`` runs with these keys and the reason; how many.

    For a sequence that ends early (the checkout became an order): its later
    steps are closed now, with the reason the Scheduled screen shows.
    """
    if not dedupe_keys:
        return 0
    result = session.execute(
        _RUNS.update()
        .where(
            _RUNS.c.tenant_id == tenant_id,
            _RUNS.c.dedupe_key.in_(dedupe_keys),
            _RUNS.c.state == RunState.PENDING.value,
        )
        .values(
            state=RunState.CLOSED.value,
            reason_code=code,
            reason_text=text,
            finished_at=now,
            updated_at=now,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def reopen(
    session: Session,
    tenant_id: int,
    dedupe_key: str,
    closed_code: str,
    due_at: datetime,
    now: datetime,
) -> bool:
    """Put a tenant's run closed with ``closed_code`` back to ``pending`` due at ``due_at``;
    whether it was. A daily send switched off and on again before its hour gets its day back
    (the run's key is per day, so scheduling it again would do nothing)."""
    result = session.execute(
        _RUNS.update()
        .where(
            _RUNS.c.tenant_id == tenant_id,
            _RUNS.c.dedupe_key == dedupe_key,
            _RUNS.c.state == RunState.CLOSED.value,
            _RUNS.c.reason_code == closed_code,
        )
        .values(
            state=RunState.PENDING.value,
            due_at=due_at,
            reason_code=None,
            reason_text=None,
            finished_at=None,
            claimed_at=None,
            updated_at=now,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def reschedule_pending(
    session: Session, tenant_id: int, due_by_key: dict[str, tuple[datetime, datetime | None]]
) -> None:
    """Move a tenant's still-``pending`` runs to new due times (key → (due, send_before)).

    A run already claimed or finished is left alone (conditional ``UPDATE``).
    """
    if not due_by_key:
        return
    session.connection().execute(
        _RUNS.update()
        .where(
            _RUNS.c.tenant_id == tenant_id,
            _RUNS.c.dedupe_key == bindparam("key"),
            _RUNS.c.state == RunState.PENDING.value,
        )
        .values(due_at=bindparam("due"), send_before=bindparam("before")),
        [{"key": key, "due": due, "before": before} for key, (due, before) in due_by_key.items()],
    )


def release_stale(session: Session, now: datetime, *, older_than: timedelta = CLAIM_TIMEOUT) -> int:
    """Hand back runs claimed longer than ``older_than`` ago; how many.

    A ``queued`` run whose job was lost (Redis flushed) or a ``running`` one
    whose worker died goes back to ``pending``, due at once. Running it again
    cannot send twice: its messages' de-duplication keys are the run's own,
    so a message already logged is not logged (nor sent) again.
    """
    result = session.execute(
        _RUNS.update()
        .where(
            _RUNS.c.state.in_([RunState.QUEUED.value, RunState.RUNNING.value]),
            _RUNS.c.claimed_at < now - older_than,
        )
        .values(
            state=RunState.PENDING.value,
            due_at=now,
            claimed_at=None,
            reason_code="interrupted",
            reason_text="The worker stopped before finishing this run; it runs again",
            updated_at=now,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


#: Rows per page on the Scheduled screen.
PAGE_SIZE = 50


def list_runs(
    session: Session, tenant_id: int, states: list[str], page: int = 1
) -> tuple[list[ScheduledRun], int]:
    """A tenant's runs in ``states`` (all when empty), soonest due first: (a page, total)."""
    where = [_RUNS.c.tenant_id == tenant_id]
    if states:
        where.append(_RUNS.c.state.in_(states))
    total = session.scalar(select(func.count()).select_from(_RUNS).where(*where)) or 0
    rows = session.scalars(
        select(ScheduledRun)
        .where(*where)
        .order_by(ScheduledRun.due_at, ScheduledRun.id)
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return list(rows), int(total)
