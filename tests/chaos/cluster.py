"""The app as deployed, on loopback, with parts the chaos scenarios can break.

Every part is a real process or server: ``redis-server`` (append-only file on,
so a stopped Redis comes back with its queue, as a production Redis should), a
throwaway PostgreSQL cluster or a SQLite file, the web process and two workers
started with the Procfile's ``web`` (``scripts/web-granian.sh``: the app factory
on granian) and ``worker`` commands, the loopback Saleor
(:mod:`tests.standin.saleor`, in a thread of the test process) and two
loopback providers that record every request they take
(:class:`RecordingProvider`). A supervisor restarts a worker that exits, as a
platform's process manager does, and :meth:`Cluster.kill_worker` kills one
with SIGKILL (its process group: the worker and its RQ scheduler child, as
when a container is killed).

When it stops, :meth:`Cluster.stop` looks for every secret the run used (the
Saleor app token, the provider secrets, the shop's delivery-report secret and
``SECRET_KEY``) in plain text in every file the run wrote (each process's log,
the SQLite files, Redis's append-only file), every row of every table and the
metadata stored in Saleor (issue 11 item 8): :attr:`Cluster.secret_hits`.
"""

from __future__ import annotations

import glob
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from redis import Redis
from werkzeug.serving import make_server

from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.saleor.tenants import get_tenant
from saleor_sms_app.services import Services
from saleor_sms_app.settings import Settings
from tests.conftest import TEST_SECRET_KEY, free_port, procfile
from tests.providers.conftest import generic_config
from tests.security.support import database_rows
from tests.standin.provider import StandinProvider
from tests.standin.saleor import SaleorStandin, _QuietHandler

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def wait_until(check: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(interval)


def _stop(process: subprocess.Popen[bytes], *, grace: float = 15) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class RedisServer:
    """``redis-server`` on a fixed loopback port that can be stopped and started again."""

    def __init__(self, workdir: Path) -> None:
        binary = os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server")
        assert binary, "redis-server not found: run the tests with `make test`"
        self.binary: str = binary
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "yes", "--dir", str(self.workdir)]
        with open(self.workdir / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        client = Redis.from_url(self.url)
        wait_until(client.ping, 10, "redis-server answering")
        client.close()

    def stop(self) -> None:
        """A clean shutdown (the append-only file is flushed); clients get refusals."""
        if self.process is not None:
            _stop(self.process)


class PostgresCluster:
    """A throwaway PostgreSQL cluster, as ``scripts/with-postgres.sh`` makes one."""

    def __init__(self) -> None:
        found = os.environ.get("PG_BIN") or next(
            iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), ""
        )
        assert found and Path(found, "postgres").exists(), (
            "PostgreSQL not found: set PG_BIN (make test does, through "
            "scripts/ensure-system-package.sh postgres)"
        )
        self.bin = Path(found)
        # Not under pytest's folder: it is private to us, and the cluster may run as ``postgres``.
        self.dir = Path(tempfile.mkdtemp(prefix="sms-chaos-pg."))
        self.dir.chmod(0o755)
        self.port = free_port()
        self.run_as: list[str] = []
        if os.getuid() == 0:  # PostgreSQL refuses to run as root
            subprocess.run(
                "id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres",
                shell=True,
                check=True,
            )
            shutil.chown(self.dir, "postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self._pg(["initdb", "-D", str(self.dir / "data"), "-U", "sms", "-A", "trust", "--no-sync"])
        self.url = f"postgresql://sms@127.0.0.1:{self.port}/postgres"

    def _pg(self, args: list[str]) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / args[0]), *args[1:]],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += " -c max_connections=200"
        data, log = str(self.dir / "data"), str(self.dir / "log")
        self._pg(["pg_ctl", "-D", data, "-l", log, "-w", "-o", options, "start"])

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, new ones refused."""
        self._pg(["pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"])

    def remove(self) -> None:
        try:
            self._pg(["pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop"])
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass(frozen=True)
class Received:
    """One send request a provider stand-in took (or turned away with an error)."""

    at: float
    provider: str
    to: str
    accepted: bool
    #: The stand-in's mode when it arrived ("accept", "5xx", "slow").
    mode: str


class RecordingProvider(StandinProvider):
    """The loopback provider stand-in, recording when each message arrived and
    whether it was taken; :meth:`refuse` closes its port (connections refused)
    until :meth:`resume` opens the same port again."""

    def __init__(self, name: str, log: list[Received], lock: threading.Lock) -> None:
        super().__init__(record=False)
        self.name = name
        self.log = log
        self.log_lock = lock
        self.port = free_port()

    def start(self) -> RecordingProvider:
        self._server = make_server(
            "127.0.0.1", self.port, self._recording, threaded=True, request_handler=_QuietHandler
        )
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def refuse(self) -> None:
        self.stop()

    def resume(self) -> None:
        self.start()

    def _recording(self, environ: dict[str, Any], start_response: Any) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            to = str(json.loads(body).get("to", ""))
        except ValueError:
            to = ""
        # A slow answer is still taken: the provider sends it, whether or not
        # the app waited for the answer.
        mode = self.mode
        accepted = mode in ("accept", "slow")
        with self.log_lock:
            self.log.append(Received(time.monotonic(), self.name, to, accepted, mode))
        return self._wsgi(environ, start_response)


@dataclass
class Cluster:
    """One deployment of the app for one scenario (see the module docstring)."""

    workdir: Path
    database: str  # "sqlite" or "postgresql"
    job_timeout: int = 10
    send_lock_seconds: int = 15
    maintenance_interval: int = 2
    workers: int = 2
    received: list[Received] = field(default_factory=list)
    kills: int = 0
    restarts: int = 0
    #: Jobs still queued when the scenario stopped waiting (0: it settled).
    stalled: int = 0
    #: "<secret> in <where>" for every secret found in plain text when it stopped.
    secret_hits: list[str] = field(default_factory=list)
    #: Name → value of every secret the run used (filled as they are made).
    secrets: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.redis = RedisServer(self.workdir)
        self.postgres = PostgresCluster() if self.database == "postgresql" else None
        self.web_port = free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self._received_lock = threading.Lock()
        self.primary = RecordingProvider("primary", self.received, self._received_lock)
        self.backup = RecordingProvider("backup", self.received, self._received_lock)
        self.saleor = SaleorStandin()
        self._workers: list[subprocess.Popen[bytes] | None] = [None] * self.workers
        self._workers_lock = threading.Lock()
        self._stopping = threading.Event()
        self.web: subprocess.Popen[bytes] | None = None
        self.services: Services | None = None

    @property
    def database_url(self) -> str:
        if self.postgres is not None:
            return self.postgres.url
        return f"sqlite:///{self.workdir / 'app.db'}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "APP_URL": self.web_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.web_port),
            "WEB_CONCURRENCY": "2",
            "SECRET_KEY": TEST_SECRET_KEY,
            "REDIS_URL": self.redis.url,
            "DATABASE_URL": self.database_url,
            "DATA_DIR": str(self.workdir / "data"),
            "LOG_LEVEL": "WARNING",
            # Logs reach the file even from a process killed with SIGKILL.
            "PYTHONUNBUFFERED": "1",
            "JOB_TIMEOUT": str(self.job_timeout),
            "SEND_LOCK_SECONDS": str(self.send_lock_seconds),
            # The provider stand-ins listen on loopback, as an operator's internal
            # gateway would; everything else keeps the no-SSRF policy (egress.py).
            "ALLOW_PRIVATE_PROVIDER_URLS": "127.0.0.0/8",
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Cluster:
        self.redis.start()
        if self.postgres is not None:
            self.postgres.start()
        env = self.env()
        upgrade(Settings.from_env(env).database_url)  # the Procfile's release step
        self.services = Services.build(Settings.from_env(env))
        self.primary.start()
        self.backup.start()
        self.saleor.start()
        self.web = self._spawn(procfile("web"), "web")  # scripts/web-granian.sh
        wait_until(
            lambda: requests.get(self.web_url + "/healthz", timeout=1).ok, 120, "the web answering"
        )
        self.saleor.install(self.web_url)
        tenant = get_tenant(self.services, self.saleor.api_url)
        assert tenant is not None
        store = ConfigStore(self.services)
        current = store.load(tenant, fresh=True)
        providers = []
        for provider in (self.primary, self.backup):
            secret = f"chaos-{provider.name}-secret-{uuid.uuid4().hex}"
            self.secrets[f"{provider.name} provider secret"] = secret
            config = generic_config(provider.name, provider.url)
            providers.append(config.model_copy(update={"secrets": {"secret": secret}}))
        assert self.saleor.token is not None and tenant.callback_secret is not None
        self.secrets["Saleor app token"] = self.saleor.token
        self.secrets["delivery-report secret"] = tenant.callback_secret
        self.secrets["SECRET_KEY"] = TEST_SECRET_KEY
        store.save(
            tenant,
            current.model_copy(update={"providers": providers}),
            expected_revision=current.revision,
        )
        for slot in range(self.workers):
            self._start_worker(slot)
        threading.Thread(target=self._supervise, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._workers_lock:
            for process in self._workers:
                if process is not None:
                    _stop(process)
        if self.web is not None:
            _stop(self.web)
        self.saleor.stop()
        self.primary.stop()
        self.backup.stop()
        if self.services is not None:
            self.secret_hits = self.secrets_in_plain_text()
            self.services.close()
        self.redis.stop()
        if self.postgres is not None:
            self.postgres.remove()

    def _spawn(self, command: list[str], name: str) -> subprocess.Popen[bytes]:
        with open(self.workdir / f"{name}.log", "ab") as log:
            return subprocess.Popen(
                command,
                env=self.env(),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _start_worker(self, slot: int) -> None:
        # RQ's own options, scaled down: maintenance (abandoned jobs, interrupted
        # sends) every few seconds, and an idle worker's blocking wait for a job
        # (its TTL less 15 s, 405 s by default) short enough to let it run.
        command = procfile("worker") + [
            "--maintenance-interval",
            str(self.maintenance_interval),
            "--worker-ttl",
            "20",
        ]
        self._workers[slot] = self._spawn(command, f"worker-{slot}")

    def _supervise(self) -> None:
        """Restart a worker that exited by itself, a second later (a process manager)."""
        while not self._stopping.wait(0.5):
            with self._workers_lock:
                for slot, process in enumerate(self._workers):
                    if process is not None and process.poll() is not None:
                        time.sleep(1)
                        self.restarts += 1
                        self._start_worker(slot)

    def kill_worker(self, slot: int) -> None:
        """SIGKILL one worker's process group, and start it again at once."""
        with self._workers_lock:
            process = self._workers[slot]
            assert process is not None
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
            self.kills += 1
            self._start_worker(slot)

    def secrets_in_plain_text(self) -> list[str]:
        """Where each secret of :attr:`secrets` appears in plain text: the files
        under the work folder, the database's rows, Saleor's stored metadata."""
        assert self.services is not None
        places: dict[str, bytes] = {}
        for path in sorted(self.workdir.rglob("*")):
            if path.is_file():
                places[str(path.relative_to(self.workdir))] = path.read_bytes()
        try:
            places["database rows"] = repr(database_rows(self.services)).encode()
        except Exception as exc:  # noqa: BLE001 - an unreadable database is a finding too
            places["database rows"] = b""
            return [f"the database could not be read: {exc}"]
        metadata = {"private": self.saleor.app_private_metadata, "public": self.saleor.app_metadata}
        places["Saleor metadata"] = json.dumps(metadata, default=str).encode()
        return [
            f"{name} in {where}"
            for name, secret in self.secrets.items()
            for where, content in places.items()
            if secret.encode() in content
        ]

    @contextmanager
    def running(self) -> Iterator[Cluster]:
        try:
            yield self.start()
        finally:
            self.stop()
