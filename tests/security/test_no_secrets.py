"""No secret in plain text at rest or in the logs.

One run drives everything that touches a secret, over real HTTP on loopback:
the install (Saleor hands over the app token), a provider of every type with
its own secrets saved through the dashboard, a webhook and the sends it causes
(a provider that echoes every secret back in an error, failover, an accepted
send), a delivery report, and the dashboard's checks, test message, balances,
log and CSV. Then every log record (DEBUG and up), everything the process wrote
to stdout/stderr, every column of every table, the app's metadata stored in the
Saleor stand-in, and every answer the dashboard API gave the browser are
searched for each provider secret and the Saleor token: none may be found.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests
from sqlalchemy import text

from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION, WRITE_PERMISSION
from tests.conftest import drain_queue
from tests.security.support import database_rows, every_provider
from tests.standin.fixtures import Installed
from tests.standin.provider import StandinProvider


def test_no_secret_is_stored_or_logged_in_plain_text(
    installed: Installed,
    standin_provider: StandinProvider,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    saleor, app, services = installed.saleor, installed.app, installed.app.services
    saleor_token = installed.installation.token
    # The generic provider first (it speaks the stand-in's API), the sandbox last.
    providers = sorted(every_provider(standin_provider.url), key=lambda p: p.type != "generic")
    providers.append(providers.pop(next(i for i, p in enumerate(providers) if p.type == "sandbox")))
    secrets = {value for p in providers for value in p.secrets.values()}
    assert len(secrets) >= 8 and saleor_token

    answers: list[str] = []
    token = saleor.dashboard_token(user_permissions=[READ_PERMISSION, WRITE_PERMISSION])
    headers = {"Authorization-Bearer": token, "Saleor-Api-Url": saleor.api_url}

    def dashboard(method: str, path: str, body: Any = None) -> Any:
        answer = requests.request(
            method, app.url + "/api/dashboard" + path, json=body, headers=headers, timeout=30
        )
        answers.append(answer.text)
        assert answer.status_code < 500, answer.text
        return answer.json() if "json" in answer.headers.get("Content-Type", "") else answer.text

    config = dashboard("GET", "/config")["config"]
    config["providers"] = [p.model_dump(mode="json") for p in providers]
    config["settings"]["staff_numbers"] = ["+12025550199"]
    saved = dashboard("PUT", "/config", {"revision": config["revision"], "config": config})
    assert "config" in saved, saved

    # A webhook: the first provider refuses with every secret in its answer, the
    # next ones are tried (each with its own credentials), one takes the text.
    generic_secret = next(p for p in providers if p.type == "generic").secrets["secret"]
    standin_provider.answer(500, {"error": f"bad credentials: {generic_secret}"})
    order = saleor.make_order(number=77, phone="+12025550123")
    sent = saleor.send_webhook(app.url, "ORDER_CREATED", {"order": order})
    assert sent.status_code == 200, sent.text
    drain_queue(services)
    with services.sessions() as session:
        attempts = session.execute(text("SELECT provider_id, status FROM message_attempts")).all()
    assert ("generic", "failed") in [(a[0], a[1]) for a in attempts], attempts
    assert len(attempts) >= 2, attempts  # failed over after the echo

    for provider in providers:
        blank = {**provider.model_dump(mode="json"), "secrets": {}}
        dashboard("POST", "/providers/check", {"provider": blank})
        dashboard("GET", f"/providers/{provider.id}/balance")
    test = dashboard("POST", "/providers/generic/test", {"phone": "+12025550123"})
    assert test["ok"], test
    tenant = installed.tenant
    report_url = f"{app.url}/api/delivery-reports/{tenant.id}/generic/{tenant.callback_secret}"
    reported = requests.post(
        report_url,
        json={"id": test["provider_message_id"], "status": "delivered"},
        timeout=30,
    )
    assert reported.status_code == 200, reported.text
    dashboard("GET", "/messages")
    dashboard("GET", "/messages/export.csv")
    assert len(standin_provider.requests) >= 3  # the sends really reached a provider

    out, err = capfd.readouterr()
    # werkzeug's records are the loopback servers' access logs (the provider
    # stand-in printing what it was sent); the app in production runs under
    # gunicorn or granian with access logs off.
    app_records = [r for r in caplog.records if r.name != "werkzeug"]
    corpus = {
        "log records": "\n".join(
            f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in app_records
        ),
        "process output": out + err,
        "database": json.dumps(database_rows(services), default=str),
        "Saleor metadata": json.dumps([saleor.app_private_metadata, saleor.app_metadata]),
        "dashboard answers": "\n".join(answers),
    }
    assert len(corpus["log records"]) > 1000 and "generic" in corpus["database"]
    found = [
        (secret, where)
        for secret in sorted(secrets | {saleor_token})
        for where, text in corpus.items()
        if secret in text
    ]
    assert found == []
