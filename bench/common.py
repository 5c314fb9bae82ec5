"""What the benchmarks share: a throwaway Redis and folder, the database, the app's
settings, worker processes, the loopback stand-ins, the timing of a query, and the
machine's load printed beside every figure.

Not a benchmark itself (``make bench`` runs ``bench/bench_*.py``). Each
benchmark imports it as ``common`` (its own folder is first on ``sys.path``).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from saleor_sms_app.config.model import QuietHours, ShopSettings  # noqa: E402
from saleor_sms_app.db import make_engine, make_session_factory  # noqa: E402
from saleor_sms_app.migrate import upgrade  # noqa: E402
from saleor_sms_app.services import Services, set_services  # noqa: E402
from saleor_sms_app.settings import Settings  # noqa: E402
from tests.conftest import free_port  # noqa: E402

if TYPE_CHECKING:
    from multiprocessing.synchronize import Barrier

__all__ = [
    "ROOT",
    "bench_env",
    "children_cpu_seconds",
    "cpu_seconds",
    "database_url",
    "free_port",
    "load",
    "median_ms",
    "migrated_database",
    "quiet_hours_elsewhere",
    "redis_and_folder",
    "redis_server",
    "redis_server_bin",
    "rss_mb",
    "run_worker",
    "start_fast_provider",
    "timings_ms",
]

FORK = multiprocessing.get_context("fork")


def load() -> str:
    """The machine's load average now (1, 5, 15 minutes), printed with each figure:
    on a shared machine a figure means little without it."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time these processes have used so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """User + system CPU time of this process's children that have ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rss_mb(pid: int) -> float:
    """Resident memory of a process now, in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def redis_server_bin() -> str | None:
    return os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server")


@contextmanager
def redis_server(binary: str, folder: Path) -> Iterator[str]:
    """A throwaway ``redis-server`` on a free loopback port (no persistence); its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                Redis.from_url(url).ping()
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def redis_and_folder(prefix: str) -> Iterator[tuple[str, Path]]:
    """A throwaway ``redis-server`` (``REDIS_SERVER_BIN``, else the one on ``PATH``) and
    a fresh folder for the benchmark's files (its SQLite database, the outbox), both
    gone afterwards: (the Redis URL, the folder). Without a ``redis-server`` the
    benchmark stops here, saying so (``make bench`` installs one)."""
    binary = redis_server_bin()
    if not binary:
        raise SystemExit("redis-server not found: set REDIS_SERVER_BIN or run `make bench`")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        with redis_server(binary, folder) as url:
            yield url, folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def database_url(sqlite_file: Path) -> str:
    """The benchmark's database: the PostgreSQL named by ``TEST_DATABASE_URL``
    (``scripts/with-postgres.sh``) when set, else SQLite in ``sqlite_file``."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{sqlite_file}"


@contextmanager
def migrated_database() -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """A database the benchmark fills itself (:func:`database_url`, SQLite in a
    temporary folder), migrated to the head: its engine and session factory,
    the engine disposed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        url = database_url(Path(folder) / "bench.db")
        upgrade(url)
        engine = make_engine(url)
        try:
            yield engine, make_session_factory(engine)
        finally:
            engine.dispose()


def timings_ms(fn: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of each of ``repeat`` runs of ``fn`` after one warm-up, fastest first."""
    fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def median_ms(fn: Callable[[], object], repeat: int = 9) -> float:
    """Median milliseconds of ``repeat`` runs of ``fn`` after one warm-up."""
    return statistics.median(timings_ms(fn, repeat))


def bench_env(
    redis_url: str,
    folder: Path,
    *,
    database: str = "bench.db",
    sandbox_outbox: bool = False,
    loopback_providers: bool = False,
) -> dict[str, str]:
    """The environment the app's processes read their :class:`Settings` from.

    SQLite in ``folder`` unless ``TEST_DATABASE_URL`` names a database
    (``scripts/with-postgres.sh``); ``sandbox_outbox`` makes the sandbox provider
    write what it sends to ``folder/outbox.jsonl``; ``loopback_providers`` lets
    provider URLs on 127.0.0.0/8 through (refused by default: egress.py).
    """
    env = {
        "APP_URL": "http://localhost:8000",
        "SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url(folder / database),
        "DATA_DIR": str(folder),
        "LOG_LEVEL": "WARNING",
    }
    if sandbox_outbox:
        env["SMS_SANDBOX_OUTBOX"] = str(folder / "outbox.jsonl")
    if loopback_providers:
        env["ALLOW_PRIVATE_PROVIDER_URLS"] = "127.0.0.0/8"
    return env


def run_worker(
    env: dict[str, str], *, stock: bool = False, burst: bool = True, ready: Barrier | None = None
) -> None:
    """A worker process's body: the app's ``SmsWorker`` (``stock``: rq's own
    ``SimpleWorker``, the baseline) on the app's queue, after ``ready`` if given.

    With ``BENCH_PROFILE_DIR`` set, each worker writes its cProfile there.
    """
    os.environ.update(env)
    services = Services.build(Settings.from_env())
    set_services(services)
    from rq import SimpleWorker

    from saleor_sms_app.worker import SmsWorker

    cls = SimpleWorker if stock else SmsWorker
    worker = cls([services.queue], connection=services.redis)
    if ready is not None:
        ready.wait()
    folder = os.environ.get("BENCH_PROFILE_DIR")
    if not folder:
        worker.work(burst=burst, logging_level="WARNING")
        return
    # Where a worker's time goes: its cProfile, written when it stops (SIGTERM included).
    import cProfile

    profile = cProfile.Profile()
    profile.runcall(worker.work, burst=burst, logging_level="WARNING")
    profile.dump_stats(Path(folder) / f"worker-{os.getpid()}.prof")


def start_worker(env: dict[str, str], **options: Any) -> BaseProcess:
    """:func:`run_worker` in a forked process, started."""
    proc = FORK.Process(target=run_worker, args=(env,), kwargs=options)
    proc.start()
    return proc


def start_fast_provider(latency_ms: float = 0.0) -> tuple[BaseProcess, str]:
    """The lean loopback provider (``tests/standin/fast_provider.py``) in its own
    process, answering after ``latency_ms``; (the process, its URL)."""
    from tests.standin import fast_provider

    port = free_port()
    proc = FORK.Process(target=fast_provider.serve, args=(port, latency_ms), daemon=True)
    proc.start()
    return proc, f"http://127.0.0.1:{port}"


def quiet_hours_elsewhere(settings: ShopSettings, phone: str, now: datetime) -> None:
    """Keep the shop's quiet hours on (every text still checks them) but put the
    window six hours away from the recipients' local time now, so a benchmark run
    at night measures sending instead of texts held till morning."""
    from saleor_sms_app.automations.quiet_hours import recipient_zone

    local = now.astimezone(recipient_zone(phone, settings.shop_time_zone))
    start, end = local + timedelta(hours=6), local + timedelta(hours=7)
    settings.quiet_hours = QuietHours(start=f"{start:%H:%M}", end=f"{end:%H:%M}")
