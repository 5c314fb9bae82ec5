"""Fixtures for the security tests: the dashboard's tenant and tokens, the provider
stand-ins, and services whose provider calls follow the production egress policy."""

from __future__ import annotations

import pytest

from saleor_sms_app.egress import EgressPolicy, GuardedAdapter
from saleor_sms_app.services import Services, http_session

# The dashboard's and the providers' fixtures, shared rather than copied.
from tests.dashboard.conftest import (  # noqa: F401
    auth,
    make_token,
    saleor,
    stranger_key,
    tenant_id,
)
from tests.providers.conftest import (  # noqa: F401
    _standin_servers,
    standin_provider,
    standin_provider_b,
)


@pytest.fixture
def production_egress(services: Services) -> Services:
    """``services`` as a production deployment runs them: no private provider URLs
    (the test settings allow loopback for the stand-ins; here nothing is allowed)."""
    policy = EgressPolicy()
    services.settings = services.settings.with_overrides(provider_egress=policy)
    services.provider_http.close()
    services.provider_http = http_session(services.settings, GuardedAdapter(policy))
    return services
