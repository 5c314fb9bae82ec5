"""The web process as it is deployed: the Procfile's gunicorn and the granian launcher.

Each starts as its own process on loopback with the production settings, is
installed by the Saleor stand-in over HTTP, and takes a signed webhook into
the queue and refuses a forged one: the same app behind either server.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from saleor_sms_app.services import Services
from tests.conftest import TEST_SECRET_KEY, free_port
from tests.standin.saleor import SaleorStandin

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def procfile_web() -> list[str]:
    """The Procfile's ``web`` command, as a platform would run it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == "web":
            return shlex.split(command)
    raise AssertionError("the Procfile has no web process")


@dataclass
class WebServer:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(params=["procfile-gunicorn", "granian"])
def web_server(
    request: pytest.FixtureRequest, services: Services, tmp_path: Path
) -> Iterator[WebServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "APP_URL": url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "4",
        "SECRET_KEY": TEST_SECRET_KEY,
        "REDIS_URL": services.settings.redis_url,
        "DATABASE_URL": services.settings.database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "WARNING",
    }
    if request.param == "granian":
        command = [str(ROOT / "scripts" / "web-granian.sh")]
    else:
        command = procfile_web()
    # Its own process group, as a terminal or a platform's process manager gives it.
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"{request.param} exited with {server.returncode}"
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"{request.param} did not answer /healthz"
            time.sleep(0.1)
        yield WebServer(url, server)
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def test_the_deployed_web_process_installs_and_takes_signed_webhooks(
    web_server: WebServer, saleor_standin: SaleorStandin, services: Services
) -> None:
    url = web_server.url
    saleor_standin.install(url)
    order = saleor_standin.make_order()
    accepted = saleor_standin.send_webhook(url, "ORDER_CREATED", {"order": order})
    assert accepted.status_code == 200 and accepted.json() == {"success": True}
    assert services.queue.count == 1
    forged = saleor_standin.send_webhook(
        url,
        "ORDER_CREATED",
        {"order": saleor_standin.make_order()},
        headers={"Saleor-Signature": "eyJhbGciOiJSUzI1NiJ9..Zm9yZ2Vk"},
    )
    assert forged.status_code == 401 and forged.json()["error"]["code"]
    assert services.queue.count == 1


def test_ctrl_c_stops_the_web_process(web_server: WebServer) -> None:
    """Ctrl-C in a terminal signals the whole process group, workers included.

    granian 2.8 waited forever for a worker that got the signal twice (found
    with a real Saleor); the launcher's kill timeout bounds that wait.
    """
    assert requests.get(web_server.url + "/healthz", timeout=5).status_code == 200
    os.killpg(web_server.process.pid, signal.SIGINT)
    assert web_server.process.wait(timeout=30) is not None
