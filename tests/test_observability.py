"""What an operator watches: the metrics page, JSON log lines, errors to Sentry.

The multiprocess test runs the app as deployed — the Procfile's gunicorn with
two workers and an RQ worker process, all counting into one
``PROMETHEUS_MULTIPROC_DIR`` — and reads the figures from ``/metrics`` after
real signed webhooks and real sends. The others run in this process.
"""

from __future__ import annotations

import http.server
import json
import logging
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from saleor_sms_app.errors import ConfigurationError
from saleor_sms_app.observability.logs import JsonFormatter, bind, log_scope
from saleor_sms_app.services import Services
from saleor_sms_app.settings import Settings
from tests.conftest import ROOT, TEST_SECRET_KEY, procfile
from tests.processes import process_env, running
from tests.standin.saleor import SaleorStandin

METRICS_TOKEN = "metrics-token-0123456789abcdef"


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a Prometheus text page (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def deployed(services: Services, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Env and a running gunicorn (2 workers) sharing one metrics folder."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = process_env(
        services,
        tmp_path,
        WEB_CONCURRENCY="2",
        SMS_SANDBOX_OUTBOX=str(tmp_path / "outbox.jsonl"),
        LOG_LEVEL="INFO",
        LOG_FORMAT="json",
        METRICS_TOKEN=METRICS_TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    url = env["APP_URL"]
    with (tmp_path / "web.log").open("wb") as web_log:
        with running(procfile("web"), env, "gunicorn", stdout=web_log, stderr=web_log):
            yield {"env": env, "url": url, "tmp": tmp_path}


def _scrape(url: str) -> str:
    response = requests.get(
        url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.text


def test_metrics_add_up_across_web_and_worker_processes_and_logs_are_json(
    deployed: dict[str, Any], saleor_standin: SaleorStandin, services: Services
) -> None:
    url, env, tmp = deployed["url"], deployed["env"], deployed["tmp"]
    assert requests.get(url + "/metrics", timeout=5).status_code == 401
    wrong = requests.get(url + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"

    before = _scrape(url)
    installation = saleor_standin.install(url)
    # Six webhooks over keep-alive-less requests, so both gunicorn workers take some.
    for number in range(6):
        order = saleor_standin.make_order(number=2000 + number, phone="+48 601 234 567")
        sent = saleor_standin.send_webhook(url, "ORDER_CREATED", {"order": order})
        assert sent.status_code == 200, sent.text
    forged = saleor_standin.send_webhook(
        url,
        "ORDER_CREATED",
        {"order": saleor_standin.make_order()},
        headers={"Saleor-Signature": "eyJhbGciOiJSUzI1NiJ9..Zm9yZ2Vk"},
    )
    assert forged.status_code == 401
    middle = _scrape(url)
    assert _sample(middle, "sms_jobs_queued") == 6
    assert _sample(middle, "sms_oldest_job_age_seconds") >= 0

    # The Procfile's worker, in burst mode: it runs the six jobs and exits.
    worker_log = tmp / "worker.log"
    with worker_log.open("wb") as out:
        worker = subprocess.run(
            [*procfile("worker"), "--burst"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
            timeout=120,
        )
    assert worker.returncode == 0, worker_log.read_text()[-3000:]
    assert len((tmp / "outbox.jsonl").read_text().splitlines()) >= 6

    after = _scrape(url)
    received = ("sms_webhooks_received_total", {"event": "ORDER_CREATED", "outcome": "accepted"})
    assert (
        _sample(after, received[0], **received[1]) - _sample(before, received[0], **received[1])
        == 6
    )
    assert (
        _sample(after, "sms_webhooks_refused_total", reason="signature_invalid")
        - _sample(before, "sms_webhooks_refused_total", reason="signature_invalid")
        == 1
    )
    sends = _sample(after, "sms_sends_total", provider="sandbox", outcome="sent")
    assert sends >= 6  # counted by the worker process, read by a web worker
    assert _sample(after, "sms_segments_sent_total", provider="sandbox") >= sends
    assert _sample(after, "sms_webhook_to_provider_seconds_count") >= 6
    assert _sample(after, "sms_jobs_queued") == 0

    # Every worker line is one JSON object; the job's lines carry its ids.
    lines = [line for line in worker_log.read_text().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]
    job_lines = [p for p in parsed if p.get("job_id")]
    assert job_lines, lines[:20]
    assert any(p["tenant"] and p["event"] == "ORDER_CREATED" for p in job_lines)
    assert all({"time", "level", "logger", "message"} <= p.keys() for p in parsed)
    web_lines = [
        json.loads(line)
        for line in (tmp / "web.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert web_lines and all({"time", "level", "logger", "message"} <= p.keys() for p in web_lines)

    everything = worker_log.read_text() + (tmp / "web.log").read_text() + after
    for secret in (TEST_SECRET_KEY, installation.token, METRICS_TOKEN):
        assert secret not in everything


def test_metrics_are_off_without_a_token_and_refused_with_a_wrong_one(
    services: Services,
) -> None:
    from saleor_sms_app.app import create_app

    off = create_app(services=services).test_client()
    assert off.get("/metrics").status_code == 404
    services.settings = services.settings.with_overrides(metrics_token=METRICS_TOKEN)
    client = create_app(services=services).test_client()
    assert client.get("/metrics").status_code == 401
    assert (
        client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"}).status_code
        == 401
    )
    page = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert page.status_code == 200
    assert b"sms_jobs_queued" in page.data and b"sms_delivery_reports_pending" in page.data


def test_json_lines_carry_bound_ids_and_never_a_report_secret() -> None:
    formatter = JsonFormatter()
    logger = logging.getLogger("saleor_sms_app.test")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    # Keep the records themselves (mypy reads the bound method as the unbound one).
    handler.emit = records.append  # type: ignore[method-assign,assignment]
    logger.addHandler(handler)
    try:
        with log_scope(job_id="webhook-abc"):
            bind(tenant=7, event="ORDER_CREATED")
            bind(message_id=42)
            logger.warning("report at /api/delivery-reports/7/tw/s3cr3t-value?x=1 refused")
        logger.warning("outside any scope")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(formatter.format(r)) for r in records)
    assert (inside["tenant"], inside["event"], inside["message_id"], inside["job_id"]) == (
        7,
        "ORDER_CREATED",
        42,
        "webhook-abc",
    )
    assert (
        "s3cr3t-value" not in json.dumps(inside)
        and "/api/delivery-reports/7/tw/***" in inside["message"]
    )
    assert outside["tenant"] is None and outside["job_id"] is None


def test_settings_name_bad_observability_variables(tmp_path: Path) -> None:
    base = {
        "APP_URL": "http://localhost:8000",
        "SECRET_KEY": TEST_SECRET_KEY,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "DATA_DIR": str(tmp_path),
    }
    with pytest.raises(ConfigurationError) as info:
        Settings.from_env(
            {
                **base,
                "LOG_FORMAT": "xml",
                "METRICS_TOKEN": "short",
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "missing"),
                "SENTRY_DSN": "not a url",
            }
        )
    text = str(info.value)
    for name in ("LOG_FORMAT", "METRICS_TOKEN", "PROMETHEUS_MULTIPROC_DIR", "SENTRY_DSN"):
        assert name in text
    assert "short" not in text  # a token is never echoed


class _SentryServer(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        length = int(self.headers.get("Content-Length") or 0)
        _SentryServer.received.append(self.rfile.read(length))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: Any) -> None:
        pass


def test_errors_reach_sentry_on_loopback_without_secrets(settings: Settings) -> None:
    import gzip

    import sentry_sdk

    from saleor_sms_app.observability.sentry import init_sentry

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SentryServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _SentryServer.received = []
    dsn = f"http://publickey@127.0.0.1:{server.server_port}/1"
    try:
        assert init_sentry(settings.with_overrides(sentry_dsn=None), "web") is False
        assert init_sentry(settings.with_overrides(sentry_dsn=dsn), "worker") is True
        with log_scope(job_id="send-9"):
            bind(tenant=3)
            logging.getLogger("saleor_sms_app.test").error(
                "provider call failed for /api/delivery-reports/3/tw/very-secret-part"
            )
        sentry_sdk.flush(timeout=5)
    finally:
        sentry_sdk.init(dsn=None)  # the rest of the session sends nothing
        server.shutdown()
        server.server_close()
    assert _SentryServer.received, "no event reached the loopback Sentry"
    payload = b"".join(
        gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
        for body in _SentryServer.received
    )
    assert b"provider call failed" in payload
    assert b"very-secret-part" not in payload
    assert b'"job_id":"send-9"' in payload.replace(b" ", b"")
