"""The configuration a new install starts with: the standard templates, sandbox sending.

Like the add-ons merchants know (Lightspeed's standard templates, msSMS's
per-status texts), a fresh install already has the usual messages written, so
the first order after installing shows the whole flow working. Everything goes
through the ``sandbox`` provider until a real one is set up, so nothing is
texted (or paid for) by surprise. The staff message is on but has nobody to
text until staff numbers are entered; the log says so on every order.

Rule ids are fixed so that messages logged before and after the merchant first
saves the configuration share their de-duplication keys.
"""

from __future__ import annotations

from saleor_sms_app.automations.ready_made import ready_made_automations
from saleor_sms_app.config.model import AppConfig, ProviderConfig, Recipients, Rule

SANDBOX_PROVIDER_ID = "sandbox"

ORDER_CONFIRMATION = (
    "{{ shop.name }}: thank you for your order {{ order.number }} ({{ order.total }}). "
    "We will text you when it ships."
)
ORDER_SHIPPED = (
    "{{ shop.name }}: your order {{ order.number }} is on its way."
    "{% if order.tracking_number %} Tracking number: {{ order.tracking_number }}{% endif %}"
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
            Rule(
                id="customer-order-confirmation",
                name="Customer: order confirmation",
                event="ORDER_CREATED",
                recipients=Recipients(customer=True),
                template=ORDER_CONFIRMATION,
            ),
            Rule(
                id="customer-order-shipped",
                name="Customer: order shipped",
                event="FULFILLMENT_CREATED",
                recipients=Recipients(customer=True),
                template=ORDER_SHIPPED,
            ),
            Rule(
                id="customer-order-cancelled",
                name="Customer: order cancelled",
                event="ORDER_CANCELLED",
                recipients=Recipients(customer=True),
                template=ORDER_CANCELLED,
            ),
            Rule(
                id="staff-new-order",
                name="Staff: new order",
                event="ORDER_CREATED",
                recipients=Recipients(staff=True),
                template=STAFF_NEW_ORDER,
            ),
            *ready_made_automations(),
        ],
    )
