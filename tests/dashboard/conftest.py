"""Fixtures for the dashboard API: installed tenants and dashboard tokens.

Tokens are real RS256 JWTs with the claims the Saleor Dashboard puts in them
(see ../shared/saleor/README.md), signed by a key generated per session whose
JWKS the tenant row holds, exactly as registration stores it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from saleor_sms_app.saleor.tenants import save_tenant
from saleor_sms_app.services import Services
from tests.conftest import shared_path
from tests.dashboard.saleor_double import SaleorDouble, serve

API_URL = "http://127.0.0.1:8000/graphql/"
APP_ID = "QXBwOjI="
KID = "test-dashboard-key"
#: What the captured shop owner holds (a subset is enough for the checks).
ALL_PERMISSIONS = ["MANAGE_ORDERS", "MANAGE_APPS", "MANAGE_CHANNELS"]


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def stranger_key() -> rsa.RSAPrivateKey:
    """A key no tenant knows: tokens signed with it are forgeries."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwks(key: rsa.RSAPrivateKey, kid: str = KID) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return {"keys": [jwk]}


def add_tenant(
    services: Services, *, api_url: str = API_URL, app_id: str = APP_ID, jwks: dict[str, Any]
) -> int:
    """Install a tenant the way registration does."""
    record = save_tenant(
        services,
        saleor_api_url=api_url,
        saleor_domain=api_url.split("/")[2],
        app_id=app_id,
        token="app-token-" + app_id,
        jwks=jwks,
    )
    return record.id


@pytest.fixture
def tenant_id(services: Services, signing_key: rsa.RSAPrivateKey) -> int:
    return add_tenant(services, jwks=public_jwks(signing_key))


TokenFactory = Callable[..., str]


@pytest.fixture
def make_token(signing_key: rsa.RSAPrivateKey) -> TokenFactory:
    def make(
        *,
        permissions: list[str] | None = None,
        iss: str = API_URL,
        app: str = APP_ID,
        ttl: int = 300,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KID,
        **extra: Any,
    ) -> str:
        iat = int(time.time())
        claims: dict[str, Any] = {
            "iat": iat,
            "owner": "saleor",
            "iss": iss,
            "exp": iat + ttl,
            "token": "abc",
            "email": "owner@example.com",
            "type": "thirdparty",
            "user_id": "VXNlcjox",
            "is_staff": True,
            "app": app,
            "permissions": ["MANAGE_ORDERS"],
            "user_permissions": ALL_PERMISSIONS if permissions is None else permissions,
        }
        claims.update(extra)
        return jwt.encode(claims, key or signing_key, algorithm="RS256", headers={"kid": kid})

    return make


def captured_handshake_token() -> tuple[str, dict[str, Any]]:
    """The real token the Saleor Dashboard sent, and its claims (unverified)."""
    lines = shared_path("saleor", "captures", "dashboard-postmessages.jsonl").read_text()
    for line in lines.splitlines():
        entry = json.loads(line)
        if entry["data"].get("type") == "handshake":
            token: str = entry["data"]["payload"]["token"]
            return token, jwt.decode(token, options={"verify_signature": False})
    raise AssertionError("no handshake in the capture")


def captured_jwks() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared_path("saleor", "captures", "jwks.json").read_text())
    return data


@pytest.fixture
def auth(make_token: TokenFactory, tenant_id: int) -> Callable[..., dict[str, str]]:
    """Headers the page sends: the dashboard token and the Saleor it came from."""

    def headers(token: str | None = None, api_url: str = API_URL, **claims: Any) -> dict[str, str]:
        return {"Authorization-Bearer": token or make_token(**claims), "Saleor-Api-Url": api_url}

    return headers


@pytest.fixture
def saleor() -> Iterator[SaleorDouble]:
    yield from serve()


@pytest.fixture
def shop(
    services: Services, saleor: SaleorDouble, signing_key: rsa.RSAPrivateKey
) -> Callable[..., dict[str, str]]:
    """An installed tenant living in the loopback Saleor; returns a headers factory."""
    add_tenant(services, api_url=saleor.url, app_id=saleor.app_id, jwks=public_jwks(signing_key))

    def headers(permissions: list[str] | None = None, **claims: Any) -> dict[str, str]:
        iat = int(time.time())
        token = jwt.encode(
            {
                "iat": iat,
                "exp": iat + 300,
                "iss": saleor.url,
                "app": saleor.app_id,
                "email": "owner@example.com",
                "user_permissions": ALL_PERMISSIONS if permissions is None else permissions,
                **claims,
            },
            signing_key,
            algorithm="RS256",
            headers={"kid": KID},
        )
        return {"Authorization-Bearer": token, "Saleor-Api-Url": saleor.url}

    return headers
