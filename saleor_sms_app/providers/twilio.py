"""Twilio Programmable Messaging (``POST /2010-04-01/Accounts/{sid}/Messages.json``).

Form-encoded requests with HTTP Basic (Account SID + Auth Token). Sends from a
Messaging Service when one is configured (Twilio then picks the number), else
from the sender. Status callbacks are form posts signed with
``X-Twilio-Signature``: Base64(HMAC-SHA1(auth token, URL + each POST parameter
name and value in name order)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers.base import CallbackRequest, OptionField
from saleor_sms_app.providers.callbacks import (
    InboundFields,
    ReportFields,
    header,
)
from saleor_sms_app.providers.http import (
    AUTH,
    DOWN,
    FUNDS,
    INVALID_NUMBER,
    NOT_MOBILE,
    OPTED_OUT,
    RATE,
    Answer,
    ErrorRule,
    HttpProvider,
    base_url_field,
)
from saleor_sms_app.providers.models import (
    Balance,
    DeliveryEvent,
    DeliveryStatus,
    FailureReason,
    OutboundSms,
    ProviderError,
    SendResult,
    SendStatus,
)
from saleor_sms_app.providers.values import to_decimal, to_int

_SENDER_HINT = (
    "Use a Twilio number, short code or approved alphanumeric sender as the sender, "
    "or set a Messaging Service SID."
)

#: Twilio error codes (send time and delivery time) → our reasons.
ERRORS: dict[str, ErrorRule] = {
    "20003": AUTH,
    "20404": ErrorRule(
        FailureReason.AUTHENTICATION, hint="The Account SID does not exist; check it."
    ),
    "20429": RATE,
    "20500": DOWN,
    "20503": DOWN,
    "21211": INVALID_NUMBER,
    "21214": INVALID_NUMBER,
    "21217": INVALID_NUMBER,
    "21408": ErrorRule(
        FailureReason.INVALID_NUMBER,
        hint="Sending to this country is switched off: enable it in Twilio's "
        "Messaging Geographic Permissions.",
    ),
    "21606": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "21659": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "21212": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "21608": ErrorRule(
        FailureReason.INVALID_NUMBER,
        hint="A trial Twilio account can text only verified numbers: verify this "
        "number or upgrade the account.",
    ),
    "21610": OPTED_OUT,
    "21611": ErrorRule(
        FailureReason.RATE_LIMITED,
        temporary=True,
        hint="The sender's queue at Twilio is full; the app retries later.",
    ),
    "21612": ErrorRule(
        FailureReason.INVALID_NUMBER, hint="Twilio cannot route from this sender to this number."
    ),
    "21614": NOT_MOBILE,
    "21635": NOT_MOBILE,
    "20008": ErrorRule(FailureReason.AUTHENTICATION, hint="Test credentials cannot send SMS."),
    "30001": ErrorRule(FailureReason.RATE_LIMITED, temporary=True),
    "30002": ErrorRule(FailureReason.AUTHENTICATION, hint="The Twilio account is suspended."),
    "30003": ErrorRule(FailureReason.OTHER, hint="The handset is off or out of coverage."),
    "30004": ErrorRule(FailureReason.OPTED_OUT, hint="The recipient blocked messages."),
    "30005": INVALID_NUMBER,
    "30006": NOT_MOBILE,
    "30007": ErrorRule(
        FailureReason.OTHER,
        hint="The carrier filtered the message as spam; register the sender (10DLC / "
        "toll-free verification) and avoid link shorteners.",
    ),
    "30008": ErrorRule(FailureReason.OTHER),
    "30034": ErrorRule(
        FailureReason.INVALID_SENDER,
        hint="US carriers block unregistered 10DLC numbers: register the A2P campaign.",
    ),
    # Twilio's "insufficient funds" surfaces as 20005 (account not active) on send.
    "20005": FUNDS,
}

#: Status callback ``MessageStatus`` → delivery status.
DELIVERY: dict[str, DeliveryStatus] = {
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}

_SEND_STATUS: dict[str, SendStatus] = {
    "accepted": SendStatus.QUEUED,
    "scheduled": SendStatus.QUEUED,
    "queued": SendStatus.QUEUED,
    "sending": SendStatus.QUEUED,
    "sent": SendStatus.SENT,
    "delivered": SendStatus.SENT,
    "failed": SendStatus.FAILED,
    "undelivered": SendStatus.FAILED,
}


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio computes for a request to ``url``."""
    data = url + "".join(key + params[key] for key in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


#: A status callback (form POST); ``SmsSid``/``SmsStatus`` are the older names.
REPORT = ReportFields(
    message_id=("MessageSid", "SmsSid"),
    status=("MessageStatus", "SmsStatus"),
    code=("ErrorCode",),
    to=("To",),
)

#: Twilio's request to the number's "A message comes in" webhook (form POST).
INBOUND = InboundFields(sender="From", to="To", text="Body", message_id="MessageSid")

#: An empty TwiML document: Twilio sends nothing back on its own.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class TwilioProvider(HttpProvider):
    name: ClassVar[str] = "twilio"
    label: ClassVar[str] = "Twilio"
    default_base_url: ClassVar[str] = "https://api.twilio.com"
    signs_callbacks: ClassVar[bool] = True
    receives_inbound: ClassVar[bool] = True
    inbound_ok: ClassVar[tuple[str, str] | None] = (EMPTY_TWIML, "text/xml")
    errors = ERRORS
    report_fields = REPORT
    delivery = DELIVERY
    inbound_fields = (INBOUND,)
    fields = (
        OptionField("account_sid", "Account SID", help="Starts with AC, from the Twilio Console."),
        OptionField("auth_token", "Auth Token", secret=True),
        OptionField(
            "messaging_service_sid",
            "Messaging Service SID",
            required=False,
            help="Starts with MG; when set, Twilio picks the sending number.",
        ),
        base_url_field("https://api.twilio.com"),
    )

    @classmethod
    def validate_config(cls, config: ProviderConfig) -> dict[str, str]:
        problems = super().validate_config(config)
        sid = str(config.options.get("account_sid") or "")
        if sid and not sid.startswith("AC"):
            problems["account_sid"] = "An Account SID starts with AC"
        if not config.sender and not config.options.get("messaging_service_sid"):
            problems["sender"] = "Set a sender number or a Messaging Service SID"
        return problems

    @property
    def _account(self) -> str:
        return f"/2010-04-01/Accounts/{self.option('account_sid')}"

    @property
    def _auth(self) -> tuple[str, str]:
        return (self.option("account_sid"), self.secret("auth_token"))

    def send(self, sms: OutboundSms) -> SendResult:
        data = {"To": sms.to, "Body": sms.body}
        service = self.option("messaging_service_sid")
        if service:
            data["MessagingServiceSid"] = service
        else:
            data["From"] = self.sender_for(sms)
        if sms.status_callback_url:
            data["StatusCallback"] = sms.status_callback_url
        answer, body = self.request_json(
            "POST", f"{self._account}/Messages.json", data=data, auth=self._auth
        )
        sid = body.get("sid") if isinstance(body, dict) else None
        if not isinstance(sid, str) or not sid:
            raise self.wrong_shape(answer, "a message sid")
        return SendResult(
            status=_SEND_STATUS.get(str(body.get("status")), SendStatus.QUEUED),
            provider_message_id=sid,
            segments=to_int(body.get("num_segments")),
            price=_abs(to_decimal(body.get("price"))),
            currency=(body.get("price_unit") or None),
            raw=answer.text,
        )

    def refusal(self, answer: Answer, body: Any, path: str) -> ProviderError | None:
        if answer.ok:
            return None
        if isinstance(body, dict):
            return self.fail(answer, body.get("code"), str(body.get("message") or ""))
        return self.fail(answer)

    def balance(self) -> Balance:
        answer, body = self.request_json("GET", f"{self._account}/Balance.json", auth=self._auth)
        return self.balance_in(answer, body, "balance")

    def verify_callback(self, request: CallbackRequest) -> bool:
        given = header(request, "X-Twilio-Signature")
        if not given:
            return False
        params = dict(request.form) if request.method.upper() == "POST" else {}
        expected = twilio_signature(self.secret("auth_token"), request.url, params)
        return hmac.compare_digest(expected.encode(), given.encode())

    def finish_report(self, event: DeliveryEvent) -> DeliveryEvent:
        """The status described with the reason of its error code; an opt-out is
        21610 (replied STOP) or 30004 (blocked), the table's OPTED_OUT rows."""
        rule = self.report_rule(event.provider_code)
        if rule is not None:
            event = replace(event, description=f"{event.description}: {rule.reason.value}")
        return super().finish_report(event)


def _abs(value: Decimal | None) -> Decimal | None:
    """Twilio reports what a message cost as a negative amount."""
    return None if value is None else abs(value)
