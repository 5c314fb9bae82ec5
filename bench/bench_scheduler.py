"""The durable scheduler: finding due runs among a million, and draining 10,000 due at once.

Figures (all measured in this run, on this machine):

* lookup: the tick's due-run query (``pending`` and due, earliest 100, through
  the partial index) and a whole claim of 100 (rolled back) among ``--pending``
  pending runs plus as many finished ones, beside the baseline of an indexed
  ``COUNT(*)`` of the pending rows; SQLite, or the PostgreSQL named by
  ``TEST_DATABASE_URL`` (e.g. under ``scripts/with-postgres.sh``);
* drain: ``--due`` delayed "remind to pay" runs due at once → tick → RQ jobs
  → ``--workers`` ``SmsWorker`` processes (real Redis, real SQLite) → one
  batched ``OrdersForSms`` re-check per 100 runs against the loopback Saleor
  stand-in (real HTTP, the real schema, in its own process as a real Saleor
  is) → messages logged and sent through the sandbox provider; beside the
  baseline of only fetching the same orders from the same stand-in, 100 per
  call, one call at a time, which every design has to do.

    REDIS_SERVER_BIN=$(which redis-server) .venv/bin/python bench/bench_scheduler.py \
        [--pending 1000000] [--due 10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import (
    FORK,
    bench_env,
    children_cpu_seconds,
    cpu_seconds,
    load,
    median_ms,
    migrated_database,
    quiet_hours_elsewhere,
    redis_and_folder,
)
from common import run_worker as _work
from sqlalchemy import func, insert, select, text

from saleor_sms_app.db import session_scope
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.models import Tenant
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.services import Services, set_services
from saleor_sms_app.settings import Settings

NOW = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)


def bench_lookup(pending: int) -> None:
    with migrated_database() as (engine, sessions):
        rng = random.Random(9)
        started = time.perf_counter()
        with session_scope(sessions) as session:
            tenant = Tenant(saleor_api_url="https://shop.example/graphql/", app_id="QXBwOjE=")
            session.add(tenant)
            session.flush()
            tenant_id = tenant.id
        # Pending runs spread over the next 90 days (1 in 1,000 already due), and as
        # many finished ones, which a full-table index would have to wade through.
        for state, count in ((RunState.PENDING, pending), (RunState.DONE, pending)):
            batch: list[dict[str, object]] = []
            for i in range(count):
                ahead = rng.uniform(-2.16, 90 * 24) if state is RunState.PENDING else -1.0
                batch.append(
                    {
                        "tenant_id": tenant_id,
                        "kind": "rule",
                        "dedupe_key": f"{state.value}-{i}",
                        "state": state.value,
                        "due_at": NOW + timedelta(hours=ahead),
                        "attempts": 0,
                        "rule_id": "automation-remind-to-pay",
                        "order_id": f"T3JkZXI6{i}",
                        "payload": {},
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
                if len(batch) == 20_000:
                    with sessions.begin() as session:
                        session.execute(insert(ScheduledRun), batch)
                    batch = []
            if batch:
                with sessions.begin() as session:
                    session.execute(insert(ScheduledRun), batch)
        print(
            f"filled {pending:,} pending + {pending:,} finished runs into "
            f"{engine.dialect.name} in {time.perf_counter() - started:.0f} s"
        )
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))

        def baseline() -> object:
            with sessions() as session:
                return session.scalar(
                    select(func.count())
                    .select_from(ScheduledRun)
                    .where(ScheduledRun.state == RunState.PENDING.value)
                )

        def due_query() -> object:
            with sessions() as session:
                return session.scalars(
                    select(ScheduledRun.id)
                    .where(ScheduledRun.state == "pending", ScheduledRun.due_at <= NOW)
                    .order_by(ScheduledRun.due_at, ScheduledRun.id)
                    .limit(100)
                ).all()

        def claim() -> object:
            with sessions() as session:
                claimed = runs.claim_due(session, NOW, 100)
                session.rollback()
                return claimed

        with engine.connect() as connection:
            explain = "EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite" else "EXPLAIN"
            plan = connection.execute(
                text(
                    f"{explain} SELECT id FROM scheduled_runs WHERE state = 'pending' "
                    "AND due_at <= :now ORDER BY due_at, id LIMIT 100"
                ),
                {"now": NOW},
            ).all()
        print("plan: " + " | ".join(str(row[-1]) for row in plan))
        found = len(due_query())  # type: ignore[arg-type]
        if found < 100:  # about 1 run in 1,000 is due: the lookup is timed on 100 of them
            raise SystemExit(
                f"only {found} of {pending:,} pending runs are due; the lookup is measured "
                "on 100 due runs: use --pending 100000 or more (or --skip-lookup)"
            )
        figures = [
            ("baseline: indexed COUNT(*) of pending runs", median_ms(baseline)),
            ("due-run query (the earliest 100 due)", median_ms(due_query)),
            ("claim 100 due runs (UPDATE ... RETURNING)", median_ms(claim)),
        ]
        print(f"{'query':48} {'median ms':>10}")
        for name, ms in figures:
            print(f"{name:48} {ms:10.2f}")


def _settings(redis_url: str, workdir: Path) -> Settings:
    return Settings.from_env(
        bench_env(redis_url, workdir, database="drain.db", sandbox_outbox=True)
    )


def _serve_saleor(conn: Any, redis_url: str, workdir: Path, orders: int) -> None:
    """The loopback Saleor in its own process (as a real one is): install, orders, serve."""
    from tests.standin.saleor import SaleorStandin, saleor_schema

    services = Services.build(_settings(redis_url, workdir))
    saleor_schema()  # built before the first request, not inside it (the app waits 10 s)
    saleor = SaleorStandin(shop_name="Bench Shop").start()
    tenant = saleor.store_installation(services, token="bench-token")
    made = [saleor.make_order() for _ in range(orders)]
    conn.send((saleor.api_url, tenant.id, [(o["id"], o["number"]) for o in made]))
    conn.recv()  # until the parent is done
    saleor.stop()
    services.close()


def bench_drain(redis_url: str, workdir: Path, due: int, workers: int) -> None:
    from saleor_sms_app.automations.rules import Match
    from saleor_sms_app.config.defaults import default_config
    from saleor_sms_app.config.store import ConfigStore
    from saleor_sms_app.messages.composing import schedule_rule_runs
    from saleor_sms_app.messages.rule_messages import Occasion
    from saleor_sms_app.saleor.orders import fetch_orders
    from saleor_sms_app.saleor.tenants import get_tenant, saleor_client
    from saleor_sms_app.scheduler import tick

    upgrade(_settings(redis_url, workdir).database_url)
    parent_end, child_end = FORK.Pipe()
    saleor_proc = FORK.Process(target=_serve_saleor, args=(child_end, redis_url, workdir, due))
    saleor_proc.start()
    api_url, _tenant_id, orders = parent_end.recv()
    services = Services.build(_settings(redis_url, workdir))
    set_services(services)
    try:
        tenant = get_tenant(services, api_url, fresh=True)
        assert tenant is not None
        config = default_config()
        rule = config.rule("automation-remind-to-pay")
        assert rule is not None
        rule.enabled = True
        # The orders' phone (make_order's +1 202 ...): the rule is an automation, held
        # by quiet hours; kept on, the window is put away from now.
        quiet_hours_elsewhere(config.settings, "+12025550123", datetime.now(UTC))
        store = ConfigStore(services)
        store.save(tenant, config, expected_revision=store.load(tenant).revision)
        # Created two hours ago, so all of them are due now, at once.
        created = datetime.now(UTC) - timedelta(hours=2, minutes=1)
        with session_scope(services.sessions) as session:
            for order_id, number in orders:
                order = {"id": order_id, "number": number, "channel": {"slug": "default-channel"}}
                occasion = Occasion("ORDER_CREATED", f"ORDER_CREATED:{order_id}")
                schedule_rule_runs(session, tenant.id, order, [Match(rule, ())], occasion, created)
        client = saleor_client(services, tenant)
        ids = [order_id for order_id, _ in orders]
        fetch_orders(client, ids[:100])  # schema build and connection warm-up
        assert saleor_proc.pid is not None
        standin_cpu = cpu_seconds([saleor_proc.pid])
        started = time.perf_counter()
        fetched = fetch_orders(client, ids)
        base = time.perf_counter() - started
        base_cpu = cpu_seconds([saleor_proc.pid]) - standin_cpu
        assert len(fetched) == due

        ready = FORK.Barrier(workers + 1)
        env = bench_env(redis_url, workdir, database="drain.db", sandbox_outbox=True)
        procs = [
            FORK.Process(target=_work, args=(env,), kwargs={"ready": ready}) for _ in range(workers)
        ]
        for proc in procs:
            proc.start()
        standin_cpu, workers_cpu = cpu_seconds([saleor_proc.pid]), children_cpu_seconds()
        started = time.perf_counter()
        result = tick.tick(services, limit=due)
        ready.wait()
        for proc in procs:
            proc.join()
        ours = time.perf_counter() - started
        standin_cpu = cpu_seconds([saleor_proc.pid]) - standin_cpu
        workers_cpu = children_cpu_seconds() - workers_cpu
        sent = len((workdir / "outbox.jsonl").read_text().splitlines())
        with services.sessions() as session:
            done = session.scalar(
                select(func.count()).select_from(ScheduledRun).where(ScheduledRun.state == "done")
            )
        assert result.claimed == due and done == due and sent == due, (result, done, sent)
        print(f"{load()} at the end")
        print(
            f"{due:,} due runs -> re-checked, logged, sent {due / ours:8.0f}/s  "
            f"({ours:.1f} s, {workers} workers, {result.jobs} jobs of 100, {sent:,} sent)"
        )
        print(f"baseline: fetch the same orders, 100 a call {due / base:8.0f}/s  ({base:.1f} s)")
        per_100 = 100_000 / due  # CPU seconds per run x 100 runs, in ms
        print(
            f"CPU per 100 runs: workers {workers_cpu * per_100:.0f} ms, stand-in Saleor "
            f"{standin_cpu * per_100:.0f} ms (baseline's fetch alone: {base_cpu * per_100:.0f} ms)"
        )
    finally:
        parent_end.send("stop")
        saleor_proc.join(timeout=30)
        set_services(None)
        services.close()


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-lookup", action="store_true")
    parser.add_argument("--skip-drain", action="store_true")
    args = parser.parse_args()
    if not args.skip_lookup:
        print(f"== lookup among {args.pending:,} pending runs")
        bench_lookup(args.pending)
    if args.skip_drain:
        return
    with redis_and_folder("bench-scheduler-") as (url, tmp):
        print(f"== drain: {args.due:,} delayed runs due at once ({load()})")
        bench_drain(url, tmp, args.due, args.workers)


if __name__ == "__main__":
    main()
