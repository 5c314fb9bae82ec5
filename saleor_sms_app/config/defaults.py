"""The configuration a new install starts with: the standard templates, sandbox sending.

Like the add-ons merchants know (Lightspeed's standard templates, msSMS's
per-status texts), a fresh install already has the usual messages written, so
the first order after installing shows the whole flow working. Everything goes
through the ``sandbox`` provider until a real one is set up, so nothing is
texted (or paid for) by surprise. The staff message is on but has nobody to
text until staff numbers are entered; the log says so on every order.

Rule ids are fixed so that messages logged before and after the merchant first
saves the configuration share their de-duplication keys.

Rules added to the defaults after merchants had saved configurations
(:data:`ADDED_IN_V2`) reach those installs switched off through the
configuration's migration (:func:`add_new_default_rules`): a merchant's saved
rules are theirs, and a shop that never texted on refunds should not start
doing so because the app was upgraded; the Rules screen shows the new ones
ready to tick.
"""

from __future__ import annotations

from typing import Any

from saleor_sms_app.automations.ready_made import ready_made_automations
from saleor_sms_app.config.model import AppConfig, ProviderConfig, Recipients, Rule, SendOnlyIf

SANDBOX_PROVIDER_ID = "sandbox"

ORDER_CONFIRMATION = (
    "{{ shop.name }}: thank you for your order {{ order.number }} ({{ order.total }}). "
    "We will text you when it ships."
)
ORDER_SHIPPED = (
    "{{ shop.name }}: your order {{ order.number }} is on its way."
    "{% if order.tracking_number %} Tracking number: {{ order.tracking_number }}{% endif %}"
)
TRACKING_NUMBER = (
    "{{ shop.name }}: tracking number for your order {{ order.number }}: "
    "{{ order.tracking_number }}"
)
ORDER_PAID = (
    "{{ shop.name }}: we have received your payment for order {{ order.number }} "
    "({{ order.total }}). Thank you!"
)
ORDER_REFUNDED = (
    "{{ shop.name }}: we have refunded your order {{ order.number }}. "
    "The money may take a few days to reach your account."
)
ORDER_CANCELLED = (
    "{{ shop.name }}: your order {{ order.number }} has been cancelled. "
    "Questions? Please contact us."
)
STAFF_NEW_ORDER = (
    "New order {{ order.number }} from {{ customer.full_name }}: {{ order.total }}. "
    "{{ order.products }}"
)


def default_config() -> AppConfig:
    """A fresh copy (callers may change it) of what a new install gets."""
    return AppConfig(
        revision=0,
        providers=[
            ProviderConfig(
                id=SANDBOX_PROVIDER_ID,
                type="sandbox",
                name="Sandbox (writes to a file, sends nothing)",
            )
        ],
        rules=[
            _customer_rule(
                "customer-order-confirmation",
                "Customer: order confirmation",
                "ORDER_CREATED",
                ORDER_CONFIRMATION,
            ),
            _order_paid(),
            _customer_rule(
                "customer-order-shipped",
                "Customer: order shipped",
                "FULFILLMENT_CREATED",
                ORDER_SHIPPED,
            ),
            _tracking_number(),
            _customer_rule(
                "customer-order-cancelled",
                "Customer: order cancelled",
                "ORDER_CANCELLED",
                ORDER_CANCELLED,
            ),
            _order_refunded(),
            Rule(
                id="staff-new-order",
                name="Staff: new order",
                event="ORDER_CREATED",
                recipients=Recipients(staff=True),
                template=STAFF_NEW_ORDER,
            ),
            *ready_made_automations(),
            *more_event_rules(),
        ],
    )


ORDER_PARTLY_PAID = (
    "{{ shop.name }}: we have received a payment for order {{ order.number }}. "
    "The rest of {{ order.total }} is still to be paid."
)
ORDER_EXPIRED = (
    "{{ shop.name }}: your order {{ order.number }} was not paid in time and has expired. "
    "You are welcome to order again."
)
SHIPMENT_CANCELLED = (
    "{{ shop.name }}: a shipment of your order {{ order.number }} was cancelled. "
    "We will text you when it ships again."
)
SHIPMENT_APPROVED = (
    "{{ shop.name }}: your order {{ order.number }} is approved for shipping and being packed."
)


