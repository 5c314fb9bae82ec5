"""MoceanAPI against the shared adapter contract, with answers shaped as Mocean documents them."""

from __future__ import annotations

from decimal import Decimal

from saleor_sms_app.providers.models import DeliveryStatus, FailureReason
from tests.providers.contract import ProviderContract, form_callback, put_form_callback

R = FailureReason
D = DeliveryStatus


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
