"""SMSAPI.pl / SMSAPI.com (``POST /sms.do``, OAuth token as Bearer).

Our message reference goes out as ``idx`` with ``check_idx=1``, so SMSAPI
itself refuses a second send of the same message (error 53): a retried job
can never text a customer twice. Errors usually come back as HTTP 200 with
``{"error": code, "message": text}``; a send succeeded only if ``list[].id``
is there. Delivery reports are GET requests to ``notify_url`` with ``MsgId``,
``status`` (numeric), ``idx`` …, several reports comma-joined in one call, and
must be answered with ``OK``. They are not signed: the secret URL authenticates.

Sources (see docs/PROVIDERS.md): send parameters from smsapi/smsapi-python-client
``smsapi/sms/api.py``; error classes from smsapi/smsapi-csharp-client
``smsapi/Api/Response/Deserialization/LegacyJsonResponseDeserializer.cs``;
message status names from smsapi/smsapi-javascript-client
``src/types/MessageStatus.ts``; the ``OK`` answer from an SMSAPI maintainer in
smsapi/smsapi-php-client#123. The callback field names, the numeric statuses and
the comma-joining are still unverified (the callback chapter of
https://www.smsapi.pl/docs could not be read here).
"""

from __future__ import annotations

from typing import Any, ClassVar

