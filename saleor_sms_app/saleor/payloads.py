"""Checking that a verified webhook body has the shape our subscription asked for.

The signature proves who sent a body, not that it is what we expect: a
subscription edited in the dashboard, or a Saleor change, could send something
else. The job trusts ``__typename`` and the order id, so they are checked here
and a body that does not fit is answered 400 (Saleor does not retry 4xx)
instead of failing later in the worker five times.
"""

from __future__ import annotations

import json
from typing import Any

from saleor_sms_app.errors import BadRequest
from saleor_sms_app.saleor.events import SaleorEvent


def parse_payload(event: SaleorEvent, body: bytes) -> dict[str, Any]:
    """The JSON object of a webhook body for ``event``; :class:`BadRequest` when it does not fit."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the webhook body is not valid JSON", code="invalid_json") from exc
    if not isinstance(payload, dict):
        raise BadRequest("the webhook body is not a JSON object", code="unexpected_payload")
    typename = payload.get("__typename")
    if typename != event.subscription:
        raise BadRequest(
            f"expected an {event.subscription} event, got __typename {typename!r}",
            code="unexpected_payload",
        )
    if event.name == "APP_DELETED":
        _optional_object_with_id(payload, "app")
    elif event.erases_customer:
        _optional_object_with_id(payload, "user")
    elif event.subject == "checkout":
        _object_with_id(payload, "checkout")
    elif event.subject == "stock":
        _object_with_id(payload, "productVariant")
        _optional_object_with_id(payload, "warehouse")
    else:
        _object_with_id(payload, "order")
        number = payload["order"].get("number")
        if number is not None and not isinstance(number, str):
            raise BadRequest("order.number must be a string", code="unexpected_payload")
        if event.name.startswith("FULFILLMENT_"):
            _optional_object_with_id(payload, "fulfillment")
    return payload


def _object_with_id(payload: dict[str, Any], name: str) -> None:
    value = payload.get(name)
    if not isinstance(value, dict):
        raise BadRequest(f"the webhook body has no {name} object", code="unexpected_payload")
    object_id = value.get("id")
    if not isinstance(object_id, str) or not object_id:
        raise BadRequest(f"{name}.id must be a non-empty string", code="unexpected_payload")


def _optional_object_with_id(payload: dict[str, Any], name: str) -> None:
    if payload.get(name) is not None:
        _object_with_id(payload, name)
