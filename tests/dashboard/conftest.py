"""Fixtures for the dashboard API: a tenant living in the shared loopback Saleor.

The tenant is the app installed in :class:`~tests.standin.saleor.SaleorStandin`
(app id and token as the register step stores them, its JWKS as fetched at
registration), so dashboard tokens are signed by that Saleor's own key with
the claims the Saleor Dashboard puts in them (see tests/data/README.md),
and every GraphQL call the dashboard makes is validated against the real schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from saleor_sms_app.config.model import ProviderConfig, QuietHours, Rule
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.saleor.tenants import get_tenant_by_id, save_tenant
from saleor_sms_app.services import Services
from tests.conftest import capture_path
from tests.standin.saleor import SaleorStandin, global_id

#: What the captured shop owner holds (a subset is enough for the checks).
ALL_PERMISSIONS = ["MANAGE_ORDERS", "MANAGE_APPS", "MANAGE_CHANNELS", "MANAGE_USERS"]
#: The staff user the tokens name (the page shows it).
USER_EMAIL = "owner@example.com"


@pytest.fixture(scope="session")
def stranger_key() -> rsa.RSAPrivateKey:
    """A key no tenant knows: tokens signed with it are forgeries."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def add_tenant(
    services: Services,
    *,
    api_url: str,
    app_id: str = "QXBwOjI=",
    jwks: dict[str, Any],
    token: str | None = None,
) -> int:
    """Install a tenant the way registration does."""
    record = save_tenant(
        services,
        saleor_api_url=api_url,
        saleor_domain=api_url.split("/")[2],
        app_id=app_id,
        token=token or "app-token-" + app_id,
        jwks=jwks,
    )
    return record.id


@pytest.fixture
def saleor(saleor_standin: SaleorStandin) -> SaleorStandin:
    """The loopback Saleor with the app in its slot and two orders: 1042 (newest) and 1041."""
    saleor_standin.token = "app-token-dashboard"
    saleor_standin.app_id = global_id("App", 2)
    now = datetime.now(UTC)
    saleor_standin.make_order(
        number=1041,
        status="FULFILLED",
        first_name="Żaneta",
        last_name="Łęcka",
        email="z@example.com",
        created=now - timedelta(minutes=2),
    )
    saleor_standin.make_order(number=1042, created=now - timedelta(minutes=1))
    return saleor_standin


@pytest.fixture
def tenant_id(services: Services, saleor: SaleorStandin) -> int:
    assert saleor.app_id is not None and saleor.token is not None
    return add_tenant(
        services,
        api_url=saleor.api_url,
        app_id=saleor.app_id,
        token=saleor.token,
        jwks=saleor.jwks(),
    )


@pytest.fixture
def sandbox_shop(services: Services, tenant_id: int) -> None:
    """The shop sends through the sandbox provider (it writes the outbox file) and has
    one rule whose template the "Send SMS" popup offers."""
    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    store = ConfigStore(services)
    config = store.load(tenant, fresh=True)
    rule = Rule.model_validate(
        {
            "id": "shipped",
            "name": "Order shipped",
            "event": "ORDER_FULFILLED",
            "template": "Order {{ order.number }} is on its way, {{ customer.first_name }}",
        }
    )
    changes = {"providers": [ProviderConfig(id="p1", type="sandbox")], "rules": [rule]}
    store.save(tenant, config.model_copy(update=changes), expected_revision=config.revision)


@pytest.fixture
def any_hour(services: Services, tenant_id: int, sandbox_shop: None) -> None:
    """The sandbox shop with quiet hours off: marketing texts go out whatever the hour the
    test runs at (held texts have their own test in tests/campaigns/test_running.py)."""
    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    store = ConfigStore(services)
    config = store.load(tenant, fresh=True)
    settings = config.settings.model_copy(update={"quiet_hours": QuietHours(enabled=False)})
    store.save(
        tenant, config.model_copy(update={"settings": settings}), expected_revision=config.revision
    )


TokenFactory = Callable[..., str]


@pytest.fixture
def make_token(saleor: SaleorStandin) -> TokenFactory:
    """Dashboard tokens from the loopback Saleor; ``permissions`` are the user's."""

    def make(
        *,
        permissions: list[str] | None = None,
        iss: str | None = None,
        app: str | None = None,
        ttl: int = 300,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
    ) -> str:
        return saleor.dashboard_token(
            permissions=["MANAGE_ORDERS"],
            user_permissions=ALL_PERMISSIONS if permissions is None else permissions,
            exp_in=ttl,
            iss=iss,
            app=app,
            email=USER_EMAIL,
            key=key,
            kid=kid,
        )

    return make


def captured_handshake_token() -> tuple[str, dict[str, Any]]:
    """The real token the Saleor Dashboard sent, and its claims (unverified)."""
    lines = capture_path("dashboard-postmessages.jsonl").read_text()
    for line in lines.splitlines():
        entry = json.loads(line)
        if entry["data"].get("type") == "handshake":
            token: str = entry["data"]["payload"]["token"]
            return token, jwt.decode(token, options={"verify_signature": False})
    raise AssertionError("no handshake in the capture")


def captured_jwks() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(capture_path("jwks.json").read_text())
    return data


Headers = Callable[..., dict[str, str]]


@pytest.fixture
def auth(make_token: TokenFactory, saleor: SaleorStandin, tenant_id: int) -> Headers:
    """Headers the page sends: the dashboard token and the Saleor it came from."""

    def headers(
        token: str | None = None, api_url: str | None = None, **claims: Any
    ) -> dict[str, str]:
        return {
            "Authorization-Bearer": token or make_token(**claims),
            "Saleor-Api-Url": api_url or saleor.api_url,
        }

    return headers


# The page's browser fixtures (one Chromium per session for every browser test).
from tests.dashboard.browser import browser, dashboard, served_app  # noqa: E402, F401
