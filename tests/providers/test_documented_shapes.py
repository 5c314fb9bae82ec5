"""Provider shapes checked against the providers' own documentation and SDKs.

Each test names its source (see docs/PROVIDERS.md). The signature vectors are
the ones the providers' official SDKs test themselves with (Vonage) or were
computed with the official SDK's own function (Plivo), so our implementations
are pinned to theirs and not only to themselves.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers import build_provider
from saleor_sms_app.providers.base import CallbackRequest, ProviderContext, SmsProvider
from saleor_sms_app.providers.models import (
    DeliveryStatus,
    FailureReason,
    OutboundSms,
    ProviderError,
)
from saleor_sms_app.providers.plivo import plivo_signature_v3
from saleor_sms_app.providers.twilio import twilio_signature
from saleor_sms_app.providers.vonage import vonage_signature
from tests.providers import (
    test_contract_infobip,
    test_contract_mocean,
    test_contract_plivo,
    test_contract_smsapi,
    test_contract_vonage,
)
from tests.providers.contract import form_callback, json_callback, put_form_callback
from tests.providers.test_contract_infobip import infobip_rejected
from tests.standin.provider import StandinProvider

D = DeliveryStatus
SMS = OutboundSms(to="+48500100200", body="Order 42 shipped", reference="1042")


def _adapter(case: Any, api: StandinProvider, context: ProviderContext) -> SmsProvider:
    config: ProviderConfig = case().config(api.url)
    return build_provider(config, context)


def _refused(adapter: SmsProvider) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        adapter.send(SMS)
    return info.value


# -- Twilio -----------------------------------------------------------------------


def test_twilio_signature_matches_the_sdk_vector() -> None:
    """twilio-python tests/unit/test_request_validator.py::test_compute_signature."""
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
        "Caller": "+14158675309",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


# -- Vonage -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "secret", "method", "expected"),
    [
        # vonage-python-sdk 2.x tests/test_nexmo.py::test_signature ("md5hash").
        (
            {"a": "1", "b": "2", "timestamp": "1461605396"},
            "secret",
            "md5hash",
            "6af838ef94998832dbfc29020b564830",
        ),
        # vonage-python-sdk http_client/tests/test_auth.py (HMAC md5 and sha256).
        (
            {"param1": "value1", "param2": "value2", "timestamp": "1234567890"},
            "signature_secret",
            "md5",
            "724c2bf6ca423c36e20631b11d1c5753",
        ),
        (
            {"param1": "value1", "param2": "value2", "timestamp": "1234567890"},
            "signature_secret",
            "sha256",
            "280c4320703dbc98bfa22db676655ed2acfbfe8792b062ff7622e67f1183c287",
        ),
        (
            {"param1": "value&1", "param2": "value=2", "timestamp": "1234567890"},
            "signature_secret",
            "md5",
            "2bbf0abafb2c55e5af6231513896a2ac",
        ),
    ],
    ids=["md5hash", "hmac-md5", "hmac-sha256", "ampersand-and-equals"],
)
def test_vonage_signature_matches_the_sdk_vectors(
    params: dict[str, str], secret: str, method: str, expected: str
) -> None:
    assert vonage_signature(params, secret, method) == expected


def test_vonage_signed_receipt_from_the_sdk_vector_is_accepted(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    config = test_contract_vonage.TestVonage().config(standin_provider.url)
    config.secrets["signature_secret"] = "signature_secret"
    config.options["signature_method"] = "md5"
    adapter = build_provider(config, provider_context)
    # http_client/tests/test_auth.py::test_check_signature_valid_signature
    query = {"param": "value", "timestamp": "1234567890", "sig": "655a4d0b7f064dff438defc52b012cf5"}
    request = form_callback(query, method="GET")
    assert adapter.verify_callback(request)
    assert not adapter.verify_callback(replace(request, query={**query, "param": "other"}))


def test_vonage_receipt_statuses_of_the_delivery_receipts_guide(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    adapter = _adapter(test_contract_vonage.TestVonage, standin_provider, provider_context)
    expected = {
        "delivered": D.DELIVERED,
        "expired": D.EXPIRED,
        "failed": D.FAILED,
        "rejected": D.FAILED,
        "undelivered": D.UNDELIVERED,
        "accepted": D.UNKNOWN,
        "buffered": D.UNKNOWN,
        "unknown": D.UNKNOWN,
    }
    for status, mapped in expected.items():
        report = form_callback({"messageId": "X1", "status": status, "err-code": "1"}, "GET")
        assert adapter.parse_callback(report)[0].status == mapped, status


def test_vonage_receipt_err_codes_get_receipt_hints_not_send_hints(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    """Receipt err-code 9 is an opt-out; send status 9 is "no credit": never mix them."""
    adapter = _adapter(test_contract_vonage.TestVonage, standin_provider, provider_context)
    report = form_callback({"messageId": "X1", "status": "failed", "err-code": "9"}, "GET")
    event = adapter.parse_callback(report)[0]
    assert event.opted_out and event.provider_code == "9"
    hint = adapter.hint_for("9") or ""
    assert "do-not-text" in hint and "Top up" not in hint
    assert "no longer active" in (adapter.hint_for("3") or "")
    assert "anti-spam" in (adapter.hint_for("6") or "")
    assert adapter.hint_for("0") is None


# -- Plivo --------------------------------------------------------------------------

PLIVO_URL = "https://sms.example.com/api/delivery-reports/1/p1/s3cr3t-callback?tenant=7&a=b"
PLIVO_FORM = {
    "MessageUUID": "db3ce55a-7f1d-11e1-8ea7-1231380bc196",
    "Status": "delivered",
    "To": "48500100200",
    "From": "14155550100",
    "Units": "1",
}


@pytest.mark.parametrize(
    ("url", "form", "expected"),
    [
        (PLIVO_URL, PLIVO_FORM, "WWpl+nx8RcCZF9URkBjxAKuWM6b3+oE0CdG+hbBFrgU="),
        (PLIVO_URL.split("?")[0], PLIVO_FORM, "YP26oL35MRBurthf7jIxdUhVhaw8hjgH52lITkJokTY="),
        (PLIVO_URL, {}, "ftRoeSM4m/U6niDHUH49XIOu1M5a/6r8SoHqay7+PGc="),
    ],
    ids=["post-with-query", "post", "get"],
)
def test_plivo_v3_signature_matches_the_sdk(url: str, form: dict[str, str], expected: str) -> None:
    """Expected values computed with plivo-python's own ``utils/signature_v3.py``
    (``construct_post_url``/``construct_get_url`` + ``get_signature_v3``, commit
    a0cd3237) for auth token "plivo-auth-token-7777" and this nonce."""
    nonce = "05429567804466091622"
    assert plivo_signature_v3("plivo-auth-token-7777", url, form, nonce) == expected


def test_plivo_403_on_send_is_geo_permissions_and_fails_over(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    """plivo-python raises GeoPermissionError for a 403 on ``/Message/``: the country
    is switched off on this account, which another provider may well serve."""
    adapter = _adapter(test_contract_plivo.TestPlivo, standin_provider, provider_context)
    standin_provider.answer(403, {"api_id": "x", "error": "destination country is disabled"})
    error = _refused(adapter)
    assert error.reason == FailureReason.OTHER and not error.temporary
    assert error.should_fail_over
    assert "Geo Permissions" in (error.hint or "")
    # A 403 elsewhere (the account GET) stays an authentication problem.
    standin_provider.answer(403, {"api_id": "x", "error": "forbidden"})
    with pytest.raises(ProviderError) as info:
        adapter.balance()
    assert info.value.reason == FailureReason.AUTHENTICATION


def test_plivo_delivery_error_codes_of_the_error_code_page(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    adapter = _adapter(test_contract_plivo.TestPlivo, standin_provider, provider_context)
    assert "opted out" not in (adapter.hint_for("10") or "")
    assert "STOP" in (adapter.hint_for("200") or "")
    assert "toll-free" in (adapter.hint_for("201") or "")
    assert "landline" in (adapter.hint_for("50") or "")
    report = form_callback({"MessageUUID": "u1", "Status": "failed", "ErrorCode": "200"})
    assert adapter.parse_callback(report)[0].opted_out
    queued = form_callback({"MessageUUID": "u1", "Status": "queued"})
    assert adapter.parse_callback(queued)[0].status == D.UNKNOWN


# -- Infobip ------------------------------------------------------------------------


def test_infobip_duplicate_message_id_means_it_was_sent_before(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    """Our reference is the messageId, so REJECTED_DUPLICATE_MESSAGE_ID (status
    reference, REJECTED group) says a retried job already sent this message."""
    adapter = _adapter(test_contract_infobip.TestInfobip, standin_provider, provider_context)
    standin_provider.answer(*infobip_rejected("REJECTED_DUPLICATE_MESSAGE_ID"))
    error = _refused(adapter)
    assert error.accepted and not error.temporary and not error.should_fail_over
    assert "not sent twice" in (error.hint or "")


@pytest.mark.parametrize(
    ("name", "reason", "fails_over"),
    [
        # Coverage of the account, not the number: another provider may reach it.
        ("REJECTED_NETWORK", FailureReason.OTHER, True),
        ("REJECTED_ROUTE_NOT_AVAILABLE", FailureReason.OTHER, True),
        ("REJECTED_PREPAID_PACKAGE_EXPIRED", FailureReason.INSUFFICIENT_FUNDS, True),
        ("REJECTED_DESTINATION_BLOCKLISTED", FailureReason.OPTED_OUT, False),
        ("MISSING_TO", FailureReason.INVALID_NUMBER, False),
        ("REJECTED_SYSTEM_ERROR", FailureReason.PROVIDER_UNAVAILABLE, True),
    ],
)
def test_infobip_rejected_group_of_the_status_reference(
    name: str,
    reason: FailureReason,
    fails_over: bool,
    standin_provider: StandinProvider,
    provider_context: ProviderContext,
) -> None:
    adapter = _adapter(test_contract_infobip.TestInfobip, standin_provider, provider_context)
    standin_provider.answer(*infobip_rejected(name))
    error = _refused(adapter)
    assert (error.reason, error.should_fail_over) == (reason, fails_over)
    assert error.provider_code == name


def test_infobip_v3_report_with_a_documented_opt_out_error(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    """The v3 report (``sender``, ``messageCount``, ``mccMnc``) of
    infobip-api-python-client's SmsDeliveryReport; EC_CONTENT_BLOCKED is the
    documented "blocked by user opt-out (MO: STOP)" error."""
    adapter = _adapter(test_contract_infobip.TestInfobip, standin_provider, provider_context)
    report = json_callback(
        {
            "results": [
                {
                    "bulkId": "b1",
                    "messageId": "1042",
                    "to": "48500100200",
                    "sender": "Shop",
                    "sentAt": "2026-11-22T03:10:00.000+0000",
                    "doneAt": "2026-11-22T03:10:05.000+0000",
                    "messageCount": 1,
                    "mccMnc": "26001",
                    "price": {"pricePerMessage": 0.01, "currency": "EUR"},
                    "status": {
                        "groupId": 2,
                        "groupName": "UNDELIVERABLE",
                        "id": 9,
                        "name": "UNDELIVERABLE_NOT_DELIVERED",
                    },
                    "error": {
                        "groupId": 2,
                        "groupName": "USER_ERRORS",
                        "id": 603,
                        "name": "EC_CONTENT_BLOCKED",
                        "permanent": True,
                    },
                },
                {
                    "messageId": "1043",
                    "status": {"groupId": 1, "groupName": "ACCEPTED", "id": 26, "name": "X"},
                },
            ]
        }
    )
    first, second = adapter.parse_callback(report)
    assert (first.status, first.opted_out, first.provider_code) == (
        D.UNDELIVERED,
        True,
        "EC_CONTENT_BLOCKED",
    )
    assert second.status == D.UNKNOWN and not second.opted_out


# -- SMSAPI -------------------------------------------------------------------------


def test_smsapi_host_errors_are_temporary_as_smsapi_groups_them(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    """8, 201, 666 and 999 are "host" errors in SMSAPI's C# client."""
    adapter = _adapter(test_contract_smsapi.TestSmsapi, standin_provider, provider_context)
    for code in (8, 201, 666, 999):
        standin_provider.answer(200, {"error": code, "message": "Błąd w odwołaniu"})
        error = _refused(adapter)
        assert (error.reason, error.temporary) == (FailureReason.PROVIDER_UNAVAILABLE, True)
    standin_provider.answer(200, {"error": 110, "message": "Service not available"})
    assert _refused(adapter).reason == FailureReason.AUTHENTICATION


