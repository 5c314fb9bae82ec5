"""How fast the dashboard's message log is at a million messages per shop.

Fills a fresh database (SQLite, or the empty PostgreSQL named by
``TEST_DATABASE_URL``, e.g. under ``scripts/with-postgres.sh``) with ROWS
messages for the shop being looked at and as many for another shop, the way an
upgrade finds them: rows written under the previous schema (migration 0003, by
``executemany`` on SQLite and ``COPY`` on PostgreSQL, with a provider attempt
for each message of the shop that reached a provider, two for failed ones), then
``alembic upgrade head``, whose ``0007_message_log_speed`` builds the sort
indexes, the per-day counts and the text index from them (timed: that is what
an upgrade costs). Then times every query
the log screen makes, REPEAT times each, printing the median and the p95 beside
a baseline measured in the same run: an indexed ``COUNT(*)`` of the shop's
rows. Last, the CSV of every row: time, rows/s, how much the process's
resident memory grew while it streamed, and the CPU time the export used in
this process and (PostgreSQL) in its server process, which a loaded machine
does not inflate the way it inflates the wall time.

    .venv/bin/python bench/bench_dashboard_log.py [ROWS] [REPEAT] [ONLY]

``ONLY`` (a piece of a query's name, e.g. ``search`` or ``CSV``) times only the
queries whose name holds it. ``BENCH_SQLITE_FILE=/tmp/log.db`` keeps the SQLite
database there and, when it is already filled, reuses it (upgraded to head, not
filled again): a million rows take minutes to write, and one build serves many
runs while a change is measured against its baseline.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import database_url, timings_ms
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from saleor_sms_app.db import make_engine, make_session_factory
from saleor_sms_app.message_log import csv_export, daily_counts, queries
from saleor_sms_app.message_log.rows import ProviderDirectory
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.models import Message

#: The merchant's names for the providers, as the CSV's provider_name column shows them.
PROVIDERS = ProviderDirectory(names={"twilio": "Twilio (main)", "smsapi": "SMSAPI backup"})
STATUSES = ["delivered"] * 6 + ["sent"] * 2 + ["failed", "skipped"]
EVENTS = ["ORDER_CREATED", "ORDER_FULFILLED", "ORDER_FULLY_PAID"]
COLUMNS = (
    "tenant_id, dedupe_key, created_at, updated_at, event, order_id, order_number, "
    "recipient_type, phone, body, segments, encoding, provider_id, provider, status, "
    "error_code, price, currency"
)


def _rows(tenant_id: int, count: int, now: datetime) -> Any:
    rng = random.Random(tenant_id)
    for i in range(count):
        status = rng.choice(STATUSES)
        provider = None if status == "skipped" else rng.choice(["twilio", "smsapi"])
        error = {"failed": "invalid_number", "skipped": "no_phone"}.get(status)
        yield (
            tenant_id,
            f"{tenant_id}-{i}",
            now - timedelta(seconds=rng.randrange(90 * 86400)),
            now,
            rng.choice(EVENTS),
            f"T3JkZXI6{i}",
            str(1000 + i),
            "customer",
            f"+4860{rng.randrange(10**7):07d}",
            f"Order {1000 + i} is on its way, tracking JJD{i:08d}",
            1,
            "GSM-7",
            provider,
            provider,
            status,
            error,
            None if status in ("failed", "skipped") else "0.04000",
            None if status in ("failed", "skipped") else "EUR",
        )


def fill(engine: Engine, rows: int) -> None:
    """2 × ``rows`` messages in bulk: executemany on SQLite, COPY on PostgreSQL."""
    now = datetime.now(UTC).replace(microsecond=0)
    with engine.begin() as conn:
        for n in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO tenants (id, saleor_api_url, saleor_domain, app_id, jwks, "
                    "saleor_version, installed_at, updated_at) VALUES "
                    "(:id, :url, '', 'QXBwOjE=', '{}', '', :now, :now)"
                ),
                {"id": n, "url": f"https://shop{n}.example/graphql/", "now": now},
            )
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            # The old schema's random-order phone index needs its pages in memory.
            cursor.execute("PRAGMA cache_size = -400000")
        for tenant_id in (1, 2):
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY messages ({COLUMNS}) FROM STDIN") as copy:
                    for row in _rows(tenant_id, rows, now):
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(COLUMNS.split(",")))
                # sqlite3 takes any iterable of rows (SQLAlchemy's DB-API protocol says
                # Sequence); a list would hold every generated row in memory at once.
                cursor.executemany(
                    f"INSERT INTO messages ({COLUMNS}) VALUES ({marks})",
                    (  # type: ignore[arg-type]
                        (*r[:2], _sqlite_time(r[2]), _sqlite_time(r[3]), *r[4:])
                        for r in _rows(tenant_id, rows, now)
                    ),
                )
        # One provider attempt per message that reached a provider (and a second,
        # failed-over one for every failed message) of the shop looked at, so the
        # CSV's attempt_count column reads real rows.
        cursor.execute(
            "INSERT INTO message_attempts (message_id, created_at, provider_id, provider, status) "
            "SELECT id, created_at, provider_id, provider, 'sent' FROM messages "
            "WHERE tenant_id = 1 AND provider IS NOT NULL"
        )
        cursor.execute(
            "INSERT INTO message_attempts (message_id, created_at, provider_id, provider, status) "
            "SELECT id, created_at, 'backup', 'smsapi', 'failed' FROM messages "
            "WHERE tenant_id = 1 AND status = 'failed'"
        )
        raw.commit()
    finally:
        raw.close()


def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy stores a DateTime as on SQLite (naive UTC)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and p95 milliseconds of ``repeat`` runs after one warm-up."""
    samples = timings_ms(fn, repeat)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def resident_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _backend_pid(session: Session) -> int | None:
    """The PostgreSQL server process serving ``session`` (None on SQLite: in-process)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return int(session.scalar(text("SELECT pg_backend_pid()")) or 0) or None


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when it is not readable)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def page_40(sessions: sessionmaker[Session], query: queries.LogQuery) -> queries.LogQuery:
    """The query for page 40, reached as the page reaches it: 39 × "Next"."""
    with sessions() as session:
        for _ in range(39):
            cursor = queries.search_messages(session, 1, query).next_cursor
            assert cursor, "fewer than 40 pages"
            query = replace(query, after=queries.Cursor.decode(cursor, query.sort))
    return query


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    only = sys.argv[3] if len(sys.argv) > 3 else ""
    with tempfile.TemporaryDirectory() as folder:
        kept = os.environ.get("BENCH_SQLITE_FILE")
        url = database_url(Path(kept) if kept else Path(folder) / "bench.db")
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        if url.startswith("sqlite") and kept and Path(kept).exists():
            print(f"reusing the filled database {kept}")
        else:
            upgrade(url, "0003")
            engine = make_engine(url)
            started = time.perf_counter()
            fill(engine, rows)
            print(
                f"filled {2 * rows:,} messages (2 shops) into {engine.dialect.name} "
                f"in {time.perf_counter() - started:.1f} s"
            )
            engine.dispose()
        started = time.perf_counter()
        upgrade(url)
        print(
            f"migrations 0004 to head (indexes, per-day counts, text index) on them: "
            f"{time.perf_counter() - started:.1f} s"
        )
        engine = make_engine(url)
        with engine.begin() as conn:
            # What autovacuum / a periodic ANALYZE does on a live database.
            conn.execute(text("ANALYZE"))
        sessions = make_session_factory(engine)

        def run(call: Callable[..., object], *args: object) -> Callable[[], object]:
            def go() -> object:
                with sessions() as session:
                    return call(session, 1, *args)

            return go

        def baseline(session: Session, tenant: int) -> object:
            return session.scalar(
                select(func.count()).select_from(Message).where(Message.tenant_id == tenant)
            )

        today = datetime.now(UTC).date()
        month = queries.LogQuery(date_from=today - timedelta(days=29), date_to=today)
        cases: list[tuple[str, Callable[[], object]]] = [
            ("baseline: COUNT(*) of the shop's rows", run(baseline)),
        ]
        for sort in queries.SORTABLE:
            for label, filters in (
                ("", {}),
                (", status=failed", {"statuses": ("failed",)}),
                (", last 30 days", {"date_from": month.date_from, "date_to": today}),
            ):
                for descending in (
                    (True, False)
                    if sort == "created_at" and not filters
                    else (sort == "created_at",)
                ):
                    query = queries.LogQuery(sort=sort, descending=descending, **filters)
                    name = f"{'-' if descending else ''}{sort}{label}"
                    if only in f"page 1: {name}":
                        cases.append((f"page 1: {name}", run(queries.search_messages, query)))
                    if only in f"page 40: {name}":
                        cases.append(
                            (
                                f"page 40: {name}",
                                run(queries.search_messages, page_40(sessions, query)),
                            )
                        )
        for label, search in (
            ("order number #1234", "#1234"),
            ("phone digits 60 123", "60 123"),
            ("text JJD00012345", "JJD00012345"),
        ):
            cases.append(
                (
                    f"search: {label}",
                    run(queries.search_messages, queries.LogQuery(search=search)),
                )
            )
        cases.append(("chart: 30 days by status with cost", run(daily_counts.daily_counts, month)))
        cases.append(
            (
                "chart: 30 days, status=failed",
                run(daily_counts.daily_counts, replace(month, statuses=("failed",))),
            )
        )

        cases = [case for n, case in enumerate(cases) if n == 0 or only in case[0]]
        figures = [(name, *timed(fn, repeat)) for name, fn in cases]
        base = figures[0][1]
        print(f"\n{rows:,} messages per shop, {repeat} runs per query after a warm-up")
        print(f"{'query':48} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11}")
        for name, median, p95 in figures:
            print(f"{name:48} {median:10.2f} {p95:8.2f} {median / base:11.1f}")
        if len(figures) > 1:
            worst = max(figures[1:], key=lambda f: f[2])
            print(f"slowest p95: {worst[0]} at {worst[2]:.1f} ms")
        if only not in "CSV export":
            engine.dispose()
            return

        before = peak = resident_kb()
        size = 0
        with sessions() as session:
            backend = _backend_pid(session)
            server_before = process_cpu_seconds(backend)
            started, cpu_started = time.perf_counter(), time.process_time()
            for chunk in csv_export.export_csv(session, 1, queries.LogQuery(), PROVIDERS):
                size += len(chunk)
                peak = max(peak, resident_kb())
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            server = process_cpu_seconds(backend) - server_before
        print(
            f"\nCSV export of all {rows:,} rows: {elapsed:.1f} s, {rows / elapsed:,.0f} rows/s, "
            f"{size / 1e6:.0f} MB, resident memory +{(peak - before) / 1024:.1f} MB while streaming"
        )
        # What the export itself cost, whatever else the machine was running: the
        # CPU time of this process and (PostgreSQL, same machine) of its server
        # process. On an idle machine the wall time is about the larger of the two.
        print(
            f"CPU used by the export: this process {cpu:.1f} s"
            + (f", the PostgreSQL server process {server:.1f} s" if backend else "")
        )
        engine.dispose()


if __name__ == "__main__":
    main()
