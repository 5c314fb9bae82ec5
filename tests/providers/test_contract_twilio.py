"""Twilio against the shared adapter contract, with answers shaped as Twilio documents them."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from saleor_sms_app.providers.base import CallbackRequest, ProviderContext
from saleor_sms_app.providers.models import DeliveryStatus, FailureReason
from saleor_sms_app.providers.twilio import twilio_signature
from tests.providers.contract import ProviderContract, form_callback
from tests.standin.provider import StandinProvider

R = FailureReason
D = DeliveryStatus


def twilio_error(code: int, message: str, status: int = 400) -> tuple[int, dict[str, object]]:
    return status, {"code": code, "message": message, "more_info": "", "status": status}


class TestTwilio(ProviderContract):
    provider_type = "twilio"
    options = {"account_sid": "AC0123456789abcdef0123456789abcdef"}
    secrets = {"auth_token": "twilio-auth-token-123456"}
    success = (
        201,
        {
            "sid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
            "status": "queued",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
        },
    )
    message_id = "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    refusals = [
        (
            twilio_error(21211, "The 'To' number +4850 is not a valid phone number."),
            R.INVALID_NUMBER,
            False,
        ),
        (twilio_error(21610, "Attempt to send to unsubscribed recipient"), R.OPTED_OUT, False),
        (twilio_error(21614, "'To' number is not a valid mobile number"), R.NOT_MOBILE, False),
        (
            twilio_error(21606, "The 'From' phone number is not SMS-capable"),
            R.INVALID_SENDER,
            False,
        ),
        (twilio_error(20003, "Authenticate", 401), R.AUTHENTICATION, False),
        (twilio_error(20005, "Account not active"), R.INSUFFICIENT_FUNDS, False),
        (twilio_error(20429, "Too Many Requests", 429), R.RATE_LIMITED, True),
        (
            twilio_error(
                21611, "This 'From' number has exceeded the maximum number of queued messages"
            ),
            R.RATE_LIMITED,
            True,
        ),
    ]
    balance_answer = (
        200,
        {
            "account_sid": "AC0123456789abcdef0123456789abcdef",
            "balance": "12.34",
            "currency": "USD",
        },
    )
    balance = (Decimal("12.34"), "USD")
    callback = form_callback(
        {
            "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
            "MessageStatus": "delivered",
            "AccountSid": "AC0123456789abcdef0123456789abcdef",
            "To": "+48500100200",
            "From": "+15005550006",
            "ApiVersion": "2010-04-01",
        }
    )
    callback_events = [("SM1f0e8ae6ade43cb3c0ce4525424e404f", D.DELIVERED, False)]
    # Twilio's "Twilio's request to your incoming message Webhook URL" (a form POST).
    inbound = form_callback(
        {
            "MessageSid": "SM2a0e8ae6ade43cb3c0ce4525424e4050",
            "SmsSid": "SM2a0e8ae6ade43cb3c0ce4525424e4050",
            "AccountSid": "AC0123456789abcdef0123456789abcdef",
            "MessagingServiceSid": "MG0123456789abcdef0123456789abcdef",
            "From": "+48500100200",
            "To": "+15005550006",
            "Body": "STOP",
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
    )
    inbound_expected = (
        "+48500100200",
        "+15005550006",
        "STOP",
        "SM2a0e8ae6ade43cb3c0ce4525424e4050",
    )
    opt_out_report = (
        form_callback({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "21610"}),
        D.UNDELIVERED,
        "21610",
    )

    def sign(self, request: CallbackRequest) -> CallbackRequest:
        signature = twilio_signature(self.secrets["auth_token"], request.url, dict(request.form))
        return replace(request, headers={"X-Twilio-Signature": signature})

    def test_messaging_service_replaces_from(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        from saleor_sms_app.providers import build_provider

        config = self.config(standin_provider.url)
        config.options["messaging_service_sid"] = "MG123"
        standin_provider.answer(*self.success)
        build_provider(config, provider_context).send(self.sms())
        assert standin_provider.last.form["MessagingServiceSid"] == "MG123"
        assert "From" not in standin_provider.last.form
        assert standin_provider.last.path.endswith(
            "/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
        )
