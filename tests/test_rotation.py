"""Rotating SECRET_KEY re-encrypts tokens in our database and provider secrets in Saleor."""

from __future__ import annotations

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.crypto import SecretBox
from saleor_sms_app.rotation import rotate_secrets
from saleor_sms_app.saleor.tenants import clear_cache, get_tenant_by_id
from tests.conftest import TEST_SECRET_KEY
from tests.standin.fixtures import Installed

NEW_KEY = "new-secret-key-9876543210-zyxwvutsrqponmlkjihgfedcba"


def test_rotation_leaves_nothing_that_needs_the_old_key(installed: Installed) -> None:
    services = installed.app.services
    store = ConfigStore(services)
    config = store.load(installed.tenant)
    config.providers.append(
        ProviderConfig(
            type="twilio",
            name="Twilio",
            sender="+15005550006",
            options={"account_sid": "AC" + "0" * 32},
            secrets={"auth_token": "tw-secret-1"},
        )
    )
    store.save(installed.tenant, config, expected_revision=config.revision)
    stored_before = installed.saleor.app_private_metadata["sms-config"]

    services.secret_box = SecretBox([NEW_KEY, TEST_SECRET_KEY])
    clear_cache(services)
    report = rotate_secrets(services)
    assert (report.tenants, report.configurations, report.failed) == (1, 1, {})
    assert installed.saleor.app_private_metadata["sms-config"] != stored_before

    # With the old key gone, the token and the provider secret still open.
    services.secret_box = SecretBox([NEW_KEY])
    clear_cache(services)
    store.invalidate(installed.tenant.id)
    tenant = get_tenant_by_id(services, installed.tenant.id)
    assert tenant is not None and tenant.token == installed.installation.token
    loaded = store.load(tenant, fresh=True)
    assert loaded.providers[-1].secrets == {"auth_token": "tw-secret-1"}


def test_rotation_reports_a_saleor_it_cannot_reach(installed: Installed) -> None:
    services = installed.app.services
    store = ConfigStore(services)
    config = store.load(installed.tenant)
    config.providers.append(ProviderConfig(type="smsapi", name="SMSAPI", secrets={"token": "s-1"}))
    store.save(installed.tenant, config, expected_revision=config.revision)
    installed.saleor.fail_next("/graphql/", status=500, times=5)
    report = rotate_secrets(services)
    assert list(report.failed) == [installed.saleor.api_url]
