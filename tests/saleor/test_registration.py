"""``POST /api/register`` against the loopback Saleor over real HTTP."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
import requests
from sqlalchemy import select

from saleor_sms_app.models import Tenant
from saleor_sms_app.saleor.tenants import clear_cache, get_tenant
from tests.standin.saleor import InstallationFailed, SaleorStandin


def _register(app_url: str, saleor: SaleorStandin, **overrides: Any) -> requests.Response:
    """A register POST with the captured header set, tweaked by ``overrides`` (None removes)."""
    headers: dict[str, str] = {
        "User-Agent": "Saleor/3.23",
        "Content-Type": "application/json",
        "Saleor-Domain": saleor.domain,
        "Saleor-Api-Url": saleor.api_url,
        "Saleor-Schema-Version": "3.23",
        "Host": "127.0.0.1",
    }
    body = overrides.pop("body", json.dumps({"auth_token": saleor.token or "x"}).encode())
    for name, value in overrides.items():
        name = name.replace("_", "-")
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return requests.post(app_url + "/api/register", data=body, headers=headers, timeout=20)


def test_install_stores_the_tenant_with_encrypted_token(installed: Any) -> None:
    saleor, services, tenant = installed.saleor, installed.app.services, installed.tenant
    assert installed.installation.response.json() == {"success": True}
    assert tenant.app_id == saleor.app_id
    assert tenant.token == saleor.token
    assert tenant.saleor_domain == saleor.domain
    assert tenant.jwks == saleor.jwks()
    assert tenant.callback_secret
    with services.sessions() as session:
        row = session.scalars(select(Tenant)).one()
        assert saleor.token not in (row.token_encrypted or "")
        assert row.saleor_version == "3.23"
    # The token was proven with { app { id } } and the JWKS fetched from the origin.
    assert saleor.count("/graphql/", operation="AppId") == 1
    assert saleor.count("/.well-known/jwks.json") == 1


def test_reinstall_replaces_token_and_app_id_and_keeps_the_row(installed: Any) -> None:
    saleor, services, first = installed.saleor, installed.app.services, installed.tenant
    saleor.rotate_key()
    saleor.install(installed.app.url)
    clear_cache(services)
    second = get_tenant(services, saleor.api_url)
    assert second is not None
    assert second.id == first.id
    assert second.token == saleor.token != first.token
    assert second.app_id == saleor.app_id != first.app_id
    assert second.jwks == saleor.jwks() != first.jwks
    assert second.callback_secret == first.callback_secret


def test_saleor_outside_the_allow_list_gets_403_it_can_show(
    saleor_standin: SaleorStandin, live_app: Any
) -> None:
    evil = "https://evil.example.com/graphql/"
    response = _register(live_app.url, saleor_standin, Saleor_Api_Url=evil)
    assert response.status_code == 403
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "SALEOR_URL_PROHIBITED"
    assert evil in body["error"]["message"]
    # A prefix of an allowed URL is not enough: the whole URL must match.
    sneaky = saleor_standin.api_url + "../../evil"
    assert _register(live_app.url, saleor_standin, Saleor_Api_Url=sneaky).status_code == 403
    assert saleor_standin.count("/graphql/") == 0
    assert get_tenant(live_app.services, evil) is None


def test_install_through_the_standin_reports_the_refusal(
    saleor_standin: SaleorStandin, live_app: Any
) -> None:
    services = live_app.services
    services.settings = services.settings.with_overrides(
        allowed_saleor_api_urls=re.compile(r"https://shop\.example\.com/graphql/")
    )
    with pytest.raises(InstallationFailed, match="does not accept installations"):
        saleor_standin.install(live_app.url)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"Saleor_Api_Url": None}, "MISSING_SALEOR_API_URL"),
        ({"body": b"not json"}, "INVALID_BODY"),
        ({"body": b'{"token": "x"}'}, "MISSING_AUTH_TOKEN"),
        ({"body": b'{"auth_token": ""}'}, "MISSING_AUTH_TOKEN"),
    ],
)
def test_malformed_register_requests_get_400(
    saleor_standin: SaleorStandin, live_app: Any, overrides: dict[str, Any], code: str
) -> None:
    response = _register(live_app.url, saleor_standin, **overrides)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    with live_app.services.sessions() as session:
        assert session.scalars(select(Tenant)).first() is None


def test_a_token_saleor_does_not_know_gets_401(
    saleor_standin: SaleorStandin, live_app: Any
) -> None:
    saleor_standin.token = "the-real-token"
    response = _register(live_app.url, saleor_standin, body=b'{"auth_token": "forged"}')
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNKNOWN_APP_ID"
    assert saleor_standin.count("/graphql/", operation="AppId") == 1
    assert get_tenant(live_app.services, saleor_standin.api_url) is None


def test_saleor_down_while_proving_the_token_gets_401(
    saleor_standin: SaleorStandin, live_app: Any
) -> None:
    saleor_standin.token = "tok"
    saleor_standin.fail_next("/graphql/", status=500)
    response = _register(live_app.url, saleor_standin)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNKNOWN_APP_ID"


def test_unreachable_jwks_gets_401(saleor_standin: SaleorStandin, live_app: Any) -> None:
    saleor_standin.fail_next("/.well-known/jwks.json", status=404)
    with pytest.raises(InstallationFailed) as failure:
        saleor_standin.install(live_app.url)
    assert failure.value.response is not None
    assert failure.value.response.status_code == 401
    assert failure.value.response.json()["error"]["code"] == "JWKS_NOT_AVAILABLE"
    assert get_tenant(live_app.services, saleor_standin.api_url) is None


def test_a_saleor_that_hangs_is_given_up_on_well_before_saleor_gives_up(
    saleor_standin: SaleorStandin, live_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from saleor_sms_app.saleor import jwks, registration

    # Proving the token plus fetching the JWKS fit in Saleor's 18 s read timeout.
    assert registration.PROVE_TIMEOUT_SECONDS + sum(jwks.JWKS_TIMEOUT) < 18
    monkeypatch.setattr(registration, "PROVE_TIMEOUT_SECONDS", 0.3)
    saleor_standin.token = "tok"
    saleor_standin.hang_next("/graphql/", seconds=3)
    started = time.monotonic()
    response = _register(live_app.url, saleor_standin)
    assert time.monotonic() - started < 2
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNKNOWN_APP_ID"
