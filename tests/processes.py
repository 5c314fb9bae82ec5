"""App processes started as a deployment starts them, for the tests that need a real one.

Shared by the web-server, worker, observability and dashboard CSV tests: the
environment of a process on the test's Redis and database, a web process that
is waited for until it answers, and the stop that never leaves one behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from saleor_sms_app.services import Services
from tests.conftest import ROOT, TEST_SECRET_KEY, free_port

#: Where the virtualenv's console scripts (gunicorn, granian, rq) are.
BIN = Path(sys.executable).parent


def process_env(services: Services, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of an app process on a free loopback port, on the test's
    Redis and database, with ``extra`` variables on top."""
    port = free_port()
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "APP_URL": f"http://127.0.0.1:{port}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SECRET_KEY": TEST_SECRET_KEY,
        "REDIS_URL": services.settings.redis_url,
        "DATABASE_URL": services.settings.database_url,
        "DATA_DIR": str(tmp_path / "data"),
        # Where a server would put per-user files (gunicorn's control socket).
        "HOME": str(tmp_path / "home"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        **extra,
    }


@contextmanager
def running(
    command: list[str], env: dict[str, str], name: str, **popen: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """A web process started in its own process group, once it answers ``/healthz``;
    stopped (killed if it will not stop) afterwards."""
    url = env["APP_URL"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, **popen)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"{name} exited with {server.returncode}"
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"{name} did not answer /healthz"
            time.sleep(0.1)
        yield server
    finally:
        stop(server)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session: SIGTERM, then after 15 s SIGKILL
    to its whole group, so no child of it outlives the test."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
