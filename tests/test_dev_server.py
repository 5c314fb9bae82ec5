"""`make run` (scripts/dev.py) as a developer runs it: real Redis, web, worker, on loopback.

dev.py starts in a throwaway DATA_DIR on free ports. Its Redis is killed
while it runs: the web stays up, a webhook is answered 503 (so Saleor
delivers it again) and ``/healthz`` reports Redis down; Redis comes back by
itself (and the worker, if RQ gave up meanwhile) and the next webhook is
texted. A worker that exits on its own stops the app, and the message names
the worker.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port
from tests.standin.saleor import SaleorStandin

ROOT = Path(__file__).resolve().parent.parent

#: Variables of the test session that must not leak into the development app.
APP_VARIABLES = (
    "APP_URL",
    "HOST",
    "SECRET_KEY",
    "REDIS_URL",
    "DATABASE_URL",
    "SMS_SANDBOX_OUTBOX",
    "ALLOWED_SALEOR_API_URLS",
)


@dataclass
class DevRun:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    redis_port: int
    data_dir: Path
    output: Path

    def children(self) -> dict[str, int]:
        """dev.py's child processes by program name (from /proc: real processes)."""
        found: dict[str, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            name = text[text.index("(") + 1 : text.rindex(")")]
            ppid = int(text[text.rindex(")") + 2 :].split()[1])
            if ppid == self.process.pid:
                found[name] = int(stat.parent.name)
        return found

    def log(self) -> str:
        return self.output.read_text(errors="replace")


def wait_until(check: Callable[[], object], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def dev_run(tmp_path: Path) -> Iterator[DevRun]:
    redis_bin = os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server")
    if not redis_bin:
        pytest.fail("redis-server is needed: run the tests with `make test`")
    port, redis_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES}
    env.update(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "PORT": str(port),
            "DEV_REDIS_PORT": str(redis_port),
            "REDIS_SERVER_BIN": redis_bin,
            "WEB_CONCURRENCY": "2",
            "LOG_LEVEL": "WARNING",
        }
    )
    output = tmp_path / "dev.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "dev.py")],
            env=env,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    run = DevRun(process, f"http://127.0.0.1:{port}", port, redis_port, tmp_path / "data", output)
    try:
        wait_until(
            lambda: (
                process.poll() is None
                and requests.get(run.url + "/healthz", timeout=2).status_code == 200
                or process.poll() is not None
            ),
            "make run to answer /healthz",
        )
        assert process.poll() is None, f"dev.py exited:\n{run.log()}"
        yield run
    finally:
        # Noted before stopping: Redis runs in its own session, and a dev.py that
        # had to be killed would leave it behind.
        children = run.children()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # Ctrl-C, as in a terminal
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for pid in children.values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # stopped by dev.py, as it should be


def test_listens_on_loopback_only(dev_run: DevRun) -> None:
    """Unless HOST says otherwise, the development web process is not on the network."""
    listening = {
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[3] == "0A"  # LISTEN
    }
    assert f"0100007F:{dev_run.port:04X}" in listening  # 127.0.0.1
    assert f"00000000:{dev_run.port:04X}" not in listening  # 0.0.0.0


