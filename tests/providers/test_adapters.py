"""Every adapter against the shared contract, with answers shaped as each provider documents."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from decimal import Decimal
from urllib.parse import urlencode

import jwt

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers.base import CallbackRequest, ProviderContext
from saleor_sms_app.providers.models import DeliveryStatus, FailureReason
from saleor_sms_app.providers.plivo import plivo_signature_v3
from saleor_sms_app.providers.twilio import twilio_signature
from saleor_sms_app.providers.vonage import vonage_signature
from tests.providers.contract import CALLBACK_URL, ProviderContract
from tests.standin.provider import StandinProvider, standin_spec

R = FailureReason
D = DeliveryStatus


def form_callback(params: dict[str, str], method: str = "POST") -> CallbackRequest:
    if method == "GET":
        return CallbackRequest("GET", CALLBACK_URL + "?" + urlencode(params), {}, b"", {}, params)
    return CallbackRequest("POST", CALLBACK_URL, {}, urlencode(params).encode(), params, {})


def put_form_callback(params: dict[str, str]) -> CallbackRequest:
    """A form-encoded PUT, as MoceanAPI sends its delivery reports (no parsed form)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return CallbackRequest("PUT", CALLBACK_URL, headers, urlencode(params).encode(), {}, {})


def json_callback(data: object, headers: dict[str, str] | None = None) -> CallbackRequest:
    body = json.dumps(data).encode()
    return CallbackRequest(
        "POST", CALLBACK_URL, {"Content-Type": "application/json", **(headers or {})}, body
    )


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


def mocean_error(status: str, message: str) -> tuple[int, dict[str, object]]:
    return 200, {"messages": [{"status": status, "receiver": "48500100200", "err_msg": message}]}


class TestMocean(ProviderContract):
    """Shapes from MoceanAPI/mocean-sdk-python ``tests/resources`` and Mocean's status codes."""

    provider_type = "mocean"
    options = {"api_key": "mocean-key"}
    secrets = {"api_secret": "mocean-secret-5555"}
    success = (
        200,
        {
            "messages": [
                {
                    "status": 0,
                    "receiver": "48500100200",
                    "msgid": "CPASS_restapi_C0000002737000000.0001",
                }
            ]
        },
    )
    message_id = "CPASS_restapi_C0000002737000000.0001"
    refusals = [
        (mocean_error("28", "Invalid destination number"), R.INVALID_NUMBER, False),
        # A request refused as a whole: the SDK's error_response.json, at the top level.
        ((200, {"status": 1, "err_msg": "Authorization failed"}), R.AUTHENTICATION, False),
        (mocean_error("2", "Insufficient balance"), R.INSUFFICIENT_FUNDS, False),
        (mocean_error("8", "Sender ID not found"), R.INVALID_SENDER, False),
        (mocean_error("32", "Message throttled"), R.RATE_LIMITED, True),
        (mocean_error("40", "System down for maintenance"), R.PROVIDER_UNAVAILABLE, True),
        (mocean_error("45", "System error, please try again"), R.PROVIDER_UNAVAILABLE, True),
        (mocean_error("43", "SMS flooding detected"), R.RATE_LIMITED, True),
        (mocean_error("73", "Destination number and sender are blacklisted"), R.OPTED_OUT, False),
    ]
    balance_answer = (200, {"status": 0, "value": 100.0000})
    balance = (Decimal("100.0000"), "credits")
    # Mocean PUTs its reports with a form body (MoceanAPI/plugin-moceanapi-playsms callback.php).
    callback = put_form_callback(
        {
            "mocean-from": "Shop",
            "mocean-to": "48500100200",
            "mocean-dlr-status": "3",
            "mocean-msgid": "CPASS_restapi_C0000002737000000.0001",
            "mocean-error-code": "0",
        }
    )
    callback_events = [("CPASS_restapi_C0000002737000000.0001", D.EXPIRED, False)]
    # Mocean's inbound forward in its ``mocean-`` field style (unverified; docs/PROVIDERS.md).
    inbound = form_callback(
        {
            "mocean-from": "60123456789",
            "mocean-to": "60198765432",
            "mocean-text": "Quit",
            "mocean-msgid": "CPASS_restapi_C0000002737000000.0009",
        }
    )
    inbound_expected = (
        "60123456789",
        "60198765432",
        "Quit",
        "CPASS_restapi_C0000002737000000.0009",
    )


def infobip_v3_error(status: int, code: str, text: str) -> tuple[int, dict[str, object]]:
    return status, {"errorCode": code, "description": text, "action": "", "violations": []}


def infobip_rejected(name: str) -> tuple[int, dict[str, object]]:
    return 200, {
        "bulkId": "b1",
        "messages": [
            {
                "messageId": "1042",
                "status": {
                    "groupId": 5,
                    "groupName": "REJECTED",
                    "id": 12,
                    "name": name,
                    "description": name,
                },
                "destination": "48500100200",
            }
        ],
    }


