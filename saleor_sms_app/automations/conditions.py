"""Whether an order meets a rule's "send only if" conditions, and if not, which one fails.

Plain functions over the order as the ``SmsOrder`` fragment returns it: an
instant rule checks them on the order its event fetched, a delayed rule again
on the order fetched fresh at send time, and the rule preview shows the
first failing one to the merchant in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from saleor_sms_app.config.model import Rule, SendOnlyIf

#: Order statuses that count as fulfilled for "not fulfilled".
FULFILLED_STATUSES = frozenset({"FULFILLED", "PARTIALLY_FULFILLED"})
#: Legacy payment statuses that mean money went back.
REFUNDED_PAYMENT_STATUSES = frozenset({"PARTIALLY_REFUNDED", "FULLY_REFUNDED"})


def _refunded(order: Mapping[str, Any]) -> bool:
    refunded = order.get("totalRefunded")
    amount = refunded.get("amount") if isinstance(refunded, Mapping) else None
    if isinstance(amount, int | float) and amount > 0:
        return True
    return str(order.get("paymentStatus") or "") in REFUNDED_PAYMENT_STATUSES


def failing_condition(conditions: SendOnlyIf, order: Mapping[str, Any]) -> str | None:
    """The first condition ``order`` fails, in the merchant's words; None when all hold."""
    status = str(order.get("status") or "")
    charge = str(order.get("chargeStatus") or "")
    if conditions.statuses and status not in conditions.statuses:
        return f"the order's status is {status}, not one of {', '.join(conditions.statuses)}"
    if status in conditions.statuses_not:
        return f"the order's status is {status}"
    if conditions.charge_statuses and charge not in conditions.charge_statuses:
        return (
            f"the order's payment (charge) status is {charge or 'unknown'}, "
            f"not one of {', '.join(conditions.charge_statuses)}"
        )
    if conditions.not_cancelled and status == "CANCELED":
        return "the order was cancelled"
    if conditions.not_fulfilled and status in FULFILLED_STATUSES:
        return f"the order is {status.lower().replace('_', ' ')}"
    if conditions.not_refunded and _refunded(order):
        return "the order was refunded"
    return None


def _channel_slug(order: Mapping[str, Any]) -> str:
    channel = order.get("channel")
    return str(channel.get("slug") or "") if isinstance(channel, Mapping) else ""


def failing_rule_condition(rule: Rule, order: Mapping[str, Any]) -> str | None:
    """The first of the rule's conditions ``order`` fails (status, channel, then
    "send only if"), in words for the rule preview; None when the order matches."""
    status = str(order.get("status") or "")
    wanted = rule.conditions.statuses
    if wanted and status not in wanted:
        return f"the order's status is {status}, not one of {', '.join(wanted)}"
    channels = rule.conditions.channels
    slug = _channel_slug(order)
    if channels and slug not in channels:
        return f"the order is in the channel {slug or '(none)'}, not {', '.join(channels)}"
    return failing_condition(rule.send_only_if, order)
