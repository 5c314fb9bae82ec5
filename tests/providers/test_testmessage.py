"""The "send test message" button's backend."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.errors import InvalidConfiguration, InvalidPhoneNumber, NotFound
from saleor_sms_app.models import Message, MessageAttempt
from saleor_sms_app.provider_checks.testmessage import send_test_message
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.providers.conftest import generic_config, use_config
from tests.standin.provider import StandinProvider


def _logged(services: Services, message_id: int) -> tuple[str, str, int]:
    with services.sessions() as session:
        message = session.get(Message, message_id)
        assert message is not None
        attempts = session.scalars(
            select(MessageAttempt).where(MessageAttempt.message_id == message_id)
        ).all()
        return message.recipient_type, message.status, len(attempts)


def test_success_returns_the_providers_answer_and_logs_it(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider
) -> None:
    use_config(services, tenant, AppConfig(providers=[generic_config("g", standin_provider.url)]))
    result = send_test_message(services, tenant.id, "g", "+48 500 100 200", "Hello from the shop")
    assert result.ok and result.provider_message_id == "standin-1"
    assert '"status": "queued"' in result.raw
    assert standin_provider.last.json["to"] == "+48500100200"
    assert _logged(services, result.message_id) == ("test", "sent", 1)


def test_refusal_is_an_answer_with_hint_not_an_exception(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider
) -> None:
    standin_provider.mode = "insufficient_funds"
    use_config(services, tenant, AppConfig(providers=[generic_config("g", standin_provider.url)]))
    result = send_test_message(services, tenant.id, "g", "+48500100200", "Hello")
    assert not result.ok and result.error is not None
    assert (result.error["reason"], result.error["code"]) == ("insufficient_funds", "NO_FUNDS")
    assert "Balance too low" in result.raw
    assert _logged(services, result.message_id) == ("test", "failed", 1)


def test_bad_input(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider
) -> None:
    broken = generic_config("broken", standin_provider.url)
    broken.options["spec"] = '{"url": "ftp://x", "message_id_path": ""}'
    use_config(
        services,
        tenant,
        AppConfig(providers=[generic_config("g", standin_provider.url), broken]),
    )
    with pytest.raises(NotFound):
        send_test_message(services, tenant.id, "nope", "+48500100200", "Hi")
    with pytest.raises(InvalidPhoneNumber):
        send_test_message(services, tenant.id, "g", "12", "Hi")
    with pytest.raises(InvalidConfiguration) as info:
        send_test_message(services, tenant.id, "broken", "+48500100200", "Hi")
    assert set(info.value.details) == {"spec.url", "spec.message_id_path"}
    assert standin_provider.requests == []


def test_check_provider(standin_provider: StandinProvider) -> None:
    from saleor_sms_app.config.model import ProviderConfig
    from saleor_sms_app.provider_checks.testmessage import check_provider
    from saleor_sms_app.providers.base import ProviderContext

    twilio = ProviderConfig(
        type="twilio",
        sender="+15005550006",
        options={"account_sid": "AC1", "base_url": standin_provider.url},
        secrets={"auth_token": "wrong-token-0000"},
    )
    context = ProviderContext(timeout=2)
    standin_provider.answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
    answer = check_provider(twilio, context)
    assert answer["ok"] is False and answer["error"]["reason"] == "authentication"
    assert "credentials" in answer["error"]["hint"]
    standin_provider.answer(200, {"balance": "5.00", "currency": "USD"})
    assert check_provider(twilio, context)["balance"] == {"amount": "5.00", "currency": "USD"}
    missing = twilio.model_copy(update={"secrets": {}, "sender": ""})
    answer = check_provider(missing, context)
    assert set(answer["fields"]) == {"auth_token", "sender"}
    generic = generic_config("g", standin_provider.url)
    assert check_provider(generic, context)["note"].endswith("send a test message to check it.")
