"""Vonage (SMS API) against the shared adapter contract: answers, receipts, signed callbacks."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from decimal import Decimal

import jwt

from saleor_sms_app.providers.base import CallbackRequest, ProviderContext
from saleor_sms_app.providers.models import DeliveryStatus, FailureReason
from saleor_sms_app.providers.vonage import vonage_signature
from tests.providers.contract import ProviderContract, form_callback, json_callback
from tests.standin.provider import StandinProvider

R = FailureReason
D = DeliveryStatus


def vonage_part(status: str, text: str = "") -> tuple[int, dict[str, object]]:
    return 200, {"message-count": "1", "messages": [{"status": status, "error-text": text}]}


class TestVonage(ProviderContract):
    provider_type = "vonage"
    options = {"api_key": "abcd1234"}
    secrets = {
        "api_secret": "vonage-api-secret-1",
        "signature_secret": "vonage-signature-secret-0123456789abcdef",
    }
    success = (
        200,
        {
            "message-count": "1",
            "messages": [
                {
                    "to": "48500100200",
                    "message-id": "0A0000000123ABCD1",
                    "status": "0",
                    "remaining-balance": "3.14159265",
                    "message-price": "0.03330000",
                    "network": "26001",
                    "client-ref": "1042",
                }
            ],
        },
    )
    message_id = "0A0000000123ABCD1"
    refusals = [
        (vonage_part("6", "Unroutable message - rejected"), R.INVALID_NUMBER, False),
        (vonage_part("4", "Bad Credentials"), R.AUTHENTICATION, False),
        (vonage_part("9", "Quota Exceeded - rejected"), R.INSUFFICIENT_FUNDS, False),
        (vonage_part("15", "Illegal Sender Address - rejected"), R.INVALID_SENDER, False),
        (vonage_part("1", "Throttled"), R.RATE_LIMITED, True),
        (vonage_part("5", "Internal Error"), R.PROVIDER_UNAVAILABLE, True),
    ]
    balance_answer = (200, {"value": 10.28, "autoReload": False})
    balance = (Decimal("10.28"), "EUR")
    callback = form_callback(
        {
            "msisdn": "48500100200",
            "to": "Shop",
            "network-code": "26001",
            "messageId": "0A0000000123ABCD1",
            "price": "0.03330000",
            "status": "delivered",
            "scts": "2011251310",
            "err-code": "0",
            "message-timestamp": "2026-11-22 03:10:29",
            "timestamp": "1795000000",
        },
        method="GET",
    )
    callback_events = [("0A0000000123ABCD1", D.DELIVERED, False)]
    callback_in = "form"
    # Vonage's "Inbound SMS" guide: type, to, msisdn, messageId, message-timestamp, text, keyword.
    inbound = form_callback(
        {
            "msisdn": "48500100200",
            "to": "447700900000",
            "messageId": "0B00000123456789",
            "text": "Stop",
            "type": "text",
            "keyword": "STOP",
            "message-timestamp": "2026-11-29 10:13:54",
            "timestamp": "1795000000",
            "nonce": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        },
        method="GET",
    )
    inbound_expected = ("48500100200", "447700900000", "Stop", "0B00000123456789")
    # Opt-out Assist: err-code 9 on a failed receipt.
    opt_out_report = (
        form_callback({"messageId": "X1", "status": "failed", "err-code": "9"}, "GET"),
        D.FAILED,
        "9",
    )

    def sign(self, request: CallbackRequest) -> CallbackRequest:
        query = dict(request.query)
        query["sig"] = vonage_signature(query, self.secrets["signature_secret"])
        return replace(request, query=query)

    def test_unicode_type_and_client_ref(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        standin_provider.answer(*self.success)
        self.adapter(standin_provider, provider_context).send(self.sms(body="Zamówienie wysłane"))
        form = standin_provider.last.form
        assert form["type"] == "unicode" and form["client-ref"] == "1042"
        assert form["to"] == "48500100200"

    def test_barred_number_is_not_an_opt_out(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        """Receipt err-code 4 is OPTED_OUT in the table (barred for every sender) but
        not Opt-out Assist; nor is err-code 9 on a receipt that is not a failure."""
        adapter = self.adapter(standin_provider, provider_context)
        for status, code in (("failed", "4"), ("delivered", "9")):
            report = form_callback({"messageId": "X1", "status": status, "err-code": code}, "GET")
            events = adapter.parse_callback(report)
            assert [(e.provider_code, e.opted_out) for e in events] == [(code, False)]

    def test_jwt_signed_callback(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        import hashlib

        body = {"messageId": "X1", "status": "delivered"}
        raw = json.dumps(body).encode()
        token = jwt.encode(
            {"iat": int(time.time()), "payload_hash": hashlib.sha256(raw).hexdigest()},
            self.secrets["signature_secret"],
            algorithm="HS256",
        )
        good = json_callback(body, {"Authorization": f"Bearer {token}"})
        adapter = self.adapter(standin_provider, provider_context)
        assert adapter.verify_callback(good)
        forged = replace(good, body=raw.replace(b"delivered", b"expired"))
        assert not adapter.verify_callback(forged)
        wrong_key = jwt.encode(
            {"payload_hash": "x"}, "another-signature-secret-0123456789abcdef", algorithm="HS256"
        )
        assert not adapter.verify_callback(
            json_callback(body, {"Authorization": f"Bearer {wrong_key}"})
        )
