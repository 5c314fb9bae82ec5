"""The dashboard token check, against the real captured tokens and tokens we sign."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from saleor_sms_app.errors import Forbidden, Unauthorized
from saleor_sms_app.saleor import dashboard_auth
from saleor_sms_app.saleor.dashboard_auth import (
    READ_PERMISSION,
    WRITE_PERMISSION,
    bearer_token,
    verify_dashboard_token,
)
from saleor_sms_app.services import Services
from tests.dashboard.conftest import (
    TokenFactory,
    add_tenant,
    captured_handshake_token,
    captured_jwks,
)
from tests.standin.saleor import SaleorStandin


def _code(excinfo: pytest.ExceptionInfo[Any]) -> str:
    return str(excinfo.value.code)


class TestCapturedToken:
    """The token the real Saleor Dashboard 3.23.27 handed an app, replayed at its iat."""

    @pytest.fixture
    def captured(self, services: Services, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
        token, claims = captured_handshake_token()
        add_tenant(services, api_url=claims["iss"], app_id=claims["app"], jwks=captured_jwks())
        monkeypatch.setattr(dashboard_auth, "now", lambda: float(claims["iat"]))
        return {"token": token, "claims": claims}

    def test_verifies_with_clock_at_iat(self, services: Services, captured: dict[str, Any]) -> None:
        user = verify_dashboard_token(services, captured["token"], captured["claims"]["iss"])
        assert user.tenant.app_id == "QXBwOjI="
        assert user.email == "admin@example.com"
        assert user.expires_at == captured["claims"]["iat"] + 300
        # The owner holds both even though the app-scoped ``permissions`` claim lacks MANAGE_APPS.
        user.require(READ_PERMISSION)
        user.require(WRITE_PERMISSION)

    def test_expired_after_exp(
        self, services: Services, captured: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(dashboard_auth, "now", lambda: float(captured["claims"]["exp"]))
        with pytest.raises(Unauthorized) as excinfo:
            verify_dashboard_token(services, captured["token"], captured["claims"]["iss"])
        assert _code(excinfo) == "token_expired"

    def test_one_changed_byte_fails(self, services: Services, captured: dict[str, Any]) -> None:
        header, payload, signature = captured["token"].split(".")
        forged = ".".join([header, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
        with pytest.raises(Unauthorized) as excinfo:
            verify_dashboard_token(services, forged, captured["claims"]["iss"])
        assert _code(excinfo) == "token_invalid"

    def test_other_app_on_same_saleor(
        self, services: Services, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        token, claims = captured_handshake_token()
        add_tenant(services, api_url=claims["iss"], app_id="QXBwOjk=", jwks=captured_jwks())
        monkeypatch.setattr(dashboard_auth, "now", lambda: float(claims["iat"]))
        with pytest.raises(Unauthorized) as excinfo:
            verify_dashboard_token(services, token, claims["iss"])
        assert _code(excinfo) == "token_foreign_app"


def test_good_token(
    services: Services, saleor: SaleorStandin, tenant_id: int, make_token: TokenFactory
) -> None:
    user = verify_dashboard_token(services, make_token(), saleor.api_url)
    assert user.tenant_id == tenant_id
    assert user.saleor_api_url == saleor.api_url


def test_under_privileged_token_is_verified_but_forbidden(
    services: Services, saleor: SaleorStandin, tenant_id: int, make_token: TokenFactory
) -> None:
    user = verify_dashboard_token(
        services, make_token(permissions=["MANAGE_ORDERS"]), saleor.api_url
    )
    user.require(READ_PERMISSION)
    with pytest.raises(Forbidden) as excinfo:
        user.require(WRITE_PERMISSION)
    assert "MANAGE_APPS" in str(excinfo.value)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"ttl": -1}, "token_expired"),
        ({"app": "QXBwOjk5"}, "token_foreign_app"),
        ({"iss": "http://127.0.0.1:9999/graphql/"}, "token_foreign_tenant"),
    ],
)
def test_refused_claims(
    services: Services,
    saleor: SaleorStandin,
    tenant_id: int,
    make_token: TokenFactory,
    change: dict[str, Any],
    code: str,
) -> None:
    with pytest.raises(Unauthorized) as excinfo:
        verify_dashboard_token(services, make_token(**change), saleor.api_url)
    assert _code(excinfo) == code


def test_token_without_exp_is_refused(
    services: Services, saleor: SaleorStandin, tenant_id: int
) -> None:
    token = saleor.sign_jwt(
        {"iss": saleor.api_url, "app": saleor.app_id, "user_permissions": ["MANAGE_APPS"]}
    )
    with pytest.raises(Unauthorized) as excinfo:
        verify_dashboard_token(services, token, saleor.api_url)
    assert _code(excinfo) == "token_invalid"


def test_hs256_with_public_key_is_refused(
    services: Services, saleor: SaleorStandin, tenant_id: int
) -> None:
    """The classic algorithm-confusion forgery: alg pinned to RS256."""
    import jwt

    token = jwt.encode(
        {
            "iss": saleor.api_url,
            "app": saleor.app_id,
            "exp": 2**31,
            "user_permissions": ["MANAGE_APPS"],
        },
        "any-secret-at-all-long-enough-for-hmac-sha256",
        algorithm="HS256",
        headers={"kid": saleor.kid},
    )
    with pytest.raises(Unauthorized):
        verify_dashboard_token(services, token, saleor.api_url)


def test_token_for_an_uninstalled_or_unknown_tenant(
    services: Services, saleor: SaleorStandin, make_token: TokenFactory
) -> None:
    with pytest.raises(Unauthorized) as excinfo:
        verify_dashboard_token(services, make_token(), saleor.api_url)
    assert _code(excinfo) == "unknown_tenant"


def test_signed_by_another_key(
    services: Services,
    saleor: SaleorStandin,
    tenant_id: int,
    make_token: TokenFactory,
    stranger_key: rsa.RSAPrivateKey,
) -> None:
    with pytest.raises(Unauthorized) as excinfo:
        verify_dashboard_token(services, make_token(key=stranger_key), saleor.api_url)
    assert _code(excinfo) == "token_invalid"


def test_header_forms() -> None:
    assert bearer_token({"Authorization-Bearer": "abc"}) == "abc"
    assert bearer_token({"Authorization": "Bearer xyz"}) == "xyz"
    with pytest.raises(Unauthorized):
        bearer_token({"Authorization": "Basic xyz"})
    with pytest.raises(Unauthorized):
        bearer_token({})


def test_rotated_key_is_fetched_once_then_rate_limited(
    services: Services, saleor: SaleorStandin, tenant_id: int, make_token: TokenFactory
) -> None:
    """Saleor's operator rotated the key after install: one re-fetch, then the gate holds."""
    saleor.rotate_key()
    api_url = saleor.api_url

    user = verify_dashboard_token(services, make_token(), api_url)
    assert user.saleor_api_url == api_url
    assert saleor.count("/.well-known/jwks.json") == 1

    # The fresh JWKS was stored: a second token needs no fetch.
    verify_dashboard_token(services, make_token(), api_url)
    assert saleor.count("/.well-known/jwks.json") == 1

    # Unknown kids in a burst trigger no further fetches within the interval.
    for _ in range(3):
        with pytest.raises(Unauthorized):
            verify_dashboard_token(services, make_token(kid="bogus"), api_url)
    assert saleor.count("/.well-known/jwks.json") == 1


def test_webhook_and_dashboard_checks_share_the_keys_and_the_refetch_gate(
    services: Services, saleor: SaleorStandin, tenant_id: int, make_token: TokenFactory
) -> None:
    """One module owns the tenant's keys: a re-fetch by either check serves the other."""
    from saleor_sms_app.saleor.signatures import verify_webhook
    from saleor_sms_app.saleor.tenants import get_tenant

    saleor.rotate_key()
    tenant = get_tenant(services, saleor.api_url)
    assert tenant is not None
    body = b'{"order": {"id": "T3JkZXI6MQ=="}}'
    verify_webhook(services, tenant, saleor.sign(body), body)
    assert saleor.count("/.well-known/jwks.json") == 1

    # The webhook check stored the rotated key: the dashboard check needs no fetch of its own.
    verify_dashboard_token(services, make_token(), saleor.api_url)
    assert saleor.count("/.well-known/jwks.json") == 1

    # And the gate is the tenant's, not the check's: an unknown kid now fetches nothing.
    with pytest.raises(Unauthorized):
        verify_dashboard_token(services, make_token(kid="bogus"), saleor.api_url)
    assert saleor.count("/.well-known/jwks.json") == 1
