"""Each adapter against its provider's real API URL, replayed from a cassette.

The cassettes (``cassettes/test_cassettes/``) hold answers shaped as each
provider documents them, with every credential filtered; they replay with the
network blocked, so this proves the adapters build the provider's real URLs
and read its real answer shapes without ever leaving the machine.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers import build_provider
from saleor_sms_app.providers.base import ProviderContext
from saleor_sms_app.providers.models import OutboundSms
from tests.providers import (
    test_contract_infobip,
    test_contract_mocean,
    test_contract_plivo,
    test_contract_smsapi,
    test_contract_twilio,
    test_contract_vonage,
)
from tests.providers.contract import ProviderContract

FILTERED = "FILTERED"
CASES: dict[str, tuple[type[ProviderContract], str | None]] = {
    "twilio": (test_contract_twilio.TestTwilio, None),
    "vonage": (test_contract_vonage.TestVonage, None),
    "smsapi": (test_contract_smsapi.TestSmsapi, None),
    "plivo": (test_contract_plivo.TestPlivo, None),
    "mocean": (test_contract_mocean.TestMocean, None),
    "infobip": (test_contract_infobip.TestInfobip, "https://xyz123.api.infobip.com"),
}
SECRET_PARAMS = ["api_key", "api_secret", "mocean-api-key", "mocean-api-secret"]


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": [("authorization", FILTERED)],
        "filter_query_parameters": [(name, FILTERED) for name in SECRET_PARAMS],
        "filter_post_data_parameters": [(name, FILTERED) for name in SECRET_PARAMS],
        "record_mode": "none",
    }


@pytest.mark.vcr
@pytest.mark.block_network
@pytest.mark.parametrize("provider", sorted(CASES))
def test_send_and_balance_replay(provider: str) -> None:
    case, base_url = CASES[provider]
    options = dict(case.options)
    if base_url:
        options["base_url"] = base_url
    config = ProviderConfig(
        id="p1",
        type=case.provider_type,
        sender=case.sender,
        options=options,
        secrets=dict(case.secrets),
    )
    with requests.Session() as session:
        adapter = build_provider(config, ProviderContext(session=session, timeout=5))
        result = adapter.send(OutboundSms(to="+48500100200", body="Order 42", reference="1042"))
        balance = adapter.balance()
    assert result.provider_message_id == case.message_id
    assert case.balance is not None
    assert (balance.amount, balance.currency) == case.balance


def test_cassettes_hold_no_credentials() -> None:
    from pathlib import Path

    folder = Path(__file__).parent / "cassettes" / "test_cassettes"
    texts = [p.read_text() for p in folder.glob("*.yaml")]
    assert len(texts) == len(CASES)
    for case, _ in CASES.values():
        for secret in case.secrets.values():
            assert all(secret not in text for text in texts)
