"""Shared fixtures: a real Redis, a real database, settings, the app and its client.

* Redis: a throwaway ``redis-server`` started for the test session on a free
  loopback port (``REDIS_SERVER_BIN`` names the binary), or ``TEST_REDIS_URL``.
  Each test gets a flushed database.
* Database: SQLite in a temporary folder, migrated with Alembic once per
  session, or PostgreSQL when ``TEST_DATABASE_URL`` is set (CI does both). Each
  test starts with empty tables.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import create_engine, delete, text

from saleor_sms_app.db import Base
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.models import MessageCountChange
from saleor_sms_app.services import Services, set_services
from saleor_sms_app.settings import Settings

pytest_plugins = ["tests.standin.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
#: Captured real Saleor requests and keys (see tests/data/README.md for where each came from).
DATA_DIR = ROOT / "tests" / "data"
#: The real Saleor 3.23.28 GraphQL schema, kept beside the app's documents as Saleor's apps do.
SCHEMA_PATH = ROOT / "graphql" / "schema.graphql"
TEST_SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def procfile(name: str) -> list[str]:
    """A process's command from the Procfile, as a platform would run it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        key, _, command = line.partition(":")
        if key.strip() == name:
            return shlex.split(command)
    raise AssertionError(f"the Procfile has no {name} process")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


#: The folder a developer's machine may keep beside the clone; a user's clone has none, so the
#: tests must never depend on it (``scripts/check_self_contained.py`` is the static half).
_BESIDE = str(ROOT.parent / "shared") + os.sep  # self-contained: the guard itself


def _refuse_reads_beside_the_repository(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and args and isinstance(args[0], str | Path):
        if os.path.abspath(args[0]).startswith(_BESIDE):
            raise PermissionError(f"tests must not read {args[0]}: copy it into the repository")


sys.addaudithook(_refuse_reads_beside_the_repository)


def capture_path(name: str) -> Path:
    """A captured real request or key under ``tests/data/saleor/``."""
    path = DATA_DIR / "saleor" / name
    assert path.exists(), f"capture {path} is missing from the repository"
    return path


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    binary = os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server")
    if not binary:
        pytest.fail("redis-server not found: run the tests with `make test`")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the test redis-server did not start")
    client.close()
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        # A fresh database per session on the given PostgreSQL server.
        name = f"sms_test_{uuid.uuid4().hex[:8]}"
        admin = create_engine(
            base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.rsplit("/", 1)[0] + f"/{name}"
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        upgrade(url)
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    path = tmp_path_factory.mktemp("db") / "test.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    yield url


#: What the test settings allow provider calls to reach (the stand-ins).
LOOPBACK_NETWORKS = "127.0.0.0/8,::1"


@pytest.fixture
def settings(redis_url: str, database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "APP_URL": "http://localhost:8000",
            "SECRET_KEY": TEST_SECRET_KEY,
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "DATA_DIR": str(tmp_path / "data"),
            "SMS_SANDBOX_OUTBOX": str(tmp_path / "outbox.jsonl"),
            # The provider stand-ins listen on loopback; tests of the egress
            # policy itself build settings without this (tests/security/).
            "ALLOW_PRIVATE_PROVIDER_URLS": LOOPBACK_NETWORKS,
        }
    )


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = Services.build(settings)
    services.redis.flushdb()
    with services.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        # Deleting messages appended their -1 rows (the log's count triggers).
        conn.execute(delete(MessageCountChange))
    set_services(services)
    yield services
    set_services(None)
    services.close()


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    from saleor_sms_app.app import create_app

    app = create_app(services=services)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def drain_queue(services: Services, *, max_jobs: int | None = None) -> None:
    """Run every queued job (and every job they enqueue) in this process, like the worker."""
    from saleor_sms_app.worker import SmsWorker

    worker = SmsWorker([services.queue], connection=services.redis)
    worker.work(burst=True, max_jobs=max_jobs)
