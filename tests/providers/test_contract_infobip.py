"""Infobip against the shared adapter contract, with answers shaped as Infobip documents them."""

from __future__ import annotations

from decimal import Decimal

from saleor_sms_app.providers.base import ProviderContext
from saleor_sms_app.providers.models import DeliveryStatus, FailureReason
from tests.providers.contract import ProviderContract, json_callback
from tests.standin.provider import StandinProvider

R = FailureReason
D = DeliveryStatus


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