class TestInfobip(ProviderContract):
    provider_type = "infobip"
    secrets = {"api_key": "infobip-app-key-0000"}
    callback_in = "json"
    success = (
        200,
        {
            "bulkId": "2034072219640523072",
            "messages": [
                {
                    "messageId": "1042",
                    "status": {
                        "groupId": 1,
                        "groupName": "PENDING",
                        "id": 26,
                        "name": "PENDING_ACCEPTED",
                        "description": "Message sent to next instance",
                    },
                    "destination": "48500100200",
                }
            ],
        },
    )
    message_id = "1042"
    refusals = [
        (infobip_rejected("REJECTED_DESTINATION"), R.INVALID_NUMBER, False),
        (infobip_rejected("REJECTED_NOT_ENOUGH_CREDITS"), R.INSUFFICIENT_FUNDS, False),
        (infobip_rejected("REJECTED_SENDER"), R.INVALID_SENDER, False),
        (
            (
                401,
                {
                    "requestError": {
                        "serviceException": {
                            "messageId": "UNAUTHORIZED",
                            "text": "Invalid login details",
                        }
                    }
                },
            ),
            R.AUTHENTICATION,
            False,
        ),
        (infobip_v3_error(429, "E429", "Too many requests"), R.RATE_LIMITED, True),
    ]
    balance_answer = (200, {"balance": 47.79, "currency": "EUR"})
    balance = (Decimal("47.79"), "EUR")
    callback = json_callback(
        {
            "results": [
                {
                    "bulkId": "2034072219640523072",
                    "messageId": "1042",
                    "to": "48500100200",
                    "sender": "Shop",
                    "sentAt": "2026-11-22T03:10:00.000+0000",
                    "doneAt": "2026-11-22T03:10:05.000+0000",
                    "messageCount": 1,
                    "mccMnc": "26001",
                    "callbackData": "1042",
                    "price": {"pricePerMessage": 0.01, "currency": "EUR"},
                    "status": {
                        "groupId": 3,
                        "groupName": "DELIVERED",
                        "id": 5,
                        "name": "DELIVERED_TO_HANDSET",
                    },
                    "error": {
                        "groupId": 0,
                        "groupName": "OK",
                        "id": 0,
                        "name": "NO_ERROR",
                        "permanent": False,
                    },
                },
                {
                    "messageId": "1043",
                    "status": {
                        "groupId": 2,
                        "groupName": "UNDELIVERABLE",
                        "id": 9,
                        "name": "UNDELIVERABLE_NOT_DELIVERED",
                    },
                    "error": {
                        "groupId": 1,
                        "groupName": "HANDSET_ERRORS",
                        "id": 27,
                        "name": "EC_ABSENT_SUBSCRIBER",
                        "permanent": False,
                    },
                },
            ]
        }
    )
    callback_events = [("1042", D.DELIVERED, False), ("1043", D.UNDELIVERED, False)]
    # Infobip's "Receive inbound SMS messages" webhook (the MO_JSON_2 format).
    inbound = json_callback(
        {
            "results": [
                {
                    "messageId": "817790313235066447",
                    "from": "385916242493",
                    "to": "385921004026",
                    "text": "STOP ALL",
                    "cleanText": "ALL",
                    "keyword": "STOP",
                    "receivedAt": "2026-11-29T10:25:21.000+0000",
                    "smsCount": 1,
                    "price": {"pricePerMessage": 0, "currency": "EUR"},
                    "callbackData": "",
                }
            ],
            "messageCount": 1,
            "pendingMessageCount": 0,
        }
    )
    inbound_expected = ("385916242493", "385921004026", "STOP ALL", "817790313235066447")
    # An error of the USER_ERRORS group: "Content blocked by user opt-out (MO: STOP)".
    opt_out_report = (
        json_callback(
            {
                "results": [
                    {
                        "messageId": "1044",
                        "to": "48500100200",
                        "status": {
                            "groupName": "UNDELIVERABLE",
                            "name": "UNDELIVERABLE_REJECTED_OPERATOR",
                        },
                        "error": {"groupName": "USER_ERRORS", "name": "EC_CONTENT_BLOCKED"},
                    }
                ]
            }
        ),
        D.UNDELIVERED,
        "EC_CONTENT_BLOCKED",
    )

    def test_our_reference_is_the_message_id(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        standin_provider.answer(*self.success)
        self.adapter(standin_provider, provider_context).send(self.sms())
        sent = standin_provider.last
        message = sent.json["messages"][0]
        assert message["destinations"] == [{"to": "48500100200", "messageId": "1042"}]
        assert sent.headers["Authorization"] == "App infobip-app-key-0000"
        assert sent.path == "/sms/3/messages"


class TestGeneric(ProviderContract):
    """The generic provider configured for the stand-in's own API."""

    provider_type = "generic"
    secrets = {"secret": "generic-token-4242"}
    callback_in = "json"
    success = (200, {"id": "g-1", "status": "queued"})
    message_id = "g-1"
    refusals = [
        (
            (400, {"error": {"code": "BAD_NUMBER", "message": "Invalid number"}}),
            R.INVALID_NUMBER,
            False,
        ),
        (
            (402, {"error": {"code": "NO_FUNDS", "message": "Balance too low"}}),
            R.INSUFFICIENT_FUNDS,
            False,
        ),
        ((401, {"error": {"code": "DENIED", "message": "Bad token"}}), R.AUTHENTICATION, False),
        ((200, {"error": {"code": "WHATEVER", "message": "Something"}}), R.OTHER, False),
    ]
    callback = json_callback({"id": "g-1", "status": "delivered"})
    callback_events = [("g-1", D.DELIVERED, False)]

    def config(self, base_url: str) -> ProviderConfig:
        spec = json.loads(standin_spec(base_url))
        spec["body"]["callback"] = "{callback_url}"
        config = super().config(base_url)
        config.options["spec"] = json.dumps(spec)
        return config