def test_smsapi_report_status_name_is_used_when_the_number_is_unknown(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    """The names are SMSAPI's message statuses (smsapi-javascript-client)."""
    adapter = _adapter(test_contract_smsapi.TestSmsapi, standin_provider, provider_context)
    report = form_callback(
        {"MsgId": "A,B,C", "status": "499,499,499", "status_name": "DELIVERED,EXPIRED,QUEUE"},
        "GET",
    )
    assert [e.status for e in adapter.parse_callback(report)] == [D.DELIVERED, D.EXPIRED, D.UNKNOWN]


# -- MoceanAPI ----------------------------------------------------------------------


def test_mocean_put_report_is_read_from_its_form_body(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    adapter = _adapter(test_contract_mocean.TestMocean, standin_provider, provider_context)
    for status, mapped in (("1", D.DELIVERED), ("2", D.FAILED), ("3", D.EXPIRED)):
        report = put_form_callback(
            {"mocean-msgid": "M1", "mocean-dlr-status": status, "mocean-error-code": "0"}
        )
        [event] = adapter.parse_callback(report)
        assert (event.provider_message_id, event.status, event.provider_code) == (
            "M1",
            mapped,
            None,
        )
    failed = put_form_callback(
        {"mocean-msgid": "M1", "mocean-dlr-status": "2", "mocean-error-code": "1"}
    )
    assert adapter.parse_callback(failed)[0].provider_code == "1"
    empty = CallbackRequest("PUT", "https://x/", {}, b"", {}, {})
    assert adapter.parse_callback(empty) == []
