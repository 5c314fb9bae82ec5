"""The web process as it is deployed: the Procfile's (granian) and gunicorn's.

Each starts as its own process on loopback with the production settings, is
installed by the Saleor stand-in over HTTP, and takes a signed webhook into
the queue and refuses a forged one: the same app behind either server. The
Procfile's also keeps answering while idle connections are held open.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from saleor_sms_app.services import Services
from tests.conftest import procfile
from tests.processes import BIN, process_env, running
from tests.standin.saleor import SaleorStandin


@dataclass
class WebServer:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(params=["procfile", "gunicorn"])
def web_server(
    request: pytest.FixtureRequest, services: Services, tmp_path: Path
) -> Iterator[WebServer]:
    env = process_env(services, tmp_path, WEB_CONCURRENCY="4", LOG_LEVEL="WARNING")
    url = env["APP_URL"]
    if request.param == "gunicorn":
        command = [str(BIN / "gunicorn"), "--config", "saleor_sms_app/gunicorn_conf.py"]
        command.append("saleor_sms_app.app:create_app()")
    else:
        command = procfile("web")
    # Its own process group, as a terminal or a platform's process manager gives it.
    with running(command, env, request.param) as server:
        yield WebServer(url, server)


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


def test_no_control_socket_shared_between_copies(web_server: WebServer, tmp_path: Path) -> None:
    """Two copies on one host must not share (and take over) one control socket: none is made."""
    assert requests.get(web_server.url + "/healthz", timeout=5).status_code == 200
    assert [p for p in tmp_path.rglob("*") if p.is_socket()] == []


def test_ctrl_c_stops_the_web_process(web_server: WebServer) -> None:
    """Ctrl-C in a terminal signals the whole process group, workers included.

    granian 2.8 waited forever for a worker that got the signal twice (found
    with a real Saleor); the launcher's kill timeout bounds that wait.
    """
    assert requests.get(web_server.url + "/healthz", timeout=5).status_code == 200
    os.killpg(web_server.process.pid, signal.SIGINT)
    assert web_server.process.wait(timeout=30) is not None


#: Connections a browser's preconnects, a port scanner or a slow client hold open.
IDLE_CONNECTIONS = 32


@pytest.mark.parametrize("web_server", ["procfile"], indirect=True)
def test_idle_connections_do_not_stall_the_web_process(
    web_server: WebServer, saleor_standin: SaleorStandin, services: Services
) -> None:
    """32 connections that send nothing (or half a request) leave webhooks answered at once.

    Sync workers each block on one such connection until it times out: four of
    them stalled a signed webhook past Saleor's 18 s timeout and ``/healthz``
    for 16 s. The Procfile's web process reads requests without a worker per
    connection, so it needs no buffering proxy in front.
    """
    url = web_server.url
    saleor_standin.install(url)
    host, port = url.removeprefix("http://").split(":")
    idle: list[socket.socket] = []
    try:
        for n in range(IDLE_CONNECTIONS):
            conn = socket.create_connection((host, int(port)), timeout=5)
            if n % 2:  # half of them start a request and never finish its headers
                conn.sendall(b"POST /api/webhooks/order_created HTTP/1.1\r\nHost: x\r\n")
            idle.append(conn)
        started = time.monotonic()
        accepted = saleor_standin.send_webhook(
            url, "ORDER_CREATED", {"order": saleor_standin.make_order()}, timeout=5
        )
        webhook_seconds = time.monotonic() - started
        assert accepted.status_code == 200 and accepted.json() == {"success": True}
        assert webhook_seconds < 1.0, f"the webhook took {webhook_seconds:.2f} s"
        started = time.monotonic()
        health = requests.get(url + "/healthz", timeout=5)
        health_seconds = time.monotonic() - started
        assert health.status_code == 200
        assert health_seconds < 0.5, f"/healthz took {health_seconds:.2f} s"
        assert services.queue.count == 1
        # The idle connections are still open and still served when they finish.
        last = idle[-1]
        last.sendall(b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        assert last.recv(64).startswith(b"HTTP/1.1 ")
    finally:
        for conn in idle:
            conn.close()
