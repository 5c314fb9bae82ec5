"""Infobip SMS (``POST {base}/sms/3/messages``, ``Authorization: App <key>``).

Every Infobip account has its own base URL (``xxxxx.api.infobip.com``), so it
is a required field. Our message reference goes out as the destination's
``messageId``, which makes the delivery report match our log row even if the
send answer was lost. Status and error objects carry ``groupName`` and
``name``; the lookup tables are keyed by ``name``. Delivery reports are JSON
posts ``{"results": [...]}`` (up to 100 per request), not signed: the secret
URL authenticates.

Sources (see docs/PROVIDERS.md): request, answer and report models of
infobip/infobip-api-python-client (``models/sms_message.py``,
``sms_destination.py``, ``sms_webhooks.py``, ``sms_response_details.py``,
``sms_delivery_result.py``, ``sms_delivery_report.py``, ``sms_message_status.py``,
``sms_message_error.py``, ``api_exception.py``/``api_request_error_details.py``,
``api_error.py``) and Infobip's status and error code reference
(https://www.infobip.com/docs/essentials/api-essentials/response-status-and-error-codes,
read through the api-evangelist/infobip copy ``errors/infobip-error-codes.yml``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from saleor_sms_app.providers.base import CallbackRequest, OptionField
from saleor_sms_app.providers.callbacks import InboundFields, callback_json, inbound_from
from saleor_sms_app.providers.http import (
    AUTH,
    FUNDS,
    INVALID_NUMBER,
    NOT_MOBILE,
    OPTED_OUT,
    Answer,
    ErrorRule,
    HttpProvider,
)
from saleor_sms_app.providers.models import (
    Balance,
    DeliveryEvent,
    DeliveryStatus,
    FailureReason,
    InboundSms,
    OutboundSms,
    ProviderError,
    SendResult,
    SendStatus,
)
from saleor_sms_app.providers.values import digits, first_entry, obj

_SENDER_HINT = (
    "Infobip refused the sender: register the sender name for this country in the "
    "Infobip portal, or use an Infobip number."
)

#: Status / error ``name`` (or the v2 ``serviceException.messageId``) → our reasons.
#: Every name is from Infobip's status/error code reference (REJECTED status
#: group, and the handset/user/operator error groups), except UNAUTHORIZED, the
#: ``serviceException`` id integrations see on a 401 (an HTTP 401/429 falls back
#: on its status anyway).
ERRORS: dict[str, ErrorRule] = {
    "UNAUTHORIZED": AUTH,
    # REJECTED status group (the send answer or the report).
    "REJECTED_NOT_ENOUGH_CREDITS": FUNDS,
    "REJECTED_PREPAID_PACKAGE_EXPIRED": ErrorRule(
        FailureReason.INSUFFICIENT_FUNDS,
        hint="The Infobip credits are past their validity: top up the account.",
    ),
    "REJECTED_DESTINATION": INVALID_NUMBER,
    "REJECTED_PREFIX_MISSING": INVALID_NUMBER,
    "MISSING_TO": INVALID_NUMBER,
    "REJECTED_DESTINATION_NOT_REGISTERED": ErrorRule(
        FailureReason.INVALID_NUMBER,
        hint="A trial Infobip account can text only the number it was registered with.",
    ),
    "REJECTED_DESTINATION_BLOCKLISTED": ErrorRule(
        FailureReason.OPTED_OUT,
        hint="The number is blocklisted at Infobip (by the operator or in your portal).",
    ),
    "REJECTED_DND": ErrorRule(
        FailureReason.OPTED_OUT, hint="The recipient is on a Do Not Disturb register."
    ),
    "REJECTED_NETWORK": ErrorRule(
        FailureReason.OTHER,
        hint="This network is not covered by or not set up on your Infobip account.",
    ),
    "REJECTED_ROUTE_NOT_AVAILABLE": ErrorRule(
        FailureReason.OTHER, hint="No route is set up on the Infobip account for this message."
    ),
    "REJECTED_SENDER": ErrorRule(
        FailureReason.INVALID_SENDER, hint="The sender is blocklisted on your Infobip account."
    ),
    "REJECTED_SOURCE": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "REJECTED_FLOODING_FILTER": ErrorRule(
        FailureReason.RATE_LIMITED,
        temporary=True,
        hint="Infobip's flooding filter: too many messages to this number within an hour.",
    ),
    "REJECTED_SYSTEM_ERROR": ErrorRule(FailureReason.PROVIDER_UNAVAILABLE, temporary=True),
    "REJECTED_MESSAGE_TOO_LONG": ErrorRule(FailureReason.OTHER, hint="The message is too long."),
    # Our reference is the messageId, so a duplicate means this message went out before.
    "REJECTED_DUPLICATE_MESSAGE_ID": ErrorRule(
        FailureReason.OTHER,
        hint="Infobip already has a message with this reference: it was sent before, "
        "so it is not sent twice.",
    ),
    # Error names of delivery reports.
    "EC_UNKNOWN_SUBSCRIBER": INVALID_NUMBER,
    "EC_ABSENT_SUBSCRIBER": ErrorRule(FailureReason.OTHER, hint="The handset is off."),
    "EC_ABSENT_SUBSCRIBER_SM": ErrorRule(FailureReason.OTHER, hint="The handset is off."),
    "EC_TELESERVICE_NOT_PROVISIONED": ErrorRule(
        FailureReason.NOT_MOBILE, hint="The number cannot receive SMS."
    ),
    "EC_DEST_ADDRESS_UNABLE_TO_RECEIVE_SMS": NOT_MOBILE,
    "EC_DESTINATION_NOT_SMS_PROVISIONED": NOT_MOBILE,
    "EC_INVALID_DESTINATION_ADDRESS": INVALID_NUMBER,
    "EC_DEACTIVATED_LIST": ErrorRule(
        FailureReason.INVALID_NUMBER, hint="The number is deactivated; do not text it again."
    ),
    "EC_INVALID_SOURCE_ADDRESS": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "EC_CONTENT_BLOCKED": OPTED_OUT,  # "Content blocked by user opt-out (MO: STOP)"
    "EC_SC_BLOCKED_BY_END_USER": OPTED_OUT,
    "EC_BLACKLISTED_DESTINATIONADDRESS": ErrorRule(
        FailureReason.OPTED_OUT,
        hint="The number is blocklisted at Infobip (by the operator or in your portal).",
    ),
    "EC_REJECTED_SPAM_BY_OPERATOR": ErrorRule(
        FailureReason.OTHER, hint="The operator classed the message as spam; reword it."
    ),
    "EC_MONTHLY_LIMIT_REACHED": ErrorRule(
        FailureReason.INSUFFICIENT_FUNDS, hint="The Infobip account's monthly limit is reached."
    ),
}

#: Report ``status.groupName`` → delivery status (PENDING and ACCEPTED are interim).
DELIVERY: dict[str, DeliveryStatus] = {
    "DELIVERED": DeliveryStatus.DELIVERED,
    "UNDELIVERABLE": DeliveryStatus.UNDELIVERED,
    "EXPIRED": DeliveryStatus.EXPIRED,
    "REJECTED": DeliveryStatus.FAILED,
}


#: One entry of ``results`` in Infobip's inbound forward (the MO_JSON_2 format).
INBOUND = InboundFields(sender="from", to="to", text="text", message_id="messageId")


class InfobipProvider(HttpProvider):
    name: ClassVar[str] = "infobip"
    label: ClassVar[str] = "Infobip"
    receives_inbound: ClassVar[bool] = True
    errors = ERRORS
    duplicate_reference_codes: ClassVar[frozenset[str]] = frozenset(
        {"REJECTED_DUPLICATE_MESSAGE_ID"}
    )
    reference_is_message_id: ClassVar[bool] = True
    fields = (
        OptionField("api_key", "API key", secret=True),
        OptionField(
            "base_url",
            "API base URL",
            help="Your account's own URL from the Infobip portal, e.g. "
            "https://xxxxx.api.infobip.com",
        ),
    )

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"App {self.secret('api_key')}", "Accept": "application/json"}

    def refusal(self, answer: Answer, body: Any, path: str) -> ProviderError | None:
        if answer.ok:
            return None  # a message REJECTED in a 200 is read by send()
        code, text = None, ""
        if isinstance(body, dict):
            v2 = body.get("requestError", {})
            exception = v2.get("serviceException") if isinstance(v2, dict) else None
            if isinstance(exception, dict):
                code, text = exception.get("messageId"), str(exception.get("text") or "")
            else:
                code, text = body.get("errorCode"), str(body.get("description") or "")
        return self.fail(answer, code, text)

    def send(self, sms: OutboundSms) -> SendResult:
        destination: dict[str, str] = {"to": digits(sms.to)}
        if sms.reference:
            destination["messageId"] = sms.reference
        message: dict[str, Any] = {
            "destinations": [destination],
            "content": {"text": sms.body},
        }
        sender = self.sender_for(sms)
        if sender:
            message["sender"] = sender
        if sms.status_callback_url:
            message["webhooks"] = {
                "delivery": {"url": sms.status_callback_url},
                "contentType": "application/json",
            }
        answer, body = self.request_json(
            "POST", "/sms/3/messages", json={"messages": [message]}, headers=self._auth
        )
        first = first_entry(body, "messages")
        if first is None or not first.get("messageId"):
            raise self.wrong_shape(answer, "messages[].messageId")
        status = obj(first.get("status"))
        if status.get("groupName") == "REJECTED":
            name = status.get("name")
            raise self.fail(
                answer,
                name,
                str(status.get("description") or ""),
                accepted=name == "REJECTED_DUPLICATE_MESSAGE_ID",
            )
        return SendResult(
            status=SendStatus.QUEUED, provider_message_id=str(first["messageId"]), raw=answer.text
        )

    def balance(self) -> Balance:
        answer, body = self.request_json("GET", "/account/1/balance", headers=self._auth)
        return self.balance_in(answer, body, "balance")

    def parse_callback(self, request: CallbackRequest) -> list[DeliveryEvent]:
        body = callback_json(request)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            return []
        events = []
        for report in results:
            if not isinstance(report, dict) or not report.get("messageId"):
                continue
            status = obj(report.get("status"))
            error = obj(report.get("error"))
            error_name = str(error.get("name") or "") or None
            if error_name == "NO_ERROR":
                error_name = None
            events.append(
                DeliveryEvent(
                    provider_message_id=str(report["messageId"]),
                    status=DELIVERY.get(str(status.get("groupName")), DeliveryStatus.UNKNOWN),
                    provider_code=error_name or (str(status.get("name") or "") or None),
                    description=str(error.get("description") or status.get("description") or "")
                    or None,
                    to=str(report.get("to") or "") or None,
                    opted_out=self.reports_opt_out(error_name),
                    raw=report,
                )
            )
        return events

    def parse_inbound(self, request: CallbackRequest) -> list[InboundSms]:
        body = callback_json(request)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            return []
        return [
            sms
            for entry in results
            if isinstance(entry, dict)
            for sms in inbound_from(entry, INBOUND)
        ]
