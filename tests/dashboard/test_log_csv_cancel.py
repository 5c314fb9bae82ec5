"""A download of the message log that the browser abandons stops the export on PostgreSQL.

On PostgreSQL the whole CSV is one ``COPY (SELECT …) TO STDOUT``
(:func:`saleor_sms_app.message_log.csv_export._copied_csv`). A merchant who
cancels a million-row download must not leave the server formatting the rest
(seconds of a backend's CPU, a snapshot held open, a pooled connection busy).
This test holds that to the server's own account of the COPY: it starts a real
export through the HTTP route on loopback — behind the threaded werkzeug server
the other dashboard tests use and behind the Procfile's granian process — reads
a little, waits until ``pg_stat_progress_copy`` shows the COPY stalled mid-way
(the client reads no further, so every buffer between them is full), drops the
connection, and watches ``pg_stat_progress_copy`` / ``pg_stat_activity`` until
the COPY is gone. Without the cancel the web process would drain the COPY to
its end after the client left; the watcher would see its row count climb to
the total.

SQLite has no COPY (its export reads bounded batches, one short read each, and
stops between two of them: tests/dashboard/test_log_csv.py).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, text

from saleor_sms_app.services import Services
from tests.conftest import procfile
from tests.dashboard.browser import serve
from tests.dashboard.conftest import Headers
from tests.processes import process_env, running

#: Messages in the export, and the length of each one's error text (a provider that
#: answered with an HTML error page; text without a search index, so writing the
#: rows takes seconds): about 1.2 kB of CSV a row, 120 MB in all. Measured on
#: loopback, the COPY stalls after ~9,000 rows behind werkzeug (its 5,000-row
#: chunk and the socket buffers are full) and after ~35,000 behind granian, which
#: reads about seven of the export's 5,000-row chunks ahead whatever their size.
ROWS = 100_000
ERROR_TEXT_LENGTH = 1_000
#: What the client reads before it goes away.
READ_BEFORE_LEAVING = 256 * 1024
#: The client's receive buffer: small, so the stall is the server's, not ours.
CLIENT_BUFFER = 64 * 1024
#: How long the COPY may take to disappear after the client left.
STOP_WITHIN_SECONDS = 10.0


@pytest.fixture
def postgres(services: Services) -> Engine:
    if services.engine.dialect.name != "postgresql":
        pytest.skip(
            "the export is one COPY only on PostgreSQL (make test-postgres); "
            "SQLite's batched export is cancelled in tests/dashboard/test_log_csv.py"
        )
    return services.engine


def _fill(engine: Engine, tenant_id: int) -> None:
    """``ROWS`` messages written in one statement (the count triggers run as for the app's)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO messages (tenant_id, dedupe_key, created_at, updated_at, event,"
                " order_number, recipient_type, phone, body, segments, encoding, status,"
                " error_text)"
                " SELECT :tenant, 'cancel-' || n, now() - n * interval '1 second', now(),"
                " 'ORDER_CREATED', (5000 + n)::text, 'customer', '+48601' || lpad(n::text, 6, '0'),"
                " 'Order ' || n || ' is on its way', 1, 'GSM', 'failed', repeat('x', :length)"
                " FROM generate_series(1, :rows) AS n"
            ),
            {"tenant": tenant_id, "length": ERROR_TEXT_LENGTH, "rows": ROWS},
        )


@dataclass
class CopySeen:
    """What ``pg_stat_progress_copy`` reported for the export's COPY."""

    #: Rows the COPY had produced when the client left.
    at_leaving: int = 0
    #: The most it ever reported after the client left.
    most_after: int = 0
    #: Seconds from the client leaving until no COPY ran in the database.
    gone_after: float | None = None
    samples: list[tuple[float, int]] = field(default_factory=list)


