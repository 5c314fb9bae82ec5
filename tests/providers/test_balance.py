"""Balances and the low-balance alert: once per crossing, staff texted, warning shown."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from saleor_sms_app.config.model import AppConfig, ProviderConfig, ShopSettings
from saleor_sms_app.models import Message
from saleor_sms_app.provider_checks.balance import (
    LOW_BALANCE_EVENT,
    check_balances,
    low_balance_warnings,
)
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.providers.conftest import generic_config, use_config
from tests.standin.provider import StandinProvider


def _setup(services: Services, tenant: TenantRecord, api: StandinProvider) -> None:
    twilio = ProviderConfig(
        id="tw",
        type="twilio",
        name="Twilio main",
        sender="+15005550006",
        options={"account_sid": "AC0123456789abcdef0123456789abcdef", "base_url": api.url},
        secrets={"auth_token": "twilio-auth-token-123456"},
    )
    settings = ShopSettings(
        staff_numbers=["+48500100900", "not a number"], low_balance_threshold=10.0
    )
    # The generic provider has no balance API: it is skipped, not an error.
    use_config(
        services,
        tenant,
        AppConfig(settings=settings, providers=[twilio, generic_config("g", api.url)]),
    )


def _balance(api: StandinProvider, amount: str) -> None:
    api.answer(200, {"account_sid": "AC0", "balance": amount, "currency": "USD"})


def _alerts(services: Services) -> list[tuple[str, str]]:
    with services.sessions() as session:
        rows = session.scalars(
            select(Message).where(Message.event == LOW_BALANCE_EVENT).order_by(Message.id)
        )
        return [(m.phone, m.recipient_type) for m in rows]


def test_alert_once_per_crossing(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider
) -> None:
    _setup(services, tenant, standin_provider)
    _balance(standin_provider, "25.00")
    [check] = check_balances(services, tenant.id)
    assert (check.balance and check.balance.amount, check.alerted) == (Decimal("25.00"), False)
    assert low_balance_warnings(services, tenant.id) == []

    _balance(standin_provider, "4.50")
    [check] = check_balances(services, tenant.id)
    assert check.below_threshold and check.alerted
    assert _alerts(services) == [("+48500100900", "staff")]
    assert len(services.queue) == 1  # the alert SMS is queued for sending
    [warning] = low_balance_warnings(services, tenant.id)
    assert (warning.provider_id, warning.balance, warning.currency) == ("tw", Decimal("4.5"), "USD")

    _balance(standin_provider, "3.00")  # still below: no second alert
    [check] = check_balances(services, tenant.id)
    assert check.below_threshold and not check.alerted
    assert len(_alerts(services)) == 1

    _balance(standin_provider, "50")  # topped up: the warning goes away
    check_balances(services, tenant.id)
    assert low_balance_warnings(services, tenant.id) == []

    _balance(standin_provider, "1")  # a new crossing alerts again
    [check] = check_balances(services, tenant.id)
    assert check.alerted and len(_alerts(services)) == 2


def test_provider_error_is_reported_not_raised(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider
) -> None:
    _setup(services, tenant, standin_provider)
    standin_provider.answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
    [check] = check_balances(services, tenant.id)
    assert check.balance is None and check.error and "authentication" in check.error
    assert "twilio-auth-token-123456" not in check.error
    assert low_balance_warnings(services, tenant.id) == []


def test_sends_schedule_at_most_one_balance_check(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider
) -> None:
    from saleor_sms_app.messages import dispatching
    from tests.providers.conftest import log_message

    settings = ShopSettings(low_balance_threshold=5.0)
    use_config(
        services,
        tenant,
        AppConfig(settings=settings, providers=[generic_config("g", standin_provider.url)]),
    )
    for _ in range(3):
        assert dispatching.send_message(services, log_message(services, tenant.id)) == "sent"
    jobs = [services.queue.fetch_job(i) for i in services.queue.job_ids]
    checks = [j for j in jobs if j and j.func_name == "saleor_sms_app.jobs.check_balances"]
    assert [j.args for j in checks] == [(tenant.id,)]
