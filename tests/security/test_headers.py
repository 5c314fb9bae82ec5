"""Headers of the page and the API: who may frame the page, no sniffing, no caching."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from saleor_sms_app.services import Services
from saleor_sms_app.web.headers import API_POLICY
from tests.conftest import capture_path
from tests.dashboard.conftest import Headers, add_tenant, captured_jwks

CAPTURED_LOAD = json.loads(capture_path("dashboard-iframe-load.json").read_text())


def frame_ancestors(answer: Any) -> str:
    policy = answer.headers["Content-Security-Policy"]
    found = re.search(r"frame-ancestors ([^;]*)", policy)
    assert found is not None, policy
    return found.group(1).strip()


@pytest.fixture
def page_app(services: Services, tmp_path: Path, app: Any) -> Any:
    """The app with a built page of its own (the page's content is not the subject)."""
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("<!doctype html><title>SMS</title>")
    services.settings = services.settings.with_overrides(dashboard_dist=tmp_path / "dist")
    return app.test_client()


def test_the_captured_dashboard_load_admits_exactly_that_dashboard(
    services: Services, page_app: Any
) -> None:
    """The real Dashboard (on :9000) framing the page for its Saleor (API on :8000)."""
    headers = dict(CAPTURED_LOAD["headers"])
    add_tenant(services, api_url="http://127.0.0.1:8000/graphql/", jwks=captured_jwks())
    answer = page_app.get(CAPTURED_LOAD["path"], headers={"Referer": headers["Referer"]})
    assert answer.status_code == 200
    assert frame_ancestors(answer) == "http://127.0.0.1:9000"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert "Referer" in answer.headers["Vary"]


@pytest.mark.parametrize(
    ("referrer", "admitted"),
    [
        # An attacker's page framing the app for this shop: only the API's origin is admitted.
        ("https://evil.example/", "http://127.0.0.1:8000"),
        ("http://127.0.0.1.evil.example:9000/", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/dashboard/", "http://127.0.0.1:8000"),
        # No referrer at all (a strict referrer policy): the API's origin.
        (None, "http://127.0.0.1:8000"),
        ("not a url", "http://127.0.0.1:8000"),
        # The Dashboard beside its API on the same host, any port.
        ("http://127.0.0.1:9000/apps/QXBwOjE=/app", "http://127.0.0.1:9000"),
        # Header injection attempts never reach the header.
        ("http://127.0.0.1:9000;script-src *", "http://127.0.0.1:8000"),
    ],
)
def test_the_referrer_only_chooses_among_trusted_origins(
    services: Services, page_app: Any, referrer: str | None, admitted: str
) -> None:
    add_tenant(services, api_url="http://127.0.0.1:8000/graphql/", jwks=captured_jwks())
    query = urlencode({"saleorApiUrl": "http://127.0.0.1:8000/graphql/", "domain": "evil.example"})
    headers = {"Referer": referrer} if referrer is not None else {}
    answer = page_app.get("/app?" + query, headers=headers)
    assert frame_ancestors(answer) == admitted


def test_the_operator_names_dashboards_elsewhere(services: Services, page_app: Any) -> None:
    add_tenant(services, api_url="http://127.0.0.1:8000/graphql/", jwks=captured_jwks())
    services.settings = services.settings.with_overrides(
        allowed_dashboard_origins=re.compile(r"https://dashboard\.shop\.example")
    )
    query = urlencode({"saleorApiUrl": "http://127.0.0.1:8000/graphql/"})
    answer = page_app.get("/app?" + query, headers={"Referer": "https://dashboard.shop.example/"})
    assert frame_ancestors(answer) == "https://dashboard.shop.example"
    answer = page_app.get("/app?" + query, headers={"Referer": "https://other.shop.example/"})
    assert frame_ancestors(answer) == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?domain=127.0.0.1%3A8000",
        "?saleorApiUrl=http%3A%2F%2F127.0.0.1%3A8000%2Fgraphql%2F",  # not installed
        "?saleorApiUrl=javascript%3Aalert(1)",
    ],
)
def test_a_page_for_no_installed_tenant_may_not_be_framed(page_app: Any, query: str) -> None:
    answer = page_app.get("/app" + query, headers={"Referer": "http://127.0.0.1:9000/"})
    assert frame_ancestors(answer) == "'none'"


def test_api_answers_are_never_cached_nor_sniffed(
    client: Any, auth: Headers, tenant_id: int
) -> None:
    for path, headers in [
        ("/api/dashboard/me", auth()),
        ("/api/dashboard/config", auth()),
        ("/api/dashboard/me", {}),  # 401
        ("/api/dashboard/nope", auth()),  # 404
        (f"/api/delivery-reports/{tenant_id}/p/wrong-secret", {}),  # 401
        ("/api/manifest", {}),
    ]:
        answer = client.get(path, headers=headers)
        assert answer.headers["Cache-Control"] == "no-store", path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
        assert answer.headers["Content-Security-Policy"] == API_POLICY, path
    webhook = client.post("/api/webhooks/order-created", data=b"{}")
    assert webhook.status_code >= 400
    assert webhook.headers["Cache-Control"] == "no-store"
    assert webhook.headers["X-Content-Type-Options"] == "nosniff"