@pytest.mark.timeout(240)
def test_redis_dying_is_survived_and_restarted(
    dev_run: DevRun, saleor_standin: SaleorStandin
) -> None:
    url = dev_run.url
    saleor_standin.install(url)
    before = dev_run.children()
    assert {"redis-server", "granian", "rq"} <= set(before), before

    os.kill(before["redis-server"], signal.SIGKILL)
    # Keep Redis's port taken for a moment, so that dev.py's first restart fails
    # too and the outage lasts as long as this test needs to look at it.
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def take_port() -> bool:
        try:
            blocker.bind(("127.0.0.1", dev_run.redis_port))
        except OSError:
            return False
        return True

    wait_until(take_port, "Redis's port to be free", 5)
    blocker.listen()
    try:
        order = saleor_standin.make_order()
        refused = saleor_standin.send_webhook(url, "ORDER_CREATED", {"order": order}, timeout=10)
        assert refused.status_code == 503, refused.text
        health = requests.get(url + "/healthz", timeout=10)
        assert health.status_code == 503
        assert health.json()["checks"]["redis"].startswith("error")
        assert health.json()["checks"]["database"] == "ok"
        wait_until(lambda: "redis-server started again" in dev_run.log(), "a restart", 10)
    finally:
        blocker.close()

    # Redis is back by itself; web and worker were never restarted. The port was
    # held for one failed restart, so the next try is 2 s later (4 s if the machine
    # was slow enough for two); a busy CI machine adds to it.
    try:
        wait_until(
            lambda: requests.get(url + "/healthz", timeout=5).status_code == 200,
            "Redis to come back",
            90,
        )
    except AssertionError as exc:
        redis_log = dev_run.data_dir / "redis" / "redis.log"
        redis_tail = redis_log.read_text(errors="replace")[-3000:] if redis_log.exists() else ""
        raise AssertionError(
            f"{exc}\n--- dev.py output:\n{dev_run.log()[-5000:]}\n--- redis.log:\n{redis_tail}"
        ) from None
    # RQ's worker gives up when Redis vanishes outside its wait for a job (its state
    # update fails); dev.py then starts it again after a short wait, as a platform's
    # process manager does. Either way a worker runs again.
    wait_until(lambda: "rq" in dev_run.children(), "a running worker", 60)
    after = dev_run.children()
    assert after["granian"] == before["granian"]  # the web process was never restarted
    assert after["redis-server"] != before["redis-server"]
    log = dev_run.log()
    assert after["rq"] == before["rq"] or "worker exited with code 1 while Redis was away" in log, (
        log[-3000:]
    )
    assert "stopped because" not in log
    # Saleor delivers the refused webhook again: it is taken and the SMS goes out.
    accepted = saleor_standin.send_webhook(url, "ORDER_CREATED", {"order": order}, timeout=10)
    assert accepted.status_code == 200, accepted.text
    outbox = dev_run.data_dir / "sandbox-outbox.jsonl"
    wait_until(
        lambda: outbox.exists() and order["number"] in outbox.read_text(),
        "the worker to text the order",
    )
    assert dev_run.process.poll() is None
    assert "exited with code" in dev_run.log()


def test_the_process_that_exited_is_named(dev_run: DevRun) -> None:
    worker = dev_run.children()["rq"]
    os.kill(worker, signal.SIGKILL)
    assert dev_run.process.wait(timeout=60) == 1
    log = dev_run.log()
    assert "stopped because worker exited with code -9: rq worker" in log, log
    assert "stopped because redis-server" not in log and "stopped because web" not in log


def test_a_worker_that_exits_with_redis_away_is_started_again_and_otherwise_stops_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The supervisor's rule on real child processes: the worker's exit while Redis is
    away is Redis's doing (restart it), the same exit later is the worker's own (stop)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import dev  # scripts/dev.py: a script, not a package
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    monkeypatch.setattr(dev, "REDIS_AFTERMATH", 1.0)
    env = dict(os.environ)
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    gives_up = [sys.executable, "-c", "import time, sys; time.sleep(0.3); sys.exit(1)"]
    redis = dev.Child("redis-server", sleeper, env, restart=True, own_session=True)
    worker = dev.Child("worker", gives_up, env, restart_after_redis=True)
    supervisor = dev.Supervisor(redis, [worker])
    redis.start()
    worker.start()
    first = worker.process
    assert redis.process is not None and first is not None
    try:
        redis.process.kill()
        redis.process.wait()
        deadline = time.monotonic() + 10
        while worker.process is first or worker.process is None:
            assert supervisor.step() is None  # the worker's exit does not stop the app
            assert time.monotonic() < deadline, "the worker was not started again"
            time.sleep(0.05)
        assert redis.process.poll() is None or redis.restart_at is not None
        # Redis is back and stays up; past the aftermath the worker's exit is its own.
        deadline = time.monotonic() + 10
        culprit = None
        while culprit is None:
            culprit = supervisor.step()
            assert time.monotonic() < deadline, "the worker's own exit went unnoticed"
            time.sleep(0.05)
        assert culprit == (worker, 1)
    finally:
        for child in (worker, redis):
            if child.process is not None and child.process.poll() is None:
                child.process.kill()
                child.process.wait()
