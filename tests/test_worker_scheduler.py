"""The Procfile's worker keeps RQ's scheduler process alive through a Redis outage.

RQ's scheduler child (which moves delayed retries onto the queue) exits when
Redis goes away; RQ itself starts it again only in its maintenance, ten minutes
later by default. Here a real worker runs on its own real redis-server, which is
stopped and started again on the same port: a new scheduler process must take
the scheduler lock within seconds, while RQ's maintenance (default interval) has
not run again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, SCHEDULER_LOCKING_KEY_TEMPLATE

from saleor_sms_app.services import QUEUE_NAME, Services
from saleor_sms_app.worker import SCHEDULER_CHECK_SECONDS
from tests.conftest import ROOT, free_port, procfile
from tests.processes import process_env, stop

#: RQ's keys: the scheduler lock of the queue, holding the scheduler's name, and
#: that scheduler's hash, holding the pid of its process.
LOCK_KEY = SCHEDULER_LOCKING_KEY_TEMPLATE % QUEUE_NAME
#: RQ's set of the keys of live workers (each a hash with ``pid`` and ``state``).
WORKERS_KEY = "rq:workers"


@contextmanager
def redis_server(port: int, workdir: Path) -> Iterator[None]:
    binary = os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server")
    if not binary:
        pytest.fail("redis-server not found: run the tests with `make test`")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        client = Redis(port=port)
        wait_for(lambda: _pings(client), 10, "redis-server to start")
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


def _pings(client: Redis) -> bool:
    try:
        return bool(client.ping())
    except RedisError:
        return False


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)


def scheduler_pid(client: Redis) -> int | None:
    """The pid of the scheduler process holding the lock, once it has registered."""
    try:
        # Clients here do not decode responses: values are bytes.
        name = cast(bytes | None, client.get(LOCK_KEY))
        pid = client.hget(SCHEDULER_KEY_TEMPLATE % name.decode(), "pid") if name else None
    except RedisError:
        return None
    return int(pid) if pid else None


def idle(client: Redis, pid: int) -> bool:
    """Whether the worker with ``pid`` has registered and waits for a job."""
    for key in cast(set[bytes], client.smembers(WORKERS_KEY)):
        state, worker_pid = client.hmget(key.decode(), "state", "pid")
        if worker_pid and int(worker_pid) == pid:
            return state == b"idle"
    return False


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie not yet reaped by its parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_worker_restarts_its_rq_scheduler_after_redis_comes_back(
    services: Services, tmp_path: Path
) -> None:
    port = free_port()
    client = Redis(port=port)
    env = process_env(services, tmp_path, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    log_path = tmp_path / "worker.log"
    worker: subprocess.Popen[bytes] | None = None
    try:
        with redis_server(port, tmp_path):
            with log_path.open("wb") as log:
                worker = subprocess.Popen(
                    procfile("worker"),
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            wait_for(lambda: scheduler_pid(client), 60, "the worker's RQ scheduler")
            first = scheduler_pid(client)
            assert first is not None and first != worker.pid
            # Redis goes away while the worker waits for a job (a worker caught in
            # its maintenance by the outage exits, for its process manager to restart).
            wait_for(lambda: idle(client, worker.pid), 60, "the worker to wait for a job")
        # Redis is gone: the scheduler process dies of it, the worker waits.
        wait_for(lambda: not alive(first), 30, f"the scheduler {first} to exit without Redis")
        assert worker.poll() is None, log_path.read_text()[-3000:]
        with redis_server(port, tmp_path):
            # A check comes every few seconds; RQ's maintenance is 10 minutes away.
            wait_for(
                lambda: scheduler_pid(client),
                SCHEDULER_CHECK_SECONDS + 20,
                "a new RQ scheduler after Redis came back",
            )
            second = scheduler_pid(client)
            assert second is not None and second != first and alive(second)
            assert worker.poll() is None, log_path.read_text()[-3000:]
            assert "started it again" in log_path.read_text()
    finally:
        if worker is not None:
            stop(worker)
    # The worker stopped its scheduler with it (no orphan keeps running).
    wait_for(lambda: not alive(second), 10, f"the scheduler {second} to stop with the worker")