def more_event_rules() -> list[Rule]:
    """Customer texts for ORDER_PAID (partly paid only: a full payment has its own rule),
    ORDER_EXPIRED, FULFILLMENT_CANCELED and FULFILLMENT_APPROVED, installed switched off."""
    rules = [
        _customer_rule(
            "customer-order-partly-paid",
            "Customer: payment received (partly paid)",
            "ORDER_PAID",
            ORDER_PARTLY_PAID,
        ),
        _customer_rule(
            "customer-order-expired", "Customer: order expired", "ORDER_EXPIRED", ORDER_EXPIRED
        ),
        _customer_rule(
            "customer-shipment-cancelled",
            "Customer: shipment cancelled",
            "FULFILLMENT_CANCELED",
            SHIPMENT_CANCELLED,
        ),
        _customer_rule(
            "customer-shipment-approved",
            "Customer: shipment approved",
            "FULFILLMENT_APPROVED",
            SHIPMENT_APPROVED,
        ),
    ]
    rules[0].send_only_if = SendOnlyIf(charge_statuses=["PARTIAL"])
    return [r.model_copy(update={"enabled": False}) for r in rules]


def _customer_rule(rule_id: str, name: str, event: str, template: str) -> Rule:
    return Rule(
        id=rule_id,
        name=name,
        event=event,
        recipients=Recipients(customer=True),
        template=template,
    )


def _order_paid() -> Rule:
    return _customer_rule(
        "customer-order-paid", "Customer: order paid", "ORDER_FULLY_PAID", ORDER_PAID
    )


def _tracking_number() -> Rule:
    # Also fires when a fulfilment is created with a number; the shipped text
    # carries that number and the customer gets one text (messages/notices.py).
    return _customer_rule(
        "customer-tracking-number",
        "Customer: tracking number",
        "FULFILLMENT_TRACKING_NUMBER_UPDATED",
        TRACKING_NUMBER,
    )


def _order_refunded() -> Rule:
    # ORDER_REFUNDED comes with every refund, partial or full; a full refund
    # also brings ORDER_FULLY_REFUNDED, which the app pairs with it (one text).
    return _customer_rule(
        "customer-order-refunded", "Customer: order refunded", "ORDER_REFUNDED", ORDER_REFUNDED
    )


#: Default rules that configurations saved by format 1 do not know about.
ADDED_IN_V2 = (_order_paid, _tracking_number, _order_refunded)


def add_new_default_rules(doc: dict[str, Any]) -> dict[str, Any]:
    """Configuration format 1 → 2: the paid, tracking-number and refunded rules, switched off.

    A rule is added only if the document has neither a rule with its id nor
    any rule for its event (a merchant who already texts on refunds keeps
    exactly what they wrote). Deterministic, so a document migrated on every
    read until its next save always gets the same rules with the same ids.
    """
    rules = doc.get("rules")
    rules = rules if isinstance(rules, list) else []
    ids = {r.get("id") for r in rules if isinstance(r, dict)}
    events = {r.get("event") for r in rules if isinstance(r, dict)}
    for make in ADDED_IN_V2:
        rule = make()
        if rule.id not in ids and rule.event not in events:
            rules.append(rule.model_copy(update={"enabled": False}).model_dump(mode="json"))
    doc["rules"] = rules
    doc["schema_version"] = 2
    return doc


def add_ready_made_automations(doc: dict[str, Any]) -> dict[str, Any]:
    """Configuration format 2 → 3: the ready-made automations, switched off as on a new install.

    Added by id only (not by event, unlike :func:`add_new_default_rules`):
    every shop already has rules for the orders they answer, and an
    automation is a delayed, switched-off extra the merchant ticks.
    """
    rules = doc.get("rules")
    rules = rules if isinstance(rules, list) else []
    ids = {r.get("id") for r in rules if isinstance(r, dict)}
    for rule in ready_made_automations():
        if rule.id not in ids:
            rules.append(rule.model_dump(mode="json"))
    doc["rules"] = rules
    doc["schema_version"] = 3
    return doc


def add_transactional_flags(doc: dict[str, Any]) -> dict[str, Any]:
    """Configuration format 3 → 4: every rule says whether it is transactional.

    Written out, not left to the model's default, so the flag a merchant sees
    is the one the upgrade chose: an instant rule about the order (not
    marketing, no delay) sends at any hour; automations, delayed and marketing
    rules wait for quiet hours to end and count towards the marketing caps.
    The new conditions, texts per language and settings start empty or at
    their defaults (quiet hours 21:00-08:00, shop time zone UTC, no caps).
    """
    rules = doc.get("rules")
    for rule in rules if isinstance(rules, list) else []:
        if isinstance(rule, dict) and "transactional" not in rule:
            rule["transactional"] = not rule.get("marketing") and not rule.get("delay_minutes")
    doc["schema_version"] = 4
    return doc
