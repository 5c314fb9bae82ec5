"""SMSAPI against the shared adapter contract, with answers shaped as SMSAPI documents them."""

from __future__ import annotations

from decimal import Decimal

from saleor_sms_app.providers.base import ProviderContext
from saleor_sms_app.providers.models import DeliveryStatus, FailureReason
from tests.providers.contract import ProviderContract, form_callback
from tests.standin.provider import StandinProvider

R = FailureReason
D = DeliveryStatus


def smsapi_error(code: int, message: str) -> tuple[int, dict[str, object]]:
    return 200, {"error": code, "message": message}


class TestSmsapi(ProviderContract):
    provider_type = "smsapi"
    secrets = {"token": "smsapi-oauth-token-abcdef"}
    success = (
        200,
        {
            "count": 1,
            "list": [
                {
                    "id": "5F6C1D2E3A4B5C6D7E8F9A0B",
                    "points": 0.16,
                    "number": "48500100200",
                    "submitted_number": "48500100200",
                    "status": "QUEUE",
                    "error": None,
                    "idx": "1042",
                    "parts": 1,
                    "length": 16,
                }
            ],
            "message": "Order 42 shipped",
            "length": 16,
            "parts": 1,
        },
    )
    message_id = "5F6C1D2E3A4B5C6D7E8F9A0B"
    refusals = [
        (
            (
                200,
                {
                    "error": 13,
                    "message": "No correct phone numbers",
                    "invalid_numbers": [
                        {
                            "number": "48500",
                            "submitted_number": "48500",
                            "message": "Invalid phone number",
                        }
                    ],
                },
            ),
            R.INVALID_NUMBER,
            False,
        ),
        (smsapi_error(14, "Invalid from field"), R.INVALID_SENDER, False),
        (smsapi_error(101, "Authorization failed"), R.AUTHENTICATION, False),
        (smsapi_error(103, "Not enough points"), R.INSUFFICIENT_FUNDS, False),
        (smsapi_error(203, "Too many requests"), R.RATE_LIMITED, True),
    ]
    balance_answer = (200, {"points": 87.2, "proCount": 545, "ecoCount": 0, "mmsCount": 0})
    balance = (Decimal("87.2"), "points")
    callback = form_callback(
        {
            "MsgId": "5F6C1D2E3A4B5C6D7E8F9A0B,5F6C1D2E3A4B5C6D7E8F9A0C",
            "status": "404,405",
            "status_name": "DELIVERED,UNDELIVERED",
            "idx": "1042,1043",
            "donedate": "1795000000,1795000001",
            "to": "48500100200,48500100201",
        },
        method="GET",
    )
    callback_events = [
        ("5F6C1D2E3A4B5C6D7E8F9A0B", D.DELIVERED, False),
        ("5F6C1D2E3A4B5C6D7E8F9A0C", D.UNDELIVERED, False),
    ]
    # SMSAPI's forward of a received SMS (field names unverified; docs/PROVIDERS.md).
    inbound = form_callback(
        {
            "sms_to": "48799000111",
            "sms_from": "48500100200",
            "sms_text": "nie",
            "sms_date": "1795000000",
            "username": "shop",
            "MsgId": "6A7B8C9D0E1F2A3B4C5D6E7F",
        }
    )
    inbound_expected = ("48500100200", "48799000111", "nie", "6A7B8C9D0E1F2A3B4C5D6E7F")

    def test_idx_and_check_idx_make_the_provider_refuse_duplicates(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        standin_provider.answer(*self.success)
        result = self.adapter(standin_provider, provider_context).send(self.sms())
        assert (result.segments, result.price, result.currency) == (1, Decimal("0.16"), "points")
        form = standin_provider.last.form
        assert (form["idx"], form["check_idx"], form["to"]) == ("1042", "1", "48500100200")
        assert form["details"] == "1"
        assert standin_provider.last.headers["Authorization"] == "Bearer smsapi-oauth-token-abcdef"
        standin_provider.answer(*smsapi_error(53, "Not unique idx"))
        error = self.refused(standin_provider, provider_context)
        # Sent before under this idx: neither retried nor sent elsewhere.
        assert error.accepted and not error.temporary and not error.should_fail_over

    def test_merchant_hints_from_the_seed(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        standin_provider.answer(*smsapi_error(14, "Invalid from field"))
        assert "Sender names" in (self.refused(standin_provider, provider_context).hint or "")
        standin_provider.answer(*smsapi_error(11, "Short links disabled on account"))
        hint = self.refused(standin_provider, provider_context).hint or ""
        assert "links" in hint and "template" in hint
