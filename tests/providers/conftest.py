"""Provider fixtures: loopback stand-in providers and a provider context on them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import select

from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.config.store import ConfigStore, cache_key
from saleor_sms_app.db import session_scope
from saleor_sms_app.models import Message, MessageAttempt, MessageStatus, RecipientType
from saleor_sms_app.providers.base import ProviderContext
from saleor_sms_app.saleor.tenants import TenantRecord, save_tenant
from saleor_sms_app.services import Services
from tests.standin.provider import StandinProvider, standin_spec


@pytest.fixture(scope="session")
def _standin_servers() -> Iterator[tuple[StandinProvider, StandinProvider]]:
    servers = (StandinProvider().start(), StandinProvider().start())
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def standin_provider(_standin_servers: tuple[StandinProvider, StandinProvider]) -> StandinProvider:
    """A loopback SMS provider, reset for this test (see :mod:`tests.standin.provider`)."""
    return _standin_servers[0].reset()


@pytest.fixture
def standin_provider_b(
    _standin_servers: tuple[StandinProvider, StandinProvider],
) -> StandinProvider:
    """A second one, for failover tests."""
    return _standin_servers[1].reset()


@pytest.fixture
def provider_context() -> Iterator[ProviderContext]:
    """A loopback session; the timeout is generous because a loaded 2-core CI
    machine can stall a thread for half a second, and tests whose subject is
    the timeout shorten it themselves."""
    session = requests.Session()
    yield ProviderContext(session=session, timeout=5.0)
    session.close()


@pytest.fixture
def tenant(services: Services) -> TenantRecord:
    """An installed tenant (a Saleor is not the subject of these tests)."""
    return save_tenant(
        services,
        saleor_api_url="http://127.0.0.1:9/graphql/",
        saleor_domain="127.0.0.1:9",
        app_id="QXBwOjE=",
        token="saleor-app-token",
        jwks={"keys": []},
    )


def use_config(services: Services, tenant: TenantRecord, config: AppConfig) -> None:
    """Make ``config`` the tenant's configuration through the real store's cache."""
    store = ConfigStore(services)
    services.redis.set(cache_key(tenant.id), store.serialise(config), ex=3600)


def use_two_providers(services: Services, tenant: TenantRecord, a_url: str, b_url: str) -> None:
    """Generic providers ``a`` then ``b`` (failover order) on stand-ins at these URLs."""
    use_config(
        services,
        tenant,
        AppConfig(providers=[generic_config("a", a_url), generic_config("b", b_url)]),
    )


def generic_config(provider_id: str, base_url: str, **changes: Any) -> ProviderConfig:
    """A generic-provider configuration speaking to a stand-in at ``base_url``."""
    return ProviderConfig(
        id=provider_id,
        type="generic",
        name=provider_id,
        sender="Shop",
        options={"spec": standin_spec(base_url)},
        secrets={"secret": "standin-token"},
        **changes,
    )


def log_message(
    services: Services, tenant_id: int, phone: str = "+48500100200", **values: Any
) -> int:
    """A queued message row, as the pipeline writes it; its id."""
    with session_scope(services.sessions) as session:
        message = Message(
            tenant_id=tenant_id,
            dedupe_key=uuid.uuid4().hex,
            event=values.pop("event", "ORDER_CREATED"),
            recipient_type=values.pop("recipient_type", RecipientType.CUSTOMER.value),
            phone=phone,
            body=values.pop("body", "Order 42 shipped"),
            status=values.pop("status", MessageStatus.QUEUED.value),
            **values,
        )
        session.add(message)
        session.flush()
        return message.id


#: The Twilio auth token of the ``shop`` fixture (signs its delivery reports).
TWILIO_TOKEN = "twilio-auth-token-123456"


@pytest.fixture
def shop(services: Services, tenant: TenantRecord) -> TenantRecord:
    """The tenant with a Twilio (``tw``) and an SMSAPI (``sa``) provider."""
    use_config(
        services,
        tenant,
        AppConfig(
            providers=[
                ProviderConfig(
                    id="tw",
                    type="twilio",
                    sender="+15005550006",
                    options={"account_sid": "AC0123456789abcdef0123456789abcdef"},
                    secrets={"auth_token": TWILIO_TOKEN},
                ),
                ProviderConfig(id="sa", type="smsapi", secrets={"token": "smsapi-token"}),
            ]
        ),
    )
    return tenant


def attempts_of(services: Services, message_id: int) -> list[tuple[str, str, str | None]]:
    """(provider id, status, error code) of each attempt at a message, in order."""
    with services.sessions() as session:
        rows = session.scalars(
            select(MessageAttempt)
            .where(MessageAttempt.message_id == message_id)
            .order_by(MessageAttempt.id)
        )
        return [(a.provider_id, a.status, a.error_code) for a in rows]


def message_row(services: Services, message_id: int) -> Message:
    """A message's log row, detached from its session."""
    with services.sessions() as session:
        message = session.get(Message, message_id)
        assert message is not None
        session.expunge(message)
        return message
