"""Fixtures of the pipeline tests: a loopback Saleor with the app installed, a scripted provider."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import pytest

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.messages import send_jobs
from saleor_sms_app.providers import PROVIDERS
from saleor_sms_app.providers.base import SmsProvider
from saleor_sms_app.providers.models import (
    FailureReason,
    OutboundSms,
    ProviderError,
    SendResult,
    SendStatus,
)
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.standin.saleor import SaleorStandin


@pytest.fixture
def saleor(saleor_standin: SaleorStandin) -> SaleorStandin:
    """The loopback Saleor (``tests/standin``) with a shop name the tests can recognise."""
    saleor_standin.shop_name = "Sklep Testowy"
    return saleor_standin


@pytest.fixture
def tenant(services: Services, saleor: SaleorStandin) -> TenantRecord:
    """The app installed in the stand-in (token and app id as the register step stores them)."""
    record: TenantRecord = saleor.store_installation(services)
    return record


@pytest.fixture
def store(services: Services) -> ConfigStore:
    return ConfigStore(services)


@pytest.fixture(autouse=True)
def immediate_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries run at once, so a burst worker runs them too (the real ones wait minutes)."""
    monkeypatch.setattr(send_jobs, "SEND_RETRY_INTERVALS", [0, 0, 0])


class ScriptedProvider(SmsProvider):
    """Answers what the test scripted: "ok", "temporary", "permanent" or "opted_out"."""

    name: ClassVar[str] = "scripted"
    label: ClassVar[str] = "Scripted test provider"
    script: ClassVar[list[str]] = []
    calls: ClassVar[list[OutboundSms]] = []

    def send(self, sms: OutboundSms) -> SendResult:
        ScriptedProvider.calls.append(sms)
        step = ScriptedProvider.script.pop(0) if ScriptedProvider.script else "ok"
        if step == "ok":
            return SendResult(
                SendStatus.QUEUED,
                f"scripted-{len(self.calls)}",
                segments=2,
                price=Decimal("0.0075"),
                currency="USD",
                raw='{"ok":1}',
            )
        if step == "temporary":
            raise ProviderError(
                FailureReason.PROVIDER_UNAVAILABLE,
                "503 from the provider",
                temporary=True,
                provider=self.name,
                provider_code="503",
            )
        if step == "opted_out":
            raise ProviderError(
                FailureReason.OPTED_OUT,
                "recipient replied STOP",
                temporary=False,
                provider=self.name,
                provider_code="21610",
                hint="The customer opted out.",
            )
        raise ProviderError(
            FailureReason.INVALID_SENDER,
            "sender name not registered",
            temporary=False,
            provider=self.name,
            provider_code="E42",
            hint="Register the sender name.",
        )


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> type[ScriptedProvider]:
    monkeypatch.setitem(PROVIDERS, "scripted", "tests.pipeline.conftest:ScriptedProvider")
    ScriptedProvider.script = []
    ScriptedProvider.calls = []
    return ScriptedProvider


def configure(store: ConfigStore, tenant: TenantRecord, **changes: Any) -> AppConfig:
    """Save the current configuration with ``changes`` applied, through the real store."""
    current = store.load(tenant, fresh=True)
    return store.save(
        tenant, current.model_copy(update=changes), expected_revision=current.revision
    )
