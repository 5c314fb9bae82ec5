"""MoceanAPI (``POST /rest/2/sms``, form fields prefixed ``mocean-``).

Credentials travel as ``mocean-api-key`` / ``mocean-api-secret`` form fields
(query parameters for the balance GET), so :meth:`HttpProvider.redact` matters
here: request URLs end up in exception texts. The answer holds one entry per
recipient with ``status`` 0 on success; a request refused as a whole (bad
credentials) answers ``{"status": 1, "err_msg": ...}`` at the top level instead.
Delivery reports are **PUT** requests with a form-encoded body to
``mocean-dlr-url`` (``mocean-dlr-status`` 1 delivered, 2 failed, 3 expired);
they are not signed, so the secret URL authenticates.

Shapes checked against (see docs/PROVIDERS.md):

* MoceanAPI/mocean-sdk-python ``moceansdk/modules/transmitter.py`` (URL
  ``/rest/2`` + path, form POST, ``mocean-resp-format``, error detection on
  ``messages[0].status`` and top-level ``status``/``err_msg``),
  ``moceansdk/auth/basic.py`` (credential fields), ``modules/message/sms.py``
  (``mocean-dlr-url`` sets ``mocean-dlr-mask=1``), ``tests/resources/*.json``
  (success, error and balance answers); the PHP SDK's fixtures agree.
* MoceanAPI/plugin-moceanapi-playsms ``web/plugin/gateway/moceanapi/callback.php``
  (Mocean's own plugin reads the report from the PUT body: ``mocean-msgid``,
  ``mocean-error-code``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from saleor_sms_app.providers.callbacks import (
    InboundFields,
    ReportFields,
)
from saleor_sms_app.providers.http import (
    API_KEY_AND_SECRET,
    AUTH,
    FUNDS,
    INVALID_NUMBER,
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
from saleor_sms_app.providers.values import digits, first_entry

_SENDER_HINT = "MoceanAPI refused the sender: use a sender ID registered on your Mocean account."

#: MoceanAPI ``status`` codes. Source: the "SMS status code" table of Mocean's
#: own wiki (http://202.129.164.38:8000/redmine/projects/mocean/wiki, which
#: points at https://moceanapi.com/docs/#send-sms for the full list); the
#: public docs page itself could not be read beyond its introduction here.
ERRORS: dict[str, ErrorRule] = {
    "1": AUTH,  # Authorization failed: nothing was sent to any receiver
    "2": FUNDS,
    "4": ErrorRule(
        FailureReason.INVALID_NUMBER,
        hint="The number is not on the account's whitelist (trial accounts).",
    ),
    # "At least one of the destination numbers is black listed."
    "5": ErrorRule(
        FailureReason.OPTED_OUT, hint="Mocean has this number on its blacklist; it is not texted."
    ),
    "6": ErrorRule(FailureReason.INVALID_NUMBER, hint="No destination number was given."),
    "8": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "19": ErrorRule(FailureReason.OTHER, hint="Mocean could not read the message text."),
    "20": ErrorRule(FailureReason.OTHER),
    "23": ErrorRule(FailureReason.OTHER, hint="The message text is empty."),
    "24": ErrorRule(FailureReason.PROVIDER_UNAVAILABLE, temporary=True),  # "Unknown error"
    "27": ErrorRule(FailureReason.OTHER, hint="Too many recipients in one request."),
    "28": INVALID_NUMBER,
    "29": ErrorRule(FailureReason.OTHER, hint="The message is too long."),
    "32": RATE,
    "34": ErrorRule(FailureReason.OTHER),
    "37": ErrorRule(FailureReason.INVALID_SENDER, hint="The sender name has an invalid length."),
    "40": ErrorRule(FailureReason.PROVIDER_UNAVAILABLE, temporary=True),  # down for maintenance
    "43": ErrorRule(
        FailureReason.RATE_LIMITED,
        temporary=True,
        hint="Mocean saw SMS flooding to this number; the app retries later.",
    ),
    "44": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "45": ErrorRule(FailureReason.PROVIDER_UNAVAILABLE, temporary=True),  # "please try again"
    "48": ErrorRule(FailureReason.INVALID_SENDER, hint="Mocean has blacklisted this sender."),
    "49": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "50": ErrorRule(
        FailureReason.OTHER, hint="Mocean found the content inappropriate; reword the template."
    ),
    "65": INVALID_NUMBER,
    "69": ErrorRule(FailureReason.OTHER, hint="The text holds a character Mocean cannot send."),
    "70": ErrorRule(FailureReason.OTHER),
    "73": ErrorRule(
        FailureReason.OPTED_OUT, hint="Mocean has this number and sender on its blacklist."
    ),
}

#: ``mocean-dlr-status`` of a delivery report (the same 1/2/3 in Mocean's own
#: plugins and in every integration read; see docs/PROVIDERS.md).
DELIVERY: dict[str, DeliveryStatus] = {
    "1": DeliveryStatus.DELIVERED,
    "2": DeliveryStatus.FAILED,
    "3": DeliveryStatus.EXPIRED,
}


#: A delivery report (form-encoded PUT body); error code 0 is "no error".
REPORT = ReportFields(
    message_id=("mocean-msgid",),
    status=("mocean-dlr-status",),
    code=("mocean-error-code",),
    to=("mocean-to",),
    no_error=frozenset({"0"}),
)

#: MoceanAPI's forward of a received SMS to the number's inbound URL, in the
#: ``mocean-`` field style of its delivery reports. Unverified: Mocean's public
#: documentation of inbound messages could not be read here.
INBOUND = InboundFields(
    sender="mocean-from", to="mocean-to", text="mocean-text", message_id="mocean-msgid"
)


class MoceanProvider(HttpProvider):
    name: ClassVar[str] = "mocean"
    label: ClassVar[str] = "MoceanAPI"
    default_base_url: ClassVar[str] = "https://rest.moceanapi.com"
    receives_inbound: ClassVar[bool] = True
    errors = ERRORS
    report_fields = REPORT
    delivery = DELIVERY
    inbound_fields = (INBOUND,)
    fields = (
        *API_KEY_AND_SECRET,
        base_url_field("https://rest.moceanapi.com"),
    )

    @property
    def _credentials(self) -> dict[str, str]:
        return {
            "mocean-api-key": self.option("api_key"),
            "mocean-api-secret": self.secret("api_secret"),
            "mocean-resp-format": "json",
        }

    def refusal(self, answer: Answer, body: Any, path: str) -> ProviderError | None:
        # Per recipient in messages[], or at the top level for a request refused whole
        # (no messages list at all: not first_entry, which skips a non-object entry).
        entries = body.get("messages") if isinstance(body, dict) else None
        first = entries[0] if isinstance(entries, list) and entries else body
        if isinstance(first, dict) and str(first.get("status", "0")) != "0":
            return self.fail(answer, str(first.get("status")), str(first.get("err_msg") or ""))
        if not answer.ok:
            return self.fail(answer)
        return None

    def send(self, sms: OutboundSms) -> SendResult:
        data = {
            **self._credentials,
            "mocean-from": self.sender_for(sms),
            "mocean-to": digits(sms.to),
            "mocean-text": sms.body,
        }
        if sms.status_callback_url:
            data["mocean-dlr-url"] = sms.status_callback_url
            data["mocean-dlr-mask"] = "1"
        answer, body = self.request_json("POST", "/rest/2/sms", data=data)
        first = first_entry(body, "messages")
        if first is None or not first.get("msgid"):
            raise self.wrong_shape(answer, "messages[].msgid")
        return SendResult(
            status=SendStatus.QUEUED, provider_message_id=str(first["msgid"]), raw=answer.text
        )

    def balance(self) -> Balance:
        answer, body = self.request_json("GET", "/rest/2/account/balance", params=self._credentials)
        # Mocean's balance answer names no currency: it is the account's credit.
        return self.balance_in(answer, body, "value", currency="credits")

    def finish_report(self, event: DeliveryEvent) -> DeliveryEvent:
        """Never an opt-out: the OPTED_OUT rows of :data:`ERRORS` are send-time
        blacklist refusals, and Mocean documents no report code for an opt-out."""
        return event
