"""Test message and balance from the Providers screen, through real adapters on loopback."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers
from tests.standin.provider import StandinProvider


@pytest.fixture
def provider_api() -> Iterator[StandinProvider]:
    server = StandinProvider().start()
    yield server
    server.stop()


def save_providers(client: FlaskClient, auth: Headers, providers: list[dict[str, Any]]) -> None:
    config = client.get("/api/dashboard/config", headers=auth()).get_json()["config"]
    config["providers"] = providers
    response = client.put(
        "/api/dashboard/config",
        headers=auth(),
        json={"config": config, "revision": config["revision"]},
    )
    assert response.status_code == 200, response.get_json()


def twilio(base_url: str) -> dict[str, Any]:
    return {
        "id": "tw",
        "type": "twilio",
        "name": "Twilio",
        "sender": "+15005550006",
        "options": {"account_sid": "AC123", "base_url": base_url},
        "secrets": {"auth_token": "tok-secret"},
    }


def test_sandbox_test_message_reaches_the_outbox(
    client: FlaskClient, auth: Headers, services: Services
) -> None:
    save_providers(client, auth, [{"id": "sb", "type": "sandbox", "name": "Sandbox"}])
    response = client.post(
        "/api/dashboard/providers/sb/test", headers=auth(), json={"phone": "+48 601 234 567"}
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["ok"] is True
    assert body["provider_message_id"]
    assert '"to": "+48601234567"' in services.settings.sandbox_outbox.read_text()
    # The merchant is never shown where on the server the outbox is.
    outbox = services.settings.sandbox_outbox
    assert str(outbox.parent) not in response.get_data(as_text=True)
    assert outbox.name not in response.get_data(as_text=True)
    # It is in the message log too, as a test message.
    log = client.get("/api/dashboard/messages?event=TEST", headers=auth()).get_json()
    assert [(r["recipient_type"], r["phone"]) for r in log["rows"]] == [("test", "+48*****4567")]


def test_refused_credentials_show_the_providers_answer(
    client: FlaskClient, auth: Headers, provider_api: StandinProvider
) -> None:
    save_providers(client, auth, [twilio(provider_api.url)])
    provider_api.answer(
        401, {"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs"}
    )
    response = client.post(
        "/api/dashboard/providers/tw/test", headers=auth(), json={"phone": "+48601234567"}
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["ok"] is False
    assert "20003" in (body["provider_code"] or "") + body["answer"]
    assert "tok-secret" not in response.get_data(as_text=True)


def test_bad_phone_and_unsaved_provider(client: FlaskClient, auth: Headers) -> None:
    save_providers(client, auth, [{"id": "sb", "type": "sandbox", "name": "Sandbox"}])
    bad = client.post("/api/dashboard/providers/sb/test", headers=auth(), json={"phone": "123"})
    assert bad.status_code == 422
    assert "phone" in bad.get_json()["error"]["details"]
    missing = client.post(
        "/api/dashboard/providers/nope/test", headers=auth(), json={"phone": "+48601234567"}
    )
    assert missing.status_code == 404


def test_test_message_needs_manage_apps(client: FlaskClient, auth: Headers) -> None:
    save_providers(client, auth, [{"id": "sb", "type": "sandbox", "name": "Sandbox"}])
    response = client.post(
        "/api/dashboard/providers/sb/test",
        headers=auth(permissions=["MANAGE_ORDERS"]),
        json={"phone": "+48601234567"},
    )
    assert response.status_code == 403


def test_balance(client: FlaskClient, auth: Headers, provider_api: StandinProvider) -> None:
    save_providers(
        client, auth, [{"id": "sb", "type": "sandbox", "name": "Sandbox"}, twilio(provider_api.url)]
    )
    sandbox = client.get("/api/dashboard/providers/sb/balance", headers=auth()).get_json()
    # The sandbox is switched on: it has no balance, and the answer says so.
    assert sandbox == {
        "supported": False,
        "message": "Sandbox (writes to a file, sends nothing) has no balance to check.",
    }
    provider_api.answer(200, {"balance": "12.50", "currency": "USD"})
    answer = client.get("/api/dashboard/providers/tw/balance", headers=auth()).get_json()
    assert answer == {
        "supported": True,
        "ok": True,
        "amount": "12.50",
        "currency": "USD",
        "below_threshold": False,
    }
    off = {**twilio(provider_api.url), "enabled": False}
    save_providers(client, auth, [{"id": "sb", "type": "sandbox", "name": "Sandbox"}, off])
    switched_off = client.get("/api/dashboard/providers/tw/balance", headers=auth()).get_json()
    assert switched_off["supported"] is False and "switched off" in switched_off["message"]
    unknown = client.get("/api/dashboard/providers/nope/balance", headers=auth())
    assert unknown.status_code == 404


def test_delivery_report_url_only_for_configurers(
    client: FlaskClient, auth: Headers, services: Services
) -> None:
    save_providers(client, auth, [{"id": "sb", "type": "sandbox", "name": "Sandbox"}])
    local = client.get("/api/dashboard/config", headers=auth()).get_json()["config"]
    assert local["providers"][0]["delivery_report_url"] is None  # providers cannot reach localhost
    services.settings = services.settings.with_overrides(app_url="https://sms.example.com")
    owner = client.get("/api/dashboard/config", headers=auth()).get_json()["config"]
    url = owner["providers"][0]["delivery_report_url"]
    assert url.startswith("https://sms.example.com/api/delivery-reports/")
    assert url.split("/")[-2] == "sb"
    reader = client.get(
        "/api/dashboard/config", headers=auth(permissions=["MANAGE_ORDERS"])
    ).get_json()["config"]
    assert reader["providers"][0]["delivery_report_url"] is None


def test_check_settings_uses_the_stored_secret_when_left_blank(
    client: FlaskClient, auth: Headers, provider_api: StandinProvider
) -> None:
    save_providers(client, auth, [twilio(provider_api.url)])
    form = client.get("/api/dashboard/config", headers=auth()).get_json()["config"]["providers"][0]
    assert form["secrets"] == {}
    provider_api.answer(200, {"balance": "3.10", "currency": "USD"})
    body = client.post(
        "/api/dashboard/providers/check", headers=auth(), json={"provider": form}
    ).get_json()
    assert body == {"ok": True, "balance": {"amount": "3.10", "currency": "USD"}}
    # The stored token went to the provider, not an empty one.
    sent = base64.b64decode(provider_api.last.headers["Authorization"].split()[1]).decode()
    assert sent == "AC123:tok-secret"


def test_check_settings_reports_missing_fields_and_refusals(
    client: FlaskClient, auth: Headers, provider_api: StandinProvider
) -> None:
    save_providers(client, auth, [{"id": "sb", "type": "sandbox", "name": "Sandbox"}])
    fresh = twilio(provider_api.url) | {"id": "new", "secrets": {}}
    fresh["options"] = {"base_url": provider_api.url}
    missing = client.post(
        "/api/dashboard/providers/check", headers=auth(), json={"provider": fresh}
    ).get_json()
    assert missing["ok"] is False
    assert set(missing["fields"]) >= {"account_sid", "auth_token"}
    provider_api.answer(401, {"code": 20003, "message": "Authenticate"})
    refused = client.post(
        "/api/dashboard/providers/check",
        headers=auth(),
        json={"provider": twilio(provider_api.url) | {"id": "new"}},
    ).get_json()
    assert refused["ok"] is False
    assert refused["error"]["reason"]
    assert (
        client.post(
            "/api/dashboard/providers/check", headers=auth(), json={"provider": {"type": 5}}
        ).status_code
        == 422
    )


def test_low_balance_warnings(
    client: FlaskClient, auth: Headers, provider_api: StandinProvider
) -> None:
    config = client.get("/api/dashboard/config", headers=auth()).get_json()["config"]
    config["providers"] = [twilio(provider_api.url)]
    config["settings"]["low_balance_threshold"] = 5
    assert (
        client.put(
            "/api/dashboard/config",
            headers=auth(),
            json={"config": config, "revision": config["revision"]},
        ).status_code
        == 200
    )
    assert client.get("/api/dashboard/providers/warnings", headers=auth()).get_json() == {
        "warnings": []
    }
    provider_api.answer(200, {"balance": "1.25", "currency": "USD"})
    answer = client.get("/api/dashboard/providers/tw/balance", headers=auth()).get_json()
    assert answer["below_threshold"] is True
    warnings = client.get("/api/dashboard/providers/warnings", headers=auth()).get_json()
    assert [(w["provider_id"], w["currency"]) for w in warnings["warnings"]] == [("tw", "USD")]
