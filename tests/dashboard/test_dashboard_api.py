"""Every dashboard endpoint refuses bad tokens, and the page is served at appUrl."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers

#: (method, path, permission it needs)
ENDPOINTS = [
    ("GET", "/api/dashboard/me", "MANAGE_ORDERS"),
    ("GET", "/api/dashboard/metadata", "MANAGE_ORDERS"),
    ("GET", "/api/dashboard/messages", "MANAGE_ORDERS"),
    ("GET", "/api/dashboard/messages/export.csv", "MANAGE_ORDERS"),
    ("GET", "/api/dashboard/messages/stats", "MANAGE_ORDERS"),
    ("POST", "/api/dashboard/preview", "MANAGE_ORDERS"),
    ("GET", "/api/dashboard/rules/last-sent", "MANAGE_ORDERS"),
]
#: Endpoints that talk to the tenant's Saleor: their good-token paths are tested in
#: test_config_api.py and test_provider_actions.py; here only the refusals.
SALEOR_ENDPOINTS = [
    ("GET", "/api/dashboard/config", "MANAGE_ORDERS"),
    ("PUT", "/api/dashboard/config", "MANAGE_APPS"),
    ("GET", "/api/dashboard/orders/recent", "MANAGE_ORDERS"),
    ("POST", "/api/dashboard/providers/p1/test", "MANAGE_APPS"),
    ("GET", "/api/dashboard/providers/p1/balance", "MANAGE_ORDERS"),
]
#: A body every POST/PUT endpoint accepts.
BODIES: dict[str, object] = {
    "/api/dashboard/preview": {"template": "Order {{ order.number }}"},
    "/api/dashboard/config": {"config": {}, "revision": 0},
    "/api/dashboard/providers/p1/test": {"phone": "+48601234567"},
}


@pytest.mark.parametrize(("method", "path", "permission"), ENDPOINTS)
def test_good_token(
    client: FlaskClient, auth: Headers, method: str, path: str, permission: str
) -> None:
    response = client.open(
        path, method=method, headers=auth(permissions=[permission]), json=BODIES.get(path)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("method", "path", "permission"), ENDPOINTS + SALEOR_ENDPOINTS)
@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("missing", "token_missing"),
        ("expired", "token_expired"),
        ("forged", "token_invalid"),
        ("foreign_app", "token_foreign_app"),
        ("foreign_tenant", "token_foreign_tenant"),
        ("unknown_tenant", "unknown_tenant"),
    ],
)
def test_bad_tokens_get_401(
    client: FlaskClient,
    auth: Headers,
    stranger_key: rsa.RSAPrivateKey,
    method: str,
    path: str,
    permission: str,
    kind: str,
    code: str,
) -> None:
    headers = {
        "missing": lambda: {"Saleor-Api-Url": auth()["Saleor-Api-Url"]},
        "expired": lambda: auth(ttl=-5),
        "forged": lambda: auth(key=stranger_key),
        "foreign_app": lambda: auth(app="QXBwOjMz"),
        "foreign_tenant": lambda: auth(iss="http://127.0.0.1:9999/graphql/"),
        "unknown_tenant": lambda: auth(api_url="http://127.0.0.1:9999/graphql/"),
    }[kind]()
    response = client.open(path, method=method, headers=headers, json=BODIES.get(path))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize(("method", "path", "permission"), ENDPOINTS + SALEOR_ENDPOINTS)
def test_under_privileged_gets_403(
    client: FlaskClient, auth: Headers, method: str, path: str, permission: str
) -> None:
    others = [p for p in ("MANAGE_ORDERS", "MANAGE_APPS", "MANAGE_CHANNELS") if p != permission]
    response = client.open(
        path, method=method, headers=auth(permissions=others), json=BODIES.get(path)
    )
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "missing_permission"
    assert permission in error["message"]


def test_authorization_bearer_header_form(client: FlaskClient, auth: Headers) -> None:
    headers = auth()
    headers["Authorization"] = "Bearer " + headers.pop("Authorization-Bearer")
    response = client.get("/api/dashboard/me", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["can_configure"] is True


def test_metadata_lists_events_and_provider_fields(client: FlaskClient, auth: Headers) -> None:
    body = client.get("/api/dashboard/metadata", headers=auth()).get_json()
    assert {"name": "ORDER_CREATED", "label": "Order placed"} in body["events"]
    assert "APP_DELETED" not in [e["name"] for e in body["events"]]
    # The message log's filter: events rules cannot have but log rows do.
    others = {e["name"]: e["label"] for e in body["log_events"]}
    assert others["DAILY_SEND"] == "Daily sends (birthdays, anniversaries)"
    app_made = {"CAMPAIGN", "MANUAL", "TEST", "INBOUND", "HELP_REPLY", "LOW_BALANCE"}
    assert app_made | {"CHECKOUT_UPDATED", "PRODUCT_VARIANT_OUT_OF_STOCK"} <= set(others)
    assert "APP_DELETED" not in others and "ORDER_CREATED" not in others
    assert "sandbox" in [p["type"] for p in body["providers"]]
    assert "UNFULFILLED" in body["order_statuses"]


@pytest.fixture
def built_page(app: Flask, tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<script src="/app/assets/index-abc.js"></script>')
    (dist / "assets" / "index-abc.js").write_text("console.log('hi')")
    services = app.extensions["sms_app"]
    services.settings = services.settings.with_overrides(dashboard_dist=dist)
    return dist


def test_page_and_assets_are_served(client: FlaskClient, built_page: Path) -> None:
    # The real dashboard's iframe URL, query string and all.
    page = client.get(
        "/app?domain=127.0.0.1%3A8000&saleorApiUrl=http%3A%2F%2F127.0.0.1%3A8000%2Fgraphql%2F"
        "&id=QXBwOjI%3D&theme=light"
    )
    assert page.status_code == 200
    assert b"/app/assets/index-abc.js" in page.data
    script = client.get("/app/assets/index-abc.js")
    assert script.status_code == 200
    assert script.mimetype in {"text/javascript", "application/javascript"}
    assert "immutable" in script.headers["Cache-Control"]
    assert client.get("/app/assets/../index.html").status_code == 404
    assert client.get("/app/assets/missing.js").status_code == 404


def test_unbuilt_page_says_how_to_build(client: FlaskClient, app: Flask, tmp_path: Path) -> None:
    services = app.extensions["sms_app"]
    services.settings = services.settings.with_overrides(dashboard_dist=tmp_path / "none")
    response = client.get("/app")
    assert response.status_code == 503
    assert "make ui" in response.get_json()["error"]["message"]


def test_preview_against_the_sample_order(client: FlaskClient, auth: Headers) -> None:
    response = client.post(
        "/api/dashboard/preview",
        headers=auth(),
        json={"template": "Zamówienie {{ order.number }}: {{ order.total }}"},
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["text"].startswith("Zamówienie 1042: ")
    assert body["encoding"] == "UCS-2"
    assert body["unicode_characters"] == ["ó"]
    assert body["segments"] == 1
    assert body["problems"] == []


def test_preview_reports_a_broken_template(client: FlaskClient, auth: Headers) -> None:
    for template in ("Order {{ order.numbr }}", "Order {{ order.number "):
        body = client.post(
            "/api/dashboard/preview", headers=auth(), json={"template": template}
        ).get_json()
        assert body["problems"], template
        assert body["text"] == ""


def test_preview_needs_a_template(client: FlaskClient, auth: Headers) -> None:
    response = client.post("/api/dashboard/preview", headers=auth(), json={"order_id": "x"})
    assert response.status_code == 400
    assert "template" in response.get_json()["error"]["details"]


def test_last_sent_per_rule(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    from datetime import UTC, datetime

    from saleor_sms_app.models import Message

    with services.sessions.begin() as session:
        for i, (rule, status, day) in enumerate(
            [("r1", "sent", 1), ("r1", "delivered", 3), ("r1", "failed", 5), ("r2", "skipped", 4)]
        ):
            session.add(
                Message(
                    tenant_id=tenant_id,
                    dedupe_key=f"k{i}",
                    created_at=datetime(2026, 11, day, tzinfo=UTC),
                    event="ORDER_CREATED",
                    rule_id=rule,
                    recipient_type="customer",
                    status=status,
                )
            )
    body = client.get("/api/dashboard/rules/last-sent", headers=auth()).get_json()
    assert body == {"last_sent": {"r1": "2026-11-03T00:00:00+00:00"}}


def test_the_real_captured_token_over_http(
    client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token the real Dashboard sent, with the headers app-sdk's fetch sends, clock at iat."""
    from saleor_sms_app.saleor import dashboard_auth
    from tests.dashboard.conftest import add_tenant, captured_handshake_token, captured_jwks

    token, claims = captured_handshake_token()
    add_tenant(services, api_url=claims["iss"], app_id=claims["app"], jwks=captured_jwks())
    monkeypatch.setattr(dashboard_auth, "now", lambda: float(claims["iat"] + 60))
    headers = {"Authorization-Bearer": token, "Saleor-Api-Url": claims["iss"]}
    response = client.get("/api/dashboard/me", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["email"] == "admin@example.com"
    assert response.get_json()["can_configure"] is True
    monkeypatch.setattr(dashboard_auth, "now", lambda: float(claims["exp"] + 1))
    assert client.get("/api/dashboard/me", headers=headers).status_code == 401
