"""What makes a message unique: the de-duplication keys of message-log rows.

A row's ``dedupe_key`` is unique per tenant, and a row is inserted with
``ON CONFLICT DO NOTHING`` (:mod:`saleor_sms_app.messages.log`), so whatever
computes the same key for the same text can never log, and so never send, it
twice: a redelivered webhook, a re-run job, two workers at once, or the two
webhooks Saleor sends for one shipment or one refund
(:mod:`saleor_sms_app.messages.notices`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from saleor_sms_app.automations.rules import Recipient

#: Events that happen once per object, keyed by its id rather than the body.
_ONCE_PER_ORDER = ("ORDER_CREATED", "ORDER_FULLY_PAID")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def occurrence_key(
    event: str, payload: Mapping[str, Any], dedupe_key: str, *, tracking_number: str = ""
) -> str:
    """What identifies this happening of the event, for the messages' de-duplication.

    An order is created (and fully paid) once and a fulfillment is created
    once, so for those the object id itself is the occurrence: even a second,
    differently-timed delivery cannot text twice. A tracking-number update is
    one per fulfilment and number. Other events (an order can be updated many
    times) use the webhook's body hash, which a redelivery repeats exactly.
    """
    order = payload.get("order")
    fulfillment = payload.get("fulfillment")
    if event in _ONCE_PER_ORDER and isinstance(order, Mapping) and order.get("id"):
        return f"{event}:{order['id']}"
    if isinstance(fulfillment, Mapping) and fulfillment.get("id"):
        if event == "FULFILLMENT_CREATED":
            return f"{event}:{fulfillment['id']}"
        if event == "FULFILLMENT_TRACKING_NUMBER_UPDATED":
            return f"{event}:{fulfillment['id']}:{tracking_number}"
    return f"{event}:{dedupe_key}"


def message_dedupe_key(occurrence: str, rule_id: str, recipient: Recipient) -> str:
    """A rule's own key for one recipient of one occurrence."""
    return _digest(f"{occurrence}\n{rule_id}\n{recipient.key}")


def run_dedupe_key(occurrence: str, rule_id: str) -> str:
    """One delayed run per rule and event occurrence."""
    return _digest(f"run\n{occurrence}\n{rule_id}")


def no_rule_key(event: str, order_id: str) -> str:
    """The one "no rule for this event" row per order and event."""
    return _digest(f"no-rule\n{event}\n{order_id}")


def shipment_prefix(fulfillment_id: str) -> str:
    """Start of every shipment notice key of one fulfilment."""
    return f"shipment:{_digest(fulfillment_id)[:32]}:"


def shipment_key(fulfillment_id: str, number: str, recipient: Recipient) -> str:
    """The key of "this fulfilment has tracking number ``number``" for one recipient."""
    return shipment_prefix(fulfillment_id) + _digest(f"{number}\n{recipient.key}")


def refund_key(order_id: str, refunded: str, recipient: Recipient) -> str:
    """The key of "the order's refunds now total ``refunded``" for one recipient."""
    return "refund:" + _digest(f"{order_id}\n{refunded}\n{recipient.key}")


def checkout_key(kind: str, checkout_id: str, step: int | str) -> str:
    """An abandoned-checkout reminder's run and message (``kind`` ``run``/``text``), or
    the one "not reminded" row (``kind`` ``skip``, ``step`` the reason code), per checkout."""
    return _digest(f"checkout-{kind}\n{checkout_id}\n{step}")


def stock_digest_key(part: str, ident: int) -> str:
    """A stock digest run (``part`` ``run``, the first alert's id) or its text to one staff
    number (``part`` the number, ``ident`` the run id)."""
    return _digest(f"stock-digest\n{part}\n{ident}")
