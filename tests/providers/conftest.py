"""Provider fixtures: loopback stand-in providers and a provider context on them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from saleor_sms_app.providers.base import ProviderContext
from tests.standin.provider import StandinProvider


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
    """A short timeout so the "slow provider" tests stay fast."""
    session = requests.Session()
    yield ProviderContext(session=session, timeout=0.5)
    session.close()
