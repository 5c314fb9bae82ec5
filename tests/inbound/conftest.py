"""An installed shop with a sandbox (sends the HELP answers) and the providers
that forward inbound texts, served by the live app on loopback."""

from __future__ import annotations

import pytest

from saleor_sms_app.config.model import AppConfig, ProviderConfig, ShopSettings
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services

# The providers' installed ``tenant`` fixture (a Saleor is not the subject here).
from tests.providers.conftest import tenant as installed_tenant  # noqa: F401
from tests.providers.conftest import use_config
from tests.standin.fixtures import LiveApp

TWILIO_TOKEN = "twilio-auth-token-123456"
HELP_TEXT = "Shop: reply STOP to opt out. Questions: hello@shop.example"


@pytest.fixture
def shop(live_app: LiveApp, installed_tenant: TenantRecord) -> TenantRecord:  # noqa: F811
    services: Services = live_app.services
    tenant = installed_tenant
    use_config(
        services,
        tenant,
        AppConfig(
            settings=ShopSettings(default_country="PL", help_reply=HELP_TEXT),
            providers=[
                ProviderConfig(id="sb", type="sandbox"),
                ProviderConfig(
                    id="tw",
                    type="twilio",
                    sender="+15005550006",
                    options={"account_sid": "AC0123456789abcdef0123456789abcdef"},
                    secrets={"auth_token": TWILIO_TOKEN},
                ),
                ProviderConfig(
                    id="vo",
                    type="vonage",
                    sender="Shop",
                    options={"api_key": "vonage-key"},
                    secrets={"api_secret": "vonage-secret"},
                ),
                ProviderConfig(id="sa", type="smsapi", secrets={"token": "smsapi-token"}),
            ],
        ),
    )
    return tenant


def inbound_path(tenant: TenantRecord, provider_id: str, secret: str | None = None) -> str:
    return f"/api/inbound/{tenant.id}/{provider_id}/{secret or tenant.callback_secret}"
