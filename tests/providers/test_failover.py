"""Failover and opt-outs through the real send path, against loopback stand-in providers."""

from __future__ import annotations

from sqlalchemy import select

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.messages import dispatching
from saleor_sms_app.models import MessageAttempt, Suppression
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.providers.conftest import (
    attempts_of,
    generic_config,
    log_message,
    message_row,
    use_config,
    use_two_providers,
)
from tests.standin.provider import StandinProvider


def test_a_down_b_up_sends_through_b_and_logs_both(
    services: Services,
    tenant: TenantRecord,
    standin_provider: StandinProvider,
    standin_provider_b: StandinProvider,
) -> None:
    use_two_providers(services, tenant, standin_provider.down_url, standin_provider_b.url)
    message_id = log_message(services, tenant.id)
    assert dispatching.send_message(services, message_id) == "sent"
    assert attempts_of(services, message_id) == [
        ("a", "failed", "provider_unavailable"),
        ("b", "queued", None),
    ]
    message = message_row(services, message_id)
    assert (message.provider_id, message.provider_message_id) == ("b", "standin-1")
    assert standin_provider_b.last.json["ref"] == str(message_id)


def test_a_5xx_fails_over(
    services: Services,
    tenant: TenantRecord,
    standin_provider: StandinProvider,
    standin_provider_b: StandinProvider,
) -> None:
    standin_provider.mode = "5xx"
    use_two_providers(services, tenant, standin_provider.url, standin_provider_b.url)
    message_id = log_message(services, tenant.id)
    assert dispatching.send_message(services, message_id) == "sent"
    assert [a[0] for a in attempts_of(services, message_id)] == ["a", "b"]


def test_insufficient_funds_fails_over(
    services: Services,
    tenant: TenantRecord,
    standin_provider: StandinProvider,
    standin_provider_b: StandinProvider,
) -> None:
    standin_provider.mode = "insufficient_funds"
    use_two_providers(services, tenant, standin_provider.url, standin_provider_b.url)
    message_id = log_message(services, tenant.id)
    assert dispatching.send_message(services, message_id) == "sent"
    assert attempts_of(services, message_id) == [
        ("a", "failed", "NO_FUNDS"),
        ("b", "queued", None),
    ]


def test_invalid_number_does_not_fail_over(
    services: Services,
    tenant: TenantRecord,
    standin_provider: StandinProvider,
    standin_provider_b: StandinProvider,
) -> None:
    standin_provider.mode = "invalid_number"
    use_two_providers(services, tenant, standin_provider.url, standin_provider_b.url)
    message_id = log_message(services, tenant.id)
    assert dispatching.send_message(services, message_id) == "failed"
    assert attempts_of(services, message_id) == [("a", "failed", "BAD_NUMBER")]
    assert standin_provider_b.requests == []
    message = message_row(services, message_id)
    assert message.error_code == "invalid_number"


def test_opted_out_error_suppresses_the_number(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider
) -> None:
    standin_provider.answer(400, {"error": {"code": "STOPPED", "message": "Recipient opted out"}})
    config = generic_config("a", standin_provider.url)
    spec = config.options["spec"]
    assert isinstance(spec, str)
    config.options["spec"] = spec.replace('"BAD_NUMBER"', '"STOPPED": "opted_out", "BAD_NUMBER"')
    use_config(services, tenant, AppConfig(providers=[config]))
    message_id = log_message(services, tenant.id)
    assert dispatching.send_message(services, message_id) == "failed"
    with services.sessions() as session:
        rows = session.scalars(select(Suppression)).all()
        assert [(r.phone, r.reason, r.source) for r in rows] == [
            ("+48500100200", "opted_out", "generic")
        ]


def test_each_provider_gets_its_own_callback_url_when_public(
    services: Services,
    tenant: TenantRecord,
    standin_provider: StandinProvider,
    standin_provider_b: StandinProvider,
) -> None:
    services.settings = services.settings.with_overrides(app_url="https://sms.example.com")
    standin_provider.mode = "5xx"
    config_a = generic_config("a", standin_provider.url)
    config_b = generic_config("b", standin_provider_b.url)
    for config in (config_a, config_b):
        spec = config.options["spec"]
        assert isinstance(spec, str)
        config.options["spec"] = spec.replace('"ref":', '"callback": "{callback_url}", "ref":')
    use_config(services, tenant, AppConfig(providers=[config_a, config_b]))
    message_id = log_message(services, tenant.id)
    assert dispatching.send_message(services, message_id) == "sent"
    expected = (
        f"https://sms.example.com/api/delivery-reports/{tenant.id}/b/{tenant.callback_secret}"
    )
    assert standin_provider_b.last.json["callback"] == expected
    assert standin_provider.last.json["callback"].endswith(f"/a/{tenant.callback_secret}")


def test_unusable_provider_settings_fail_over_with_field_names(
    services: Services, tenant: TenantRecord, standin_provider_b: StandinProvider
) -> None:
    from saleor_sms_app.config.model import ProviderConfig

    broken = ProviderConfig(id="a", type="twilio", options={"account_sid": "AC1"})
    unknown = ProviderConfig(id="u", type="carrier-pigeon")
    use_config(
        services,
        tenant,
        AppConfig(providers=[broken, unknown, generic_config("b", standin_provider_b.url)]),
    )
    message_id = log_message(services, tenant.id)
    assert dispatching.send_message(services, message_id) == "sent"
    with services.sessions() as session:
        rows = session.scalars(
            select(MessageAttempt)
            .where(MessageAttempt.message_id == message_id)
            .order_by(MessageAttempt.id)
        ).all()
        assert [(r.provider_id, r.error_code) for r in rows] == [
            ("a", "configuration"),
            ("u", "configuration"),
            ("b", None),
        ]
        assert "auth_token" in (rows[0].error_text or "")
