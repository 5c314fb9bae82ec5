"""The Saleor events the app subscribes to, in the merchant's words.

One table drives the manifest's webhooks, the subscription documents in
``graphql/subscriptions/``, the rule editor's event picker and the worker's
dispatch, so adding an event is one row here plus one ``.graphql`` file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SaleorEvent:
    #: WebhookEventTypeAsyncEnum name, as in the manifest and in rules.
    name: str
    #: Name of the subscription document (and file) in graphql/subscriptions/.
    subscription: str
    #: What the merchant sees in the rule editor.
    label: str
    #: Whether rules can be attached (APP_DELETED is lifecycle only).
    for_rules: bool = True
    #: A customer account deleted in Saleor: its phone numbers are erased from
    #: the message log (:func:`saleor_sms_app.message_log.personal_data.erase_customer`).
    erases_customer: bool = False
    #: What the webhook is about, which picks the job's path: ``order`` (rules),
    #: ``checkout`` (abandoned-checkout reminders, :mod:`saleor_sms_app.checkouts`),
    #: ``stock`` (staff stock alerts, :mod:`saleor_sms_app.stock`), ``app``, ``customer``.
    subject: str = "order"

    @property
    def header_value(self) -> str:
        """The lower-case value Saleor puts in the ``Saleor-Event`` header."""
        return self.name.lower()


EVENTS: tuple[SaleorEvent, ...] = (
    SaleorEvent("ORDER_CREATED", "OrderCreated", "Order placed"),
    SaleorEvent("ORDER_CONFIRMED", "OrderConfirmed", "Order confirmed"),
    SaleorEvent("ORDER_UPDATED", "OrderUpdated", "Order updated"),
    SaleorEvent("ORDER_FULLY_PAID", "OrderFullyPaid", "Order fully paid"),
    # Saleor 3.23 sends ORDER_PAID for every payment, partial or full (and
    # ORDER_FULLY_PAID besides once the order is fully paid).
    SaleorEvent("ORDER_PAID", "OrderPaid", "Payment received (partly or fully paid)"),
    SaleorEvent("ORDER_EXPIRED", "OrderExpired", "Order expired (never paid)"),
    SaleorEvent("ORDER_CANCELLED", "OrderCancelled", "Order cancelled"),
    SaleorEvent("ORDER_FULFILLED", "OrderFulfilled", "Order fulfilled"),
    SaleorEvent("ORDER_REFUNDED", "OrderRefunded", "Order refunded (partly or fully)"),
    SaleorEvent("ORDER_FULLY_REFUNDED", "OrderFullyRefunded", "Order fully refunded"),
    SaleorEvent("FULFILLMENT_CREATED", "FulfillmentCreated", "Order shipped (fulfillment created)"),
    SaleorEvent(
        "FULFILLMENT_TRACKING_NUMBER_UPDATED",
        "FulfillmentTrackingNumberUpdated",
        "Tracking number added or changed",
    ),
    SaleorEvent("FULFILLMENT_CANCELED", "FulfillmentCanceled", "Shipment cancelled"),
    SaleorEvent("FULFILLMENT_APPROVED", "FulfillmentApproved", "Shipment approved"),
    # Abandoned-checkout reminders (need MANAGE_CHECKOUTS); not for rules: the
    # reminder steps are set in Settings.
    SaleorEvent(
        "CHECKOUT_CREATED",
        "CheckoutCreated",
        "Checkout started",
        for_rules=False,
        subject="checkout",
    ),
    SaleorEvent(
        "CHECKOUT_UPDATED",
        "CheckoutUpdated",
        "Checkout changed",
        for_rules=False,
        subject="checkout",
    ),
    # Staff stock alerts (need MANAGE_PRODUCTS), set in Settings.
    SaleorEvent(
        "PRODUCT_VARIANT_OUT_OF_STOCK",
        "ProductVariantOutOfStock",
        "Product out of stock",
        for_rules=False,
        subject="stock",
    ),
    SaleorEvent(
        "PRODUCT_VARIANT_BACK_IN_STOCK",
        "ProductVariantBackInStock",
        "Product back in stock",
        for_rules=False,
        subject="stock",
    ),
    SaleorEvent(
        "PRODUCT_VARIANT_STOCK_UPDATED",
        "ProductVariantStockUpdated",
        "Stock changed (low-stock alerts)",
        for_rules=False,
        subject="stock",
    ),
    SaleorEvent("APP_DELETED", "AppDeleted", "App uninstalled", for_rules=False, subject="app"),
    # Staff deleted a customer / a customer deleted their own account (both need
    # MANAGE_USERS, in the manifest's permissions).
    SaleorEvent(
        "CUSTOMER_DELETED",
        "CustomerDeleted",
        "Customer deleted",
        for_rules=False,
        erases_customer=True,
        subject="customer",
    ),
    SaleorEvent(
        "ACCOUNT_DELETED",
        "AccountDeleted",
        "Customer deleted their account",
        for_rules=False,
        erases_customer=True,
        subject="customer",
    ),
)

BY_NAME: dict[str, SaleorEvent] = {e.name: e for e in EVENTS}
BY_HEADER: dict[str, SaleorEvent] = {e.header_value: e for e in EVENTS}
RULE_EVENTS: tuple[str, ...] = tuple(e.name for e in EVENTS if e.for_rules)

#: Order statuses a rule can be limited to (Saleor's OrderStatus enum).
ORDER_STATUSES: tuple[str, ...] = (
    "DRAFT",
    "UNCONFIRMED",
    "UNFULFILLED",
    "PARTIALLY_FULFILLED",
    "PARTIALLY_RETURNED",
    "RETURNED",
    "FULFILLED",
    "CANCELED",
    "EXPIRED",
)
