"""How fast the dashboard's message-log queries are on a big log.

Fills a fresh database (migrated like production; SQLite, or the empty
PostgreSQL named by ``TEST_DATABASE_URL``, e.g. under
``scripts/with-postgres.sh``) with ROWS messages for
the tenant being looked at and as many for another tenant, then times each log
query the page makes, beside a baseline measured in the same run: an indexed
``COUNT(*)`` of the tenant's rows, the cheapest query that touches them all.

    .venv/bin/python bench/bench_dashboard_log.py [ROWS]
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select, text

from saleor_sms_app import logsearch
from saleor_sms_app.db import make_engine, make_session_factory
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.models import Message, Tenant

STATUSES = ["delivered"] * 6 + ["sent"] * 2 + ["failed", "skipped"]
EVENTS = ["ORDER_CREATED", "ORDER_FULFILLED", "ORDER_FULLY_PAID"]


def fill(session_factory: Callable[..., object], rows: int) -> tuple[int, date]:
    rng = random.Random(7)
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    with session_factory.begin() as session:  # type: ignore[attr-defined]
        tenants = []
        for n in (1, 2):
            tenant = Tenant(saleor_api_url=f"https://shop{n}.example/graphql/", app_id="QXBwOjE=")
            session.add(tenant)
            session.flush()
            tenants.append(tenant.id)
        for tenant_id in tenants:
            batch = []
            for i in range(rows):
                status = rng.choice(STATUSES)
                batch.append(
                    {
                        "tenant_id": tenant_id,
                        "dedupe_key": f"{tenant_id}-{i}",
                        "created_at": today - timedelta(minutes=rng.randrange(60 * 24 * 90)),
                        "event": rng.choice(EVENTS),
                        "order_id": f"T3JkZXI6{i}",
                        "order_number": str(1000 + i),
                        "recipient_type": "customer",
                        "phone": f"+4860{rng.randrange(10**7):07d}",
                        "body": f"Order {1000 + i} is on its way, tracking JJD{i:08d}",
                        "segments": 1,
                        "encoding": "GSM-7",
                        "provider": rng.choice(["twilio", "smsapi"]),
                        "status": status,
                        "price": Decimal("0.0400") if status != "failed" else None,
                        "currency": "EUR" if status != "failed" else None,
                    }
                )
                if len(batch) == 5000:
                    session.execute(insert(Message), batch)
                    batch = []
            if batch:
                session.execute(insert(Message), batch)
    return tenants[0], today.date()


def timed(fn: Callable[[], object], repeat: int = 7) -> float:
    """Median milliseconds of ``repeat`` runs after one warm-up."""
    fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        tenant_id, today = fill(sessions, rows)
        print(
            f"filled {2 * rows} messages (2 tenants) into {engine.dialect.name} "
            f"in {time.perf_counter() - started:.1f} s"
        )
        if engine.dialect.name == "postgresql":
            # What autovacuum does on a live database: the planner needs statistics.
            with engine.begin() as connection:
                connection.execute(text("ANALYZE messages"))

        def with_session(call: Callable[..., object], *args: object) -> Callable[[], object]:
            def run() -> object:
                with sessions() as session:
                    return call(session, tenant_id, *args)

            return run

        def baseline(session: object, tenant: int) -> object:
            return session.scalar(  # type: ignore[attr-defined]
                select(func.count()).select_from(Message).where(Message.tenant_id == tenant)
            )

        def export_all(session: object, tenant: int, query: logsearch.LogQuery) -> int:
            return sum(len(chunk) for chunk in logsearch.export_csv(session, tenant, query))  # type: ignore[arg-type]

        month = logsearch.LogQuery(date_from=today - timedelta(days=29), date_to=today)
        cases: list[tuple[str, Callable[[], object]]] = [
            ("baseline: COUNT(*) of the tenant's rows", with_session(baseline)),
            (
                "first page, newest first (50 rows)",
                with_session(logsearch.search_messages, logsearch.LogQuery()),
            ),
            (
                "page 40, newest first",
                with_session(logsearch.search_messages, logsearch.LogQuery(page=40)),
            ),
            (
                "search by order number",
                with_session(logsearch.search_messages, logsearch.LogQuery(search="#1234")),
            ),
            (
                "search by phone digits",
                with_session(logsearch.search_messages, logsearch.LogQuery(search="60 123")),
            ),
            (
                "status=failed, sorted by phone",
                with_session(
                    logsearch.search_messages,
                    logsearch.LogQuery(statuses=("failed",), sort="phone", descending=False),
                ),
            ),
            ("chart: 30 days by status with cost", with_session(logsearch.daily_counts, month)),
        ]
        figures = [(name, timed(fn)) for name, fn in cases]
        base = figures[0][1]
        print(f"{'query':45} {'median ms':>10} {'x baseline':>11}")
        for name, ms in figures:
            print(f"{name:45} {ms:10.2f} {ms / base:11.1f}")
        started = time.perf_counter()
        size = with_session(export_all, logsearch.LogQuery())()
        elapsed = time.perf_counter() - started
        print(
            f"CSV export of all {rows} rows: {elapsed:.2f} s, {rows / elapsed:,.0f} rows/s, "
            f"{int(size) / 1e6:.1f} MB"  # type: ignore[call-overload]
        )
        engine.dispose()


if __name__ == "__main__":
    main()
