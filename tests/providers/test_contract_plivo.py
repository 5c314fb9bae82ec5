"""Plivo against the shared adapter contract, with answers shaped as Plivo documents them."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from saleor_sms_app.providers.base import CallbackRequest
from saleor_sms_app.providers.models import DeliveryStatus, FailureReason
from saleor_sms_app.providers.plivo import plivo_signature_v3
from tests.providers.contract import ProviderContract, form_callback

R = FailureReason
D = DeliveryStatus


class TestPlivo(ProviderContract):
    provider_type = "plivo"
    options = {"auth_id": "MAXXXXXXXXXXXXXXXXXX"}
    secrets = {"auth_token": "plivo-auth-token-7777"}
    sender = "+14155550100"
    success = (
        202,
        {
            "api_id": "db342550-e462-11ea-a40a-0242ac110003",
            "message": "message(s) queued",
            "message_uuid": ["db3ce55a-7f1d-11e1-8ea7-1231380bc196"],
        },
    )
    message_id = "db3ce55a-7f1d-11e1-8ea7-1231380bc196"
    callback_in = "json"
    refusals = [
        ((400, {"api_id": "x", "error": "invalid dst parameter"}), R.INVALID_NUMBER, False),
        ((400, {"api_id": "x", "error": "invalid src parameter"}), R.INVALID_SENDER, False),
        ((401, {"api_id": "x", "error": "authentication failed"}), R.AUTHENTICATION, False),
        (
            (400, {"api_id": "x", "error": "insufficient credit in account"}),
            R.INSUFFICIENT_FUNDS,
            False,
        ),
    ]
    balance_answer = (
        200,
        {"account_type": "standard", "auth_id": "MAXXXXXXXXXXXXXXXXXX", "cash_credits": "23.4500"},
    )
    balance = (Decimal("23.4500"), "USD")
    # The attributes of plivo.com/docs/messaging/api/message/message-status-callbacks.
    callback = form_callback(
        {
            "MessageUUID": "db3ce55a-7f1d-11e1-8ea7-1231380bc196",
            "To": "48500100200",
            "From": "14155550100",
            "Type": "sms",
            "Status": "undelivered",
            "Units": "1",
            "TotalRate": "0.00500",
            "TotalAmount": "0.00500",
            "MCC": "260",
            "MNC": "01",
            "ErrorCode": "200",
            "ParentMessageUUID": "db3ce55a-7f1d-11e1-8ea7-1231380bc196",
            "PartInfo": "",
            "Sequence": "2",
            "MessageTime": "2026-11-22 03:10:00.000000",
            "QueuedTime": "2026-11-22 03:10:00.100000",
            "SentTime": "2026-11-22 03:10:01.000000",
            "DeliveryReportTime": "2026-11-22 03:10:05.000000",
            "PowerpackUUID": "",
        }
    )
    callback_events = [("db3ce55a-7f1d-11e1-8ea7-1231380bc196", D.UNDELIVERED, True)]
    # Plivo's message URL request: From, To, Type, Text, MessageUUID (form POST).
    inbound = form_callback(
        {
            "From": "48500100200",
            "To": "14155550100",
            "Type": "sms",
            "Text": "help",
            "MessageUUID": "0f1e2d3c-7f1d-11e1-8ea7-1231380bc196",
            "Units": "1",
        }
    )
    inbound_expected = (
        "48500100200",
        "14155550100",
        "help",
        "0f1e2d3c-7f1d-11e1-8ea7-1231380bc196",
    )
    opt_out_report = (
        form_callback({"MessageUUID": "u-1", "Status": "failed", "ErrorCode": "200"}),
        D.FAILED,
        "200",
    )

    def sign(self, request: CallbackRequest) -> CallbackRequest:
        nonce = "12345678901234567890"
        signature = plivo_signature_v3(
            self.secrets["auth_token"], request.url, dict(request.form), nonce
        )
        return replace(
            request,
            headers={"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce},
        )
