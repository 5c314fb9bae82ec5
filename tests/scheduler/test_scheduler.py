"""The durable scheduler with a real database, a real Redis and RQ's real worker; time by hand."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import text

from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import SaleorUnavailable
from saleor_sms_app.scheduler import runner, runs, tick
from saleor_sms_app.scheduler.clock import ManualClock
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.scheduler.conftest import START, add_runs, add_tenant, run_row, states

#: Which runs the test handler carried out, in order (a run twice would show twice).
CARRIED_OUT: list[int] = []
#: When set, the test handler raises this instead (Saleor down ...).
RAISE: list[Exception] = []


def record_handler(
    services: Services, batch: Sequence[ScheduledRun], now: datetime
) -> dict[int, runs.RunOutcome]:
    if RAISE:
        raise RAISE[0]
    CARRIED_OUT.extend(r.id for r in batch)
    return {r.id: runs.RunOutcome(RunState.DONE) for r in batch}


@pytest.fixture(autouse=True)
def test_handler(monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> None:
    monkeypatch.setitem(runner.HANDLERS, "test", f"{__name__}.record_handler")
    # The jobs the worker runs read the time from the same clock the test moves.
    real = runner.run_scheduled
    monkeypatch.setattr(
        runner, "run_scheduled", lambda services, ids, _clock=clock: real(services, ids, clock)
    )
    CARRIED_OUT.clear()
    RAISE.clear()


def test_scheduling_the_same_key_twice_keeps_one_run(services: Services) -> None:
    tenant = add_tenant(services)
    add_runs(services, tenant, 1, START)
    with session_scope(services.sessions) as session:
        again = runs.schedule(
            session, tenant_id=tenant, kind="test", dedupe_key="k0", due_at=START, now=START
        )
    assert again is None
    assert len(states(services)) == 1


def test_only_due_runs_are_claimed_and_they_run_once_in_batches(
    services: Services, clock: ManualClock
) -> None:
    tenant = add_tenant(services)
    due = add_runs(services, tenant, 250, START + timedelta(minutes=5))
    later = add_runs(services, tenant, 3, START + timedelta(hours=1), prefix="later")

    assert tick.tick(services, clock) == tick.TickResult(0, 0)
    clock.advance(timedelta(minutes=10))
    result = tick.tick(services, clock)
    assert result == tick.TickResult(250, 3)
    job_ids = sorted(services.queue.job_ids)
    assert job_ids == sorted(tick.run_job_id(due[i : i + 100]) for i in range(0, 250, 100))
    drain_queue(services)
    assert sorted(CARRIED_OUT) == due
    found = states(services)
    assert {found[i] for i in due} == {"done"}
    assert {found[i] for i in later} == {"pending"}
    assert tick.tick(services, clock) == tick.TickResult(0, 0)


def test_due_runs_are_found_through_the_partial_index(services: Services) -> None:
    if services.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; the PostgreSQL plan is in the benchmark")
    with services.engine.connect() as conn:
        plan = " ".join(
            str(row[-1])
            for row in conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM scheduled_runs "
                    "WHERE state = 'pending' AND due_at <= :now ORDER BY due_at, id LIMIT 100"
                ),
                {"now": START},
            )
        )
    assert "ix_scheduled_runs_pending_due" in plan


def test_two_workers_ticking_at_once_run_each_run_once(
    services: Services, settings: object, clock: ManualClock
) -> None:
    tenant = add_tenant(services)
    due = add_runs(services, tenant, 400, START)
    other = Services.build(services.settings)
    barrier = threading.Barrier(2)
    results: list[tick.TickResult] = []

    def ticker(svc: Services) -> None:
        barrier.wait()
        results.append(tick.tick(svc, clock, batch_size=50))

    threads = [threading.Thread(target=ticker, args=(s,)) for s in (services, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert sum(r.claimed for r in results) == 400
    drain_queue(services)
    drain_queue(services)
    assert Counter(CARRIED_OUT) == Counter(due)


def test_a_job_run_twice_carries_out_nothing_the_second_time(
    services: Services, clock: ManualClock
) -> None:
    tenant = add_tenant(services)
    due = add_runs(services, tenant, 5, START)
    tick.tick(services, clock)
    assert runner.run_scheduled(services, due, clock) == {"done": 5}
    assert runner.run_scheduled(services, due, clock) == {}
    assert CARRIED_OUT == due


def test_a_tick_that_dies_after_claiming_loses_nothing_and_doubles_nothing(
    services: Services, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = add_tenant(services)
    due = add_runs(services, tenant, 3, START)

    class Killed(BaseException):
        """The process stopping between the claim and queueing the job."""

    def die(services: Services, run_ids: list[int]) -> None:
        raise Killed

    monkeypatch.setattr(tick, "enqueue_runs", die)
    with pytest.raises(Killed):
        tick.tick(services, clock)
    monkeypatch.undo()
    monkeypatch.setitem(runner.HANDLERS, "test", f"{__name__}.record_handler")
    assert set(states(services).values()) == {"queued"}
    # A restarted scheduler does not take them again at once ...
    assert tick.tick(services, clock).claimed == 0
    assert tick.sweep(services, clock) == 0
    # ... but once the claim is older than the timeout, the sweep hands them back.
    clock.advance(runs.CLAIM_TIMEOUT + timedelta(seconds=1))
    assert tick.sweep(services, clock) == 3
    assert tick.tick(services, clock).claimed == 3
    drain_queue(services)
    assert CARRIED_OUT == due
    assert run_row(services, due[0]).attempts == 2


def test_runs_survive_a_redis_flush_with_their_jobs_lost(
    services: Services, clock: ManualClock
) -> None:
    tenant = add_tenant(services)
    pending = add_runs(services, tenant, 2, START + timedelta(minutes=1), prefix="p")
    queued = add_runs(services, tenant, 2, START, prefix="q")
    tick.tick(services, clock)
    services.redis.flushdb()
    clock.advance(runs.CLAIM_TIMEOUT + timedelta(minutes=1))
    assert tick.sweep(services, clock) == 2
    assert tick.tick(services, clock).claimed == 4
    drain_queue(services)
    assert sorted(CARRIED_OUT) == sorted(pending + queued)


def test_redis_refusing_the_job_puts_the_batch_back(
    services: Services, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = add_tenant(services)
    add_runs(services, tenant, 2, START)

    def refuse(services: Services, run_ids: list[int]) -> None:
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(tick, "enqueue_runs", refuse)
    with pytest.raises(RedisConnectionError):
        tick.tick(services, clock)
    assert set(states(services).values()) == {"pending"}


def test_the_clock_going_backwards_sends_nothing_twice(
    services: Services, clock: ManualClock
) -> None:
    tenant = add_tenant(services)
    due = add_runs(services, tenant, 4, START + timedelta(minutes=30))
    clock.advance(timedelta(hours=1))
    tick.tick(services, clock)
    drain_queue(services)
    clock.advance(timedelta(hours=-3))
    assert tick.tick(services, clock).claimed == 0
    assert tick.sweep(services, clock) == 0
    clock.advance(timedelta(hours=5))
    assert tick.sweep(services, clock) == 0
    assert tick.tick(services, clock).claimed == 0
    drain_queue(services)
    assert CARRIED_OUT == due


def test_a_failing_handler_waits_with_backoff_then_runs(
    services: Services, clock: ManualClock
) -> None:
    tenant = add_tenant(services)
    [run_id] = add_runs(services, tenant, 1, START)
    RAISE.append(SaleorUnavailable("Saleor answered 502", code="saleor_unavailable"))
    tick.tick(services, clock)
    drain_queue(services)
    row = run_row(services, run_id)
    assert (row.state, row.reason_code) == ("pending", "saleor_unavailable")
    assert tick.tick(services, clock).claimed == 0
    RAISE.clear()
    clock.advance(runner.RETRY_BACKOFF[0])
    assert tick.tick(services, clock).claimed == 1
    drain_queue(services)
    assert CARRIED_OUT == [run_id]
    assert run_row(services, run_id).state == "done"


def test_only_a_pending_run_can_be_cancelled(services: Services, clock: ManualClock) -> None:
    tenant = add_tenant(services)
    first, second = add_runs(services, tenant, 2, START)
    with session_scope(services.sessions) as session:
        assert runs.cancel(session, tenant, first, clock.now())
        assert not runs.cancel(session, tenant + 1, second, clock.now())
    tick.tick(services, clock)
    drain_queue(services)
    with session_scope(services.sessions) as session:
        assert not runs.cancel(session, tenant, second, clock.now())
    assert states(services) == {first: "cancelled", second: "done"}
    assert CARRIED_OUT == [second]


def test_the_workers_loop_ticks_and_stops(services: Services, clock: ManualClock) -> None:
    """The thread SmsWorker starts: its first tick claims what is due, and it stops when told."""
    tenant = add_tenant(services)
    [run_id] = add_runs(services, tenant, 1, START)
    loop = tick.SchedulerLoop(clock)
    loop.start()
    try:
        for _ in range(400):  # waits for the thread, not for time: the clock is not moving
            if run_row(services, run_id).state == "queued":
                break
            threading.Event().wait(0.05)
    finally:
        loop.stop()
    assert run_row(services, run_id).state == "queued"
    assert services.queue.job_ids == [tick.run_job_id([run_id])]