def _copy_progress(engine: Engine) -> tuple[int, int] | None:
    """(rows produced, COPYs active) for COPYs in this database other than ours, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT coalesce(max(p.tuples_processed), 0),"
                " count(*) FILTER (WHERE a.state = 'active')"
                " FROM pg_stat_activity a LEFT JOIN pg_stat_progress_copy p ON p.pid = a.pid"
                " WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()"
                " AND a.query ILIKE 'COPY%'"
            )
        ).one()
    return (int(row[0]), int(row[1])) if row[1] else None


def _wait_for_stall(engine: Engine) -> int:
    """The COPY's row count once it stops growing (the buffers are full), within 30 s."""
    deadline = time.monotonic() + 30
    last, steady_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        progress = _copy_progress(engine)
        assert progress is not None, "the COPY ended before the client left: add rows"
        rows, _ = progress
        if rows != last:
            last, steady_since = rows, time.monotonic()
        elif rows > 0 and time.monotonic() - steady_since > 0.5:
            return rows
        time.sleep(0.02)
    raise AssertionError(f"the COPY never stalled (last at {last} rows)")


def _watch_until_gone(engine: Engine, seen: CopySeen, left_at: float) -> None:
    while (elapsed := time.monotonic() - left_at) < STOP_WITHIN_SECONDS:
        progress = _copy_progress(engine)
        if progress is None:
            seen.gone_after = elapsed
            return
        seen.most_after = max(seen.most_after, progress[0])
        seen.samples.append((elapsed, progress[0]))
        time.sleep(0.005)


def _start_download(base_url: str, headers: dict[str, str]) -> socket.socket:
    """A GET of the log's CSV on a client socket with a small receive buffer, headers read."""
    host, port = base_url.removeprefix("http://").split(":")
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CLIENT_BUFFER)
    client.settimeout(30)
    client.connect((host, int(port)))
    lines = ["GET /api/dashboard/messages/export.csv HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    client.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return client


def _read(client: socket.socket, size: int) -> bytes:
    received = b""
    while len(received) < size:
        chunk = client.recv(65536)
        assert chunk, f"the server closed after {len(received)} bytes"
        received += chunk
    return received


@pytest.fixture(params=["werkzeug", "procfile"])
def web_url(
    request: pytest.FixtureRequest, app: Flask, services: Services, tmp_path: Path
) -> Iterator[str]:
    """The app over HTTP on loopback: in a thread (as the dashboard tests serve it) or as
    the Procfile's web process (granian, one worker)."""
    if request.param == "werkzeug":
        yield from serve(app)
        return
    env = process_env(services, tmp_path, WEB_CONCURRENCY="1", LOG_LEVEL="WARNING")
    with running(procfile("web"), env, "procfile"):
        yield env["APP_URL"]


def test_leaving_mid_download_cancels_the_copy_on_the_server(
    postgres: Engine, web_url: str, auth: Headers, tenant_id: int
) -> None:
    _fill(postgres, tenant_id)
    client = _start_download(web_url, auth())
    try:
        head = _read(client, READ_BEFORE_LEAVING)
        assert head.startswith(b"HTTP/1.1 200"), head[:200]
        assert f"x-message-count: {ROWS}".encode() in head.lower()
        seen = CopySeen(at_leaving=_wait_for_stall(postgres))
    finally:
        # Unread data in the receive buffer: the kernel answers with a reset, as
        # when a browser tab's download is cancelled.
        client.close()
    _watch_until_gone(postgres, seen, time.monotonic())
    assert seen.gone_after is not None, (
        f"a COPY still ran {STOP_WITHIN_SECONDS} s after the client left: {seen.samples[-5:]}"
    )
    # The server stopped where the client left it, far from the end: the rows it
    # produced after are at most what the freed buffers took while the cancel landed.
    assert seen.at_leaving < ROWS / 2, f"the COPY was at {seen.at_leaving} of {ROWS} rows"
    assert seen.most_after < seen.at_leaving + ROWS / 4, (
        f"the COPY went on from {seen.at_leaving} to {seen.most_after} of {ROWS} rows"
    )
    print(  # noqa: T201  (shown with -s: where the COPY stood and how soon it went)
        f"COPY stalled at {seen.at_leaving}/{ROWS} rows, most seen after leaving "
        f"{seen.most_after}, gone after {seen.gone_after:.3f} s"
    )
