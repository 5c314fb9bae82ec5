"""Vonage (Nexmo) SMS API (``POST https://rest.nexmo.com/sms/json``).

Errors come back as HTTP 200 with a non-zero ``status`` per message part.
Delivery receipts arrive as GET query or POST (JSON or form) at the
``callback`` URL. When the account has *signed webhooks* switched on, the
receipt carries ``sig`` (hash or HMAC over ``&key=value`` pairs in key order,
``&`` and ``=`` inside values replaced by ``_``, keyed by the signature secret)
and we verify it; a Messages-API style ``Authorization: Bearer`` JWT (HS256
with the signature secret, claim ``payload_hash`` = SHA-256 of the body) is
verified too. Without a signature secret, the per-tenant secret in the URL is
the authentication.

Sources (see docs/PROVIDERS.md): send status codes from
https://developer.vonage.com/api-errors/sms; receipt ``status`` values and the
``err-code`` table from the SMS delivery-receipts guide
(developer.vonage.com/messaging/sms/guides/delivery-receipts, read in its
source mheap/nexmo-developer ``_documentation/en/messaging/sms/guides/delivery-receipts.md``);
the signature from the "Signing messages" guide (same repository,
``_documentation/en/concepts/guides/signing-messages.md``) and
Vonage/vonage-python-sdk ``http_client/src/vonage_http_client/auth.py`` (HMAC)
plus its 2.x ``vonage/client.py`` (md5hash), whose test vectors our tests share.
Vonage documents no maximum age for a signed receipt (the ``timestamp`` is
signed "to protect against replay attacks" but no window is given), so none is
enforced: a replayed receipt can only repeat a status we already stored.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

import jwt

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers.base import CallbackRequest, OptionField
from saleor_sms_app.providers.callbacks import (
    InboundFields,
    ReportFields,
    callback_json,
    callback_params,
    header,
)
from saleor_sms_app.providers.http import (
    API_KEY_AND_SECRET,
    AUTH,
    DOWN,
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
from saleor_sms_app.providers.values import digits, to_decimal, to_int
from saleor_sms_app.segments import is_gsm7

#: SMS API ``status`` codes (documented in Vonage's SMS troubleshooting guide).
ERRORS: dict[str, ErrorRule] = {
    "1": RATE,
    "2": ErrorRule(FailureReason.OTHER, hint="A required field is missing (sender or text)."),
    "3": ErrorRule(FailureReason.OTHER, hint="A value was refused; check the sender and number."),
    "4": AUTH,
    "5": DOWN,
    "6": ErrorRule(
        FailureReason.INVALID_NUMBER,
        hint="Vonage does not recognise the number's prefix; check the country code.",
    ),
    "7": ErrorRule(FailureReason.OPTED_OUT, hint="The number is barred at Vonage."),
    "8": ErrorRule(
        FailureReason.AUTHENTICATION, hint="The Vonage account is barred; contact Vonage."
    ),
    "9": FUNDS,
    "11": ErrorRule(
        FailureReason.AUTHENTICATION, hint="The account is not enabled for the HTTP SMS API."
    ),
    "12": ErrorRule(FailureReason.OTHER, hint="The message is too long; shorten the template."),
    "14": ErrorRule(FailureReason.AUTHENTICATION, hint="Request signature refused; check it."),
    "15": ErrorRule(
        FailureReason.INVALID_SENDER,
        hint="The sender is not allowed for this destination: use a Vonage number or a "
        "registered alphanumeric sender.",
    ),
    "22": ErrorRule(FailureReason.INVALID_NUMBER),
    "23": ErrorRule(FailureReason.OTHER, hint="The delivery-report URL was refused."),
    "29": ErrorRule(
        FailureReason.INVALID_NUMBER,
        hint="A trial Vonage account can text only whitelisted numbers: add this number "
        "or top up the account.",
    ),
    "32": AUTH,
    "33": INVALID_NUMBER,
}

#: Delivery receipt ``status`` → delivery status. The SMS API documents
#: accepted, delivered, buffered, expired, failed, undelivered, rejected and
#: unknown; "undeliverable" is the Messages API status of the JWT-signed webhook.
DELIVERY: dict[str, DeliveryStatus] = {
    "delivered": DeliveryStatus.DELIVERED,
    "expired": DeliveryStatus.EXPIRED,
    "failed": DeliveryStatus.FAILED,
    "rejected": DeliveryStatus.FAILED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "undeliverable": DeliveryStatus.UNDELIVERED,
}

#: Delivery receipt ``err-code`` → what it means (the SMS delivery-receipts
#: guide's table). Kept apart from :data:`ERRORS`: the numbers overlap with
#: different meanings (receipt 9 is an opt-out, send status 9 is no credit).
RECEIPT_ERRORS: dict[str, ErrorRule] = {
    "1": ErrorRule(FailureReason.OTHER, hint="Not delivered and no reason could be found."),
    "2": ErrorRule(
        FailureReason.OTHER, temporary=True, hint="The handset was temporarily unavailable."
    ),
    "3": ErrorRule(
        FailureReason.INVALID_NUMBER,
        hint="The number is no longer active; remove it from the customer.",
    ),
    "4": ErrorRule(
        FailureReason.OPTED_OUT, hint="The recipient has barred messages on their number."
    ),
    "5": ErrorRule(FailureReason.OTHER, hint="A number portability problem at the network."),
    "6": ErrorRule(
        FailureReason.OTHER, hint="A carrier's anti-spam filter blocked the message; reword it."
    ),
    "7": ErrorRule(FailureReason.OTHER, temporary=True, hint="The handset was busy."),
    "8": ErrorRule(FailureReason.PROVIDER_UNAVAILABLE, temporary=True),  # network error
    "9": ErrorRule(
        FailureReason.OPTED_OUT,
        hint="The recipient asked not to receive messages from this sender; the number is "
        "now on the do-not-text list.",
    ),
    "10": ErrorRule(FailureReason.OTHER, hint="A message parameter was wrong (e.g. encoding)."),
    "11": ErrorRule(FailureReason.OTHER, hint="Vonage found no route for this message."),
    "12": ErrorRule(
        FailureReason.INVALID_NUMBER, hint="No route to this number; check the number."
    ),
    "13": ErrorRule(FailureReason.OTHER, hint="The recipient cannot receive it due to age."),
    "14": ErrorRule(
        FailureReason.NOT_MOBILE, hint="The recipient's carrier blocks SMS on their plan."
    ),
    "15": ErrorRule(
        FailureReason.OTHER, hint="The recipient's prepaid plan has no credit to receive it."
    ),
    "99": ErrorRule(FailureReason.OTHER, hint="A routing error at Vonage."),
}

_HASHES = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256}
_HASHES["sha512"] = hashlib.sha512


def vonage_signature(params: dict[str, str], secret: str, method: str = "md5hash") -> str:
    """The ``sig`` Vonage puts on signed requests and webhooks (lower-case hex)."""
    signed = "".join(
        f"&{key}={params[key].replace('&', '_').replace('=', '_')}"
        for key in sorted(params)
        if key != "sig"
    )
    if method == "md5hash":
        return hashlib.md5((signed + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), signed.encode(), _HASHES[method]).hexdigest()


#: A delivery receipt of the SMS API, or the Messages API's status webhook.
REPORT = ReportFields(
    message_id=("messageId", "message_uuid"),
    status=("status",),
    code=("err-code",),
    to=("msisdn", "to"),
    reference=("client-ref", "client_ref"),
)

#: The SMS API's inbound webhook (GET query, form or JSON POST) …
INBOUND = InboundFields(sender="msisdn", to="to", text="text", message_id="messageId")
#: … and the Messages API's, when the account sends inbound SMS there instead.
INBOUND_MESSAGES_API = InboundFields(sender="from", to="to", text="text", message_id="message_uuid")


class VonageProvider(HttpProvider):
    name: ClassVar[str] = "vonage"
    label: ClassVar[str] = "Vonage"
    default_base_url: ClassVar[str] = "https://rest.nexmo.com"
    signs_callbacks: ClassVar[bool] = True
    receives_inbound: ClassVar[bool] = True
    errors = ERRORS
    report_errors = RECEIPT_ERRORS
    report_fields = REPORT
    delivery = DELIVERY
    inbound_fields = (INBOUND, INBOUND_MESSAGES_API)
    fields = (
        *API_KEY_AND_SECRET,
        OptionField(
            "signature_secret",
            "Signature secret",
            secret=True,
            required=False,
            help="Set it when signed webhooks are enabled on the Vonage account; delivery "
            "reports are then checked against it.",
        ),
        OptionField(
            "signature_method",
            "Signature method",
            required=False,
            default="md5hash",
            help="md5hash (Vonage's default), md5, sha1, sha256 or sha512.",
        ),
        base_url_field("https://rest.nexmo.com"),
    )

    @classmethod
    def validate_config(cls, config: ProviderConfig) -> dict[str, str]:
        problems = super().validate_config(config)
        method = str(config.options.get("signature_method") or "md5hash")
        if method != "md5hash" and method not in _HASHES:
            problems["signature_method"] = "Use md5hash, md5, sha1, sha256 or sha512"
        return problems

    def send(self, sms: OutboundSms) -> SendResult:
        data = {
            "api_key": self.option("api_key"),
            "api_secret": self.secret("api_secret"),
            "from": self.sender_for(sms),
            "to": digits(sms.to),
            "text": sms.body,
        }
        if not is_gsm7(sms.body):
            data["type"] = "unicode"
        if sms.reference:
            data["client-ref"] = sms.reference[:40]
        if sms.status_callback_url:
            data["callback"] = sms.status_callback_url
            data["status-report-req"] = "1"
        answer, body = self.request_json("POST", "/sms/json", data=data)
        parts = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(parts, list) or not parts or not isinstance(parts[0], dict):
            raise self.wrong_shape(answer, "a messages list")
        failed = [p for p in parts if str(p.get("status")) != "0"]
        if failed:
            # A refused first part means nothing went out; a refused later part
            # means the beginning did, so the message must not be sent again.
            accepted = len(failed) < len(parts)
            raise self._part_error(answer, failed[0], accepted=accepted)
        prices = [v for v in (to_decimal(p.get("message-price")) for p in parts) if v is not None]
        price = sum(prices, Decimal(0)) if prices else None
        return SendResult(
            status=SendStatus.QUEUED,
            provider_message_id=str(parts[0].get("message-id") or ""),
            segments=to_int(body.get("message-count")) or len(parts),
            price=price,
            currency="EUR" if price is not None else None,
            raw=answer.text,
        )

    def _part_error(self, answer: Answer, part: dict[str, Any], *, accepted: bool) -> ProviderError:
        return self.fail(
            answer, str(part.get("status")), str(part.get("error-text") or ""), accepted=accepted
        )

    def balance(self) -> Balance:
        answer, body = self.request_json(
            "GET",
            "/account/get-balance",
            params={"api_key": self.option("api_key"), "api_secret": self.secret("api_secret")},
        )
        # The SMS API's balance is always in euros.
        return self.balance_in(answer, body, "value", currency="EUR")

    def callback_values(self, request: CallbackRequest) -> dict[str, str]:
        """Query, form or (Messages API, signed webhooks) a JSON body."""
        body = callback_json(request)
        if isinstance(body, dict):
            return {str(k): "" if v is None else str(v) for k, v in body.items()}
        return callback_params(request)

    def verify_callback(self, request: CallbackRequest) -> bool:
        secret = self.secret("signature_secret")
        if not secret:
            return True  # not configured: the secret URL alone authenticates it
        bearer = header(request, "Authorization")
        if bearer.lower().startswith("bearer "):
            return _jwt_ok(bearer[7:].strip(), secret, request.body)
        params = self.callback_values(request)
        given = params.get("sig", "")
        if not given:
            return False
        expected = vonage_signature(params, secret, self.option("signature_method") or "md5hash")
        return hmac.compare_digest(expected.lower().encode(), given.lower().encode())

    def finish_report(self, event: DeliveryEvent) -> DeliveryEvent:
        """Vonage Opt-out Assist: err-code 9 on a failed/rejected receipt. Not every
        OPTED_OUT row of :data:`RECEIPT_ERRORS`: 4 is a number barred for all senders."""
        opted_out = event.provider_code == "9" and event.description in ("failed", "rejected")
        return replace(event, opted_out=opted_out)


def _jwt_ok(token: str, secret: str, body: bytes) -> bool:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": []})
    except jwt.PyJWTError:
        return False
    expected = hashlib.sha256(body).hexdigest()
    return hmac.compare_digest(str(claims.get("payload_hash", "")).encode(), expected.encode())