from saleor_sms_app.providers.base import CallbackRequest, OptionField
from saleor_sms_app.providers.callbacks import InboundFields
from saleor_sms_app.providers.http import (
    AUTH,
    DOWN,
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
from saleor_sms_app.providers.values import digits, first_entry, to_decimal, to_int

_SENDER_HINT = (
    "The sender name is not registered at SMSAPI: add it in the SMSAPI panel under "
    "SMS messages → Sender names (or pick one already active) and use exactly that name."
)

#: ``error`` codes. 8, 101-105, 110, 201, 666 and 999 are grouped by SMSAPI's own
#: C# client (LegacyJsonResponseDeserializer.cs): 101/102/103/105/110 are
#: "client" errors of the account, 8/201/666/999 "host" errors on SMSAPI's side.
#: 11-14, 18, 203 appear in the official clients' tests and fixtures. 17, 20, 52
#: and 53 are from SMSAPI's docs as remembered, NOT verified here.
ERRORS: dict[str, ErrorRule] = {
    # "Błąd w odwołaniu": SMSAPI groups it with its internal errors.
    "8": ErrorRule(FailureReason.PROVIDER_UNAVAILABLE, temporary=True),
    "11": ErrorRule(FailureReason.OTHER, hint="The message is empty or too long."),
    "12": ErrorRule(FailureReason.OTHER, hint="The message has more parts than allowed."),
    "13": INVALID_NUMBER,
    "14": ErrorRule(FailureReason.INVALID_SENDER, hint=_SENDER_HINT),
    "17": ErrorRule(FailureReason.OTHER, hint="Flash messages cannot hold special characters."),
    "18": ErrorRule(FailureReason.OTHER),
    "20": ErrorRule(FailureReason.OTHER, hint="The message reference (idx) was refused."),
    "52": ErrorRule(
        FailureReason.RATE_LIMITED,
        temporary=True,
        hint="Too many messages to one number in a short time; the app retries later.",
    ),
    # check_idx=1: this reference was already sent, i.e. the message went out before.
    "53": ErrorRule(
        FailureReason.OTHER,
        hint="SMSAPI already has a message with this reference: it was sent before, "
        "so it is not sent twice.",
    ),
    "101": AUTH,
    "102": AUTH,
    "103": ErrorRule(
        FailureReason.INSUFFICIENT_FUNDS,
        hint="Not enough points at SMSAPI: top up in the SMSAPI panel.",
    ),
    "105": ErrorRule(
        FailureReason.AUTHENTICATION,
        hint="SMSAPI refuses requests from this server's IP address: allow it in the "
        "panel's API settings.",
    ),
    "110": ErrorRule(
        FailureReason.AUTHENTICATION,
        hint="This service is not enabled on the SMSAPI account; ask SMSAPI to enable it.",
    ),
    "203": RATE,
    "201": DOWN,
    "666": DOWN,
    "999": DOWN,
}

#: Phrases from SMSAPI error texts the merchant can act on (the SMSAPI seed).
TEXT_HINTS: dict[str, str] = {
    "Invalid from field": _SENDER_HINT,
    "Short links disabled": (
        "The message holds a link and links are switched off on this SMSAPI account: "
        "make one payment and ask SMSAPI support to enable links, or remove the link "
        "from the template."
    ),
    "Not enough points": "Not enough points at SMSAPI: top up in the SMSAPI panel.",
}

#: Numeric DLR ``status`` → delivery status (numbers unverified, see above).
DELIVERY: dict[str, DeliveryStatus] = {
    "401": DeliveryStatus.FAILED,  # NOT_FOUND
    "402": DeliveryStatus.EXPIRED,
    "404": DeliveryStatus.DELIVERED,
    "405": DeliveryStatus.UNDELIVERED,
    "406": DeliveryStatus.FAILED,
    "407": DeliveryStatus.FAILED,  # REJECTED
}

#: ``status_name`` → delivery status, for a report whose number we do not know.
#: The names are SMSAPI's own (smsapi-javascript-client ``MessageStatus.ts``);
#: QUEUE, SENT, ACCEPTED, RENEWAL, STOP and UNKNOWN stay intermediate/unknown.
DELIVERY_NAMES: dict[str, DeliveryStatus] = {
    "NOT_FOUND": DeliveryStatus.FAILED,
    "EXPIRED": DeliveryStatus.EXPIRED,
    "DELIVERED": DeliveryStatus.DELIVERED,
    "UNDELIVERED": DeliveryStatus.UNDELIVERED,
    "FAILED": DeliveryStatus.FAILED,
    "REJECTED": DeliveryStatus.FAILED,
}


#: SMSAPI's forward of a received SMS ("Odbiór wiadomości": POST to the URL set
#: for the number in the panel). Unverified: from integrations, not the docs.
INBOUND = InboundFields(sender="sms_from", to="sms_to", text="sms_text", message_id="MsgId")


class SmsapiProvider(HttpProvider):
    name: ClassVar[str] = "smsapi"
    label: ClassVar[str] = "SMSAPI"
    default_base_url: ClassVar[str] = "https://api.smsapi.pl"
    errors = ERRORS
    text_hints = TEXT_HINTS
    inbound_fields = (INBOUND,)
    callback_ok_body: ClassVar[str | None] = "OK"
    duplicate_reference_codes: ClassVar[frozenset[str]] = frozenset({"53"})
    receives_inbound: ClassVar[bool] = True
    inbound_ok: ClassVar[tuple[str, str] | None] = ("OK", "text/plain")
    fields = (
        OptionField(
            "token", "OAuth token", secret=True, help="Generate it in the SMSAPI panel (API)."
        ),
        base_url_field(
            "https://api.smsapi.pl", help="https://api.smsapi.com for the international SMSAPI."
        ),
    )

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret('token')}"}

    def send(self, sms: OutboundSms) -> SendResult:
        data = {
            "to": digits(sms.to),
            "message": sms.body,
            "format": "json",
            "encoding": "utf-8",
            # details=1 adds parts/length to the answer: the log shows real segments.
            "details": "1",
        }
        sender = self.sender_for(sms)
        if sender:
            data["from"] = sender
        if sms.reference:
            data["idx"] = sms.reference
            data["check_idx"] = "1"
        if sms.status_callback_url:
            data["notify_url"] = sms.status_callback_url
        answer, body = self.request_json("POST", "/sms.do", data=data, headers=self._auth)
        first = first_entry(body, "list")
        if first is None or not first.get("id"):
            raise self.wrong_shape(answer, "list[].id")
        points = to_decimal(first.get("points"))
        return SendResult(
            status=SendStatus.QUEUED,
            provider_message_id=str(first["id"]),
            segments=to_int(first.get("parts", body.get("parts"))),
            price=points,
            currency="points" if points is not None else None,
            raw=answer.text,
        )

    def refusal(self, answer: Answer, body: Any, path: str) -> ProviderError | None:
        if isinstance(body, dict) and body.get("error") not in (None, "", 0):
            code = str(body.get("error"))
            # 53 with check_idx=1: sent before under this idx, so never again.
            return self.fail(answer, code, str(body.get("message") or ""), accepted=code == "53")
        if not answer.ok:
            return self.fail(answer)
        return None

    def balance(self) -> Balance:
        answer, body = self.request_json("GET", "/profile", headers=self._auth)
        return self.balance_in(answer, body, "points", currency="points")

    def parse_callback(self, request: CallbackRequest) -> list[DeliveryEvent]:
        """Several reports in one call, each field comma-joined."""
        params = self.callback_values(request)
        ids = _split(params.get("MsgId"))
        if not ids:
            return []
        statuses = _split(params.get("status"))
        names = _split(params.get("status_name"))
        numbers = _split(params.get("to"))
        references = _split(params.get("idx"))
        events = []
        for i, message_id in enumerate(ids):
            status, name = _at(statuses, i), _at(names, i)
            mapped = DELIVERY.get(status) or DELIVERY_NAMES.get(
                name.upper(), DeliveryStatus.UNKNOWN
            )
            events.append(
                DeliveryEvent(
                    provider_message_id=message_id,
                    status=mapped,
                    provider_code=status or None,
                    description=name or None,
                    to=_at(numbers, i) or None,
                    reference=_at(references, i) or None,
                    raw={key: _at(_split(value), i) for key, value in params.items()},
                )
            )
        return events


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in value.split(",")] if value else []


def _at(values: list[str], index: int) -> str:
    return values[index] if index < len(values) else ""
