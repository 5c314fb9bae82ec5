"""Reading what providers send us: delivery reports and inbound texts.

The outbound half of the shared plumbing is :mod:`.http`; this module is the
inbound half, framework-free like :class:`~.base.CallbackRequest`. Providers
post the same few facts (message id, status, error code, number) under their
own names and in their own encodings (query, form, JSON), so an adapter
declares *where* they sit (:class:`ReportFields`, :class:`InboundFields`) and
the reading is done here once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from saleor_sms_app.providers.base import CallbackRequest
from saleor_sms_app.providers.models import DeliveryEvent, DeliveryStatus, InboundSms, without_nul


def callback_params(request: CallbackRequest) -> dict[str, str]:
    """Query and form parameters of a callback, form winning (providers post either)."""
    params = dict(request.query)
    params.update(request.form)
    if not request.form and request.body and b"=" in request.body and not _looks_json(request):
        params.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def callback_json(request: CallbackRequest) -> Any:
    """The JSON body of a callback, or None when it has none (or it is not JSON)."""
    if not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        return None


def _looks_json(request: CallbackRequest) -> bool:
    return request.body.lstrip()[:1] in (b"{", b"[")


@dataclass(frozen=True)
class InboundFields:
    """Where a provider puts the parts of an inbound text in a flat (form/query/JSON) request."""

    sender: str
    to: str
    text: str
    message_id: str


def inbound_from(params: Mapping[str, Any], fields: InboundFields) -> list[InboundSms]:
    """The one inbound text in ``params``, read through ``fields``; empty when it holds none.

    An empty text is kept (a customer can send one), but the text field must be
    there: a delivery report has a sender and an id too, never a text.
    """
    sender = _inbound_value(params, fields.sender).strip()
    message_id = _inbound_value(params, fields.message_id).strip()
    if not sender or not message_id or fields.text not in params:
        return []
    return [
        InboundSms(
            sender=sender,
            to=_inbound_value(params, fields.to).strip(),
            text=_inbound_value(params, fields.text),
            provider_message_id=message_id,
            raw={str(k): v for k, v in params.items()},
        )
    ]


def _inbound_value(params: Mapping[str, Any], name: str) -> str:
    """A field of an inbound text without NUL characters (:func:`.models.without_nul`:
    refusing it would lose a STOP; "STOP\x00" is STOP)."""
    return str(without_nul(str(params.get(name) or "")))


def header(request: CallbackRequest, name: str) -> str:
    """A request header, case-insensitively (the Flask layer passes a plain mapping)."""
    wanted = name.lower()
    for key, value in request.headers.items():
        if key.lower() == wanted:
            return value
    return ""


@dataclass(frozen=True)
class ReportFields:
    """Where a provider puts the parts of a flat (form/query) delivery report.

    Each part lists the names it may go by, first wins (Twilio's old ``SmsSid``
    next to ``MessageSid``, Vonage's Messages-API names next to its SMS API ones).
    """

    message_id: tuple[str, ...]
    status: tuple[str, ...]
    code: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    #: Our own reference echoed back (Vonage ``client-ref``).
    reference: tuple[str, ...] = ()
    #: Codes the provider sends when there was no error (Plivo ``000``, Mocean ``0``).
    no_error: frozenset[str] = frozenset()


def report_from(
    params: Mapping[str, str], fields: ReportFields, statuses: Mapping[str, DeliveryStatus]
) -> DeliveryEvent | None:
    """The one delivery report in ``params``; None when it lacks an id or a status.

    The status is lower-cased, described as sent and mapped through
    ``statuses`` (unknown ones stay UNKNOWN). ``opted_out`` is left False: what
    counts as an opt-out differs per provider, so the adapter decides it.
    """
    message_id = _first(params, fields.message_id)
    status = (_first(params, fields.status) or "").lower()
    if not message_id or not status:
        return None
    code = _first(params, fields.code) or None
    return DeliveryEvent(
        provider_message_id=message_id,
        status=statuses.get(status, DeliveryStatus.UNKNOWN),
        provider_code=None if code in fields.no_error else code,
        description=status,
        to=_first(params, fields.to),
        raw=dict(params),
        reference=_first(params, fields.reference) or None,
    )


def _first(params: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    """The first non-empty of ``names`` in ``params``, else the last one's value
    (``params.get(a) or params.get(b)``, for any number of names)."""
    value = None
    for name in names:
        value = params.get(name)
        if value:
            break
    return value
