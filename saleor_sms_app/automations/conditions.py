"""Whether an order meets a rule's conditions, and if not, which one fails.

Plain functions over the order as the ``SmsOrder`` fragment returns it. A
rule's conditions (status, channel, countries, total, shipping method, payment,
guest or registered, first order, a metadata value) are checked on the order
its event fetched, for instant and delayed rules alike; its "send only if"
conditions also then, and a delayed rule's again on the order fetched fresh at
send time. The rule preview shows the first failing one to the merchant in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from saleor_sms_app.config.model import Rule, RuleConditions, SendOnlyIf

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


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _country(order: Mapping[str, Any], address: str) -> str:
    return str(_mapping(_mapping(order.get(address)).get("country")).get("code") or "")


def _total(order: Mapping[str, Any]) -> tuple[float | None, str]:
    gross = _mapping(_mapping(order.get("total")).get("gross"))
    amount = gross.get("amount")
    number = float(amount) if isinstance(amount, int | float) else None
    return number, str(gross.get("currency") or "")


def _amount(value: float) -> str:
    return f"{value:g}"


def customer_order_count(order: Mapping[str, Any]) -> int | None:
    """How many (non-draft) orders the order's registered customer has; None for a guest."""
    user = order.get("user")
    if not isinstance(user, Mapping):
        return None
    count = _mapping(user.get("orders")).get("totalCount")
    return count if isinstance(count, int) else None


def _metadata(order: Mapping[str, Any], key: str) -> str | None:
    items = order.get("metadata")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and item.get("key") == key:
            return str(item.get("value") or "")
    return None


def _listed(values: list[str]) -> str:
    return ", ".join(values)


def failing_order_condition(conditions: RuleConditions, order: Mapping[str, Any]) -> str | None:
    """The first of a rule's conditions ``order`` fails, in words; None when all hold.

    Checked in the order the Rules screen lists them, so the preview names the
    same condition the merchant reads first.
    """
    status = str(order.get("status") or "")
    if conditions.statuses and status not in conditions.statuses:
        return f"the order's status is {status}, not one of {_listed(conditions.statuses)}"
    channels = conditions.channels
    slug = _channel_slug(order)
    if channels and slug not in channels:
        return f"the order is in the channel {slug or '(none)'}, not {_listed(channels)}"
    for address, wanted, words in (
        ("shippingAddress", conditions.shipping_countries, "ships to"),
        ("billingAddress", conditions.billing_countries, "is billed to"),
    ):
        found = _country(order, address)
        if wanted and found not in wanted:
            return f"the order {words} {found or 'no country'}, not {_listed(wanted)}"
    if conditions.total_min is not None or conditions.total_max is not None:
        amount, currency = _total(order)
        low, high = conditions.total_min, conditions.total_max
        if amount is None:
            return "the order has no total"
        if low is not None and amount < low:
            return f"the order's total {_amount(amount)} {currency} is below {_amount(low)}"
        if high is not None and amount > high:
            return f"the order's total {_amount(amount)} {currency} is above {_amount(high)}"
    methods = conditions.shipping_methods
    method = str(order.get("shippingMethodName") or "").strip()
    if methods and method.casefold() not in {m.casefold() for m in methods}:
        return f"the order's shipping method is {method or '(none)'}, not {_listed(methods)}"
    charge = str(order.get("chargeStatus") or "")
    if conditions.charge_statuses and charge not in conditions.charge_statuses:
        return (
            f"the order's payment (charge) status is {charge or 'unknown'}, "
            f"not one of {_listed(conditions.charge_statuses)}"
        )
    registered = isinstance(order.get("user"), Mapping)
    if conditions.customer == "guest" and registered:
        return "the order was placed by a registered customer, not a guest"
    if conditions.customer == "registered" and not registered:
        return "the order was placed by a guest, not a registered customer"
    if conditions.order_of_customer != "any":
        count = customer_order_count(order)
        first = count is None or count <= 1
        if conditions.order_of_customer == "first" and not first:
            return f"it is not the customer's first order (they have {count})"
        if conditions.order_of_customer == "repeat" and first:
            return "it is the customer's first order"
    key = conditions.metadata_key.strip()
    if key:
        value = _metadata(order, key)
        if value is None:
            return f"the order has no metadata key {key!r}"
        if value != conditions.metadata_value:
            return f"the order's metadata {key!r} is {value!r}, not {conditions.metadata_value!r}"
    return None


def failing_rule_condition(rule: Rule, order: Mapping[str, Any]) -> str | None:
    """The first of the rule's conditions ``order`` fails (the rule's conditions, then
    "send only if"), in words for the rule preview; None when the order matches."""
    return failing_order_condition(rule.conditions, order) or failing_condition(
        rule.send_only_if, order
    )
