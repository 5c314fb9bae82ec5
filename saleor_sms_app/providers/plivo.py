"""Plivo (``POST /v1/Account/{auth_id}/Message/``, JSON, HTTP Basic).

Plivo answers 202 with ``message_uuid`` (a list) and refuses with 4xx
``{"api_id", "error"}``, where ``error`` is text (sometimes an object of field
messages), so its lookup table is keyed by phrases of that text. Status
callbacks are form posts signed with ``X-Plivo-Signature-V3``: Base64(HMAC-
SHA256(auth token, URL + "?"… + sorted POST parameters + "." + nonce)), the
algorithm of Plivo's own SDK (plivo/plivo-python ``plivo/utils/signature_v3.py``,
checked against it with shared vectors in the tests); the header may hold
several comma-separated signatures.

Sources (see docs/PROVIDERS.md): answer and error envelope from
https://www.plivo.com/docs/messaging/api/response; status-callback fields from
https://plivo.com/docs/messaging/api/message/message-status-callbacks (form
data for POST, query for GET; ``ErrorCode`` only on failed/undelivered); error
codes from https://plivo.com/docs/messaging/troubleshooting/error-codes; the
HTTP status handling (403 on ``/Message/`` = Geo Permissions) from plivo-python
``plivo/rest/client.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from saleor_sms_app.providers.base import CallbackRequest, OptionField
from saleor_sms_app.providers.callbacks import (
    InboundFields,
    ReportFields,
    header,
)
from saleor_sms_app.providers.http import (
    AUTH,
    FUNDS,
    INVALID_NUMBER,
    OPTED_OUT,
    Answer,
    ErrorRule,
    HttpProvider,
    base_url_field,
)
from saleor_sms_app.providers.models import (
    Balance,
    DeliveryStatus,
    FailureReason,
    OutboundSms,
    ProviderError,
    SendResult,
    SendStatus,
)
from saleor_sms_app.providers.values import digits

_SENDER_HINT = (
    "Plivo refused the sender: use a Plivo number you own, or an alphanumeric sender "
    "allowed in the destination country."
)

#: Lower-case phrases of Plivo's ``error`` text → our reasons (first match wins).
#: Plivo documents the envelope ``{"api_id", "error"}`` and names such as
#: ``invalid_parameter``/``authentication_failed``, not the full texts: these
#: phrases are a heuristic (unverified); anything else falls back on the status.
PHRASES: dict[str, ErrorRule] = {
    "authentication": AUTH,
    "unauthorized": AUTH,
    "insufficient": FUNDS,
    "credit": FUNDS,
    "dst": INVALID_NUMBER,
    "destination": INVALID_NUMBER,
    "src": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "source": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "too many requests": ErrorRule(FailureReason.RATE_LIMITED, temporary=True),
}

#: A 403 on ``/Message/`` is Plivo's GeoPermissionError (plivo-python
#: ``rest/client.py``): the destination country is switched off on the account.
#: Not the recipient's fault and not the credentials', so another provider may
#: well deliver it.
GEO_PERMISSION = ErrorRule(
    FailureReason.OTHER,
    hint="Sending to this country is switched off on the Plivo account: enable it in the "
    "Plivo console under Messaging > Geo Permissions.",
)

#: Delivery-time ``ErrorCode`` values. 10-200 (and 201, 1000) are Plivo's
#: documented SMS error codes (plivo.com/docs/messaging/troubleshooting/error-codes
#: and Plivo's "SMS error codes" article); 300/420/900/910 come from the legacy
#: api-reference list as copied by third-party integrations (less certain).
ERRORS: dict[str, ErrorRule] = {
    "10": ErrorRule(FailureReason.OTHER, hint="A carrier rejected the message as invalid."),
    "20": ErrorRule(FailureReason.PROVIDER_UNAVAILABLE, temporary=True),  # carrier network
    "30": ErrorRule(
        FailureReason.OTHER, hint="The carrier flagged the message as spam; reword it."
    ),
    "40": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "50": ErrorRule(
        FailureReason.INVALID_NUMBER,
        hint="The number is wrong, cannot receive SMS or is a landline; correct it on the "
        "customer or order.",
    ),
    "60": ErrorRule(FailureReason.OTHER, hint="The carrier saw a message loop."),
    "70": ErrorRule(FailureReason.INVALID_NUMBER, hint="The number is no longer active."),
    "80": ErrorRule(FailureReason.OTHER, temporary=True, hint="The handset is off or away."),
    "90": ErrorRule(FailureReason.INVALID_NUMBER, hint="Plivo has no route to this number."),
    "100": ErrorRule(FailureReason.NOT_MOBILE, hint="The recipient's network does not take SMS."),
    "110": ErrorRule(FailureReason.OTHER, hint="The message is too long."),
    "200": OPTED_OUT,  # "Source number blocked by STOP from destination number"
    "201": ErrorRule(
        FailureReason.INVALID_SENDER,
        hint="A US toll-free number cannot text Canadian numbers; use another sender.",
    ),
    "300": ErrorRule(FailureReason.PROVIDER_UNAVAILABLE, temporary=True),  # failed to dispatch
    "420": ErrorRule(FailureReason.OTHER, hint="The message expired before delivery."),
    "900": FUNDS,
    "910": ErrorRule(FailureReason.AUTHENTICATION, hint="The Plivo account is disabled."),
    "1000": ErrorRule(FailureReason.OTHER),
}

DELIVERY: dict[str, DeliveryStatus] = {
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
    "rejected": DeliveryStatus.FAILED,
}


def plivo_signature_v3(auth_token: str, url: str, params: dict[str, str], nonce: str) -> str:
    """``X-Plivo-Signature-V3`` for a POST of ``params`` to ``url``."""
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    query_text = "&".join(f"{k}={v}" for k, v in query)
    if query_text or params:
        base += "?" + query_text
    if query_text and params:
        base += "."
    base += "".join(key + params[key] for key in sorted(params))
    digest = hmac.new(auth_token.encode(), f"{base}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


#: A status callback (form POST, or query on GET); ``ErrorCode`` 000 is "no error".
REPORT = ReportFields(
    message_id=("MessageUUID",),
    status=("Status",),
    code=("ErrorCode",),
    to=("To",),
    no_error=frozenset({"000", "0"}),
)

#: Plivo's request to the number's application "Message URL" (form POST).
INBOUND = InboundFields(sender="From", to="To", text="Text", message_id="MessageUUID")


class PlivoProvider(HttpProvider):
    name: ClassVar[str] = "plivo"
    label: ClassVar[str] = "Plivo"
    default_base_url: ClassVar[str] = "https://api.plivo.com"
    signs_callbacks: ClassVar[bool] = True
    receives_inbound: ClassVar[bool] = True
    errors = ERRORS
    #: An opt-out is 200 ("blocked by STOP from destination"), the table's OPTED_OUT row.
    report_fields = REPORT
    delivery = DELIVERY
    inbound_fields = (INBOUND,)
    fields = (
        OptionField("auth_id", "Auth ID"),
        OptionField("auth_token", "Auth Token", secret=True),
        OptionField(
            "powerpack_uuid",
            "Powerpack UUID",
            required=False,
            help="Send through a Powerpack instead of the sender number.",
        ),
        base_url_field("https://api.plivo.com"),
    )

    @property
    def _account(self) -> str:
        return f"/v1/Account/{self.option('auth_id')}"

    @property
    def _auth(self) -> tuple[str, str]:
        return (self.option("auth_id"), self.secret("auth_token"))

    def refusal(self, answer: Answer, body: Any, path: str) -> ProviderError | None:
        if answer.ok:
            return None
        text = body.get("error") if isinstance(body, dict) else None
        if isinstance(text, dict):
            text = "; ".join(f"{k}: {v}" for k, v in text.items())
        text = str(text or "")
        rule: ErrorRule | None = None
        if answer.status == 403 and path.endswith("/Message/"):
            rule = GEO_PERMISSION
        elif answer.status not in (401, 403, 429) and answer.status < 500:
            rule = next((r for phrase, r in PHRASES.items() if phrase in text.lower()), None)
        if rule is None:
            return self.fail(answer, None, text)
        return self.error(
            rule.reason,
            text,
            temporary=rule.temporary,
            hint=rule.hint,
            raw=answer.text,
            code=str(answer.status),
        )

    def send(self, sms: OutboundSms) -> SendResult:
        payload: dict[str, Any] = {"dst": digits(sms.to), "text": sms.body}
        if self.option("powerpack_uuid"):
            payload["powerpack_uuid"] = self.option("powerpack_uuid")
        else:
            payload["src"] = self.sender_for(sms)
        if sms.status_callback_url:
            payload["url"] = sms.status_callback_url
            payload["method"] = "POST"
        answer, body = self.request_json(
            "POST", f"{self._account}/Message/", json=payload, auth=self._auth
        )
        ids = body.get("message_uuid") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids:
            raise self.wrong_shape(answer, "message_uuid")
        return SendResult(
            status=SendStatus.QUEUED, provider_message_id=str(ids[0]), raw=answer.text
        )

    def balance(self) -> Balance:
        answer, body = self.request_json("GET", f"{self._account}/", auth=self._auth)
        # Plivo accounts are billed in US dollars; the account object names no currency.
        return self.balance_in(answer, body, "cash_credits", currency="USD")

    def verify_callback(self, request: CallbackRequest) -> bool:
        given = header(request, "X-Plivo-Signature-V3")
        nonce = header(request, "X-Plivo-Signature-V3-Nonce")
        if not given or not nonce:
            return False
        params = dict(request.form) if request.method.upper() == "POST" else {}
        expected = plivo_signature_v3(self.secret("auth_token"), request.url, params, nonce)
        return any(
            hmac.compare_digest(expected.encode(), candidate.strip().encode())
            for candidate in given.split(",")
        )
