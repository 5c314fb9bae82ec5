"""The ready-made automations a new install gets, switched off so the merchant only ticks them.

Each is an ordinary rule with a delay and "send only if" conditions, so the
merchant edits it like any other. Saleor has no "delivered" event: the
come-back promo counts from ORDER_FULFILLED (everything shipped).
"""

from __future__ import annotations

from saleor_sms_app.config.model import Recipients, Rule, SendOnlyIf

REMIND_TO_PAY = (
    "{{ shop.name }}: your order {{ order.number }} ({{ order.total }}) is waiting for "
    "payment. Pay now to get it on its way."
)
REVIEW_REQUEST = (
    "{{ shop.name }}: how do you like your order {{ order.number }}? We would love a short review."
)
COME_BACK_PROMO = (
    "{{ shop.name }}: thank you for shopping with us, {{ customer.first_name }}! "
    "Come back for 10% off with the code COMEBACK10."
)


def ready_made_automations() -> list[Rule]:
    """Remind to pay, review request and come-back promo, all switched off."""
    return [
        Rule(
            id="automation-remind-to-pay",
            name="Automation: remind to pay",
            enabled=False,
            event="ORDER_CREATED",
            recipients=Recipients(customer=True),
            template=REMIND_TO_PAY,
            delay_minutes=2 * 60,
            send_only_if=SendOnlyIf(charge_statuses=["NONE", "PARTIAL"], not_cancelled=True),
            send_no_later_than_minutes=6 * 60,
        ),
        Rule(
            id="automation-review-request",
            name="Automation: review request",
            enabled=False,
            event="FULFILLMENT_CREATED",
            recipients=Recipients(customer=True),
            template=REVIEW_REQUEST,
            delay_minutes=7 * 24 * 60,
            send_only_if=SendOnlyIf(
                statuses_not=["RETURNED", "PARTIALLY_RETURNED"],
                not_cancelled=True,
                not_refunded=True,
            ),
            send_no_later_than_minutes=2 * 24 * 60,
        ),
        Rule(
            id="automation-come-back-promo",
            name="Automation: come-back promo (type your code into the text)",
            enabled=False,
            event="ORDER_FULFILLED",
            recipients=Recipients(customer=True),
            template=COME_BACK_PROMO,
            # An offer: it ends with the shop's opt-out line.
            marketing=True,
            delay_minutes=14 * 24 * 60,
            send_only_if=SendOnlyIf(
                statuses_not=["RETURNED", "PARTIALLY_RETURNED"],
                not_cancelled=True,
                not_refunded=True,
            ),
            send_no_later_than_minutes=3 * 24 * 60,
        ),
    ]
