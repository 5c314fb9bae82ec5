"""Orders: the ``Order`` dicts the stand-in holds, and what Saleor does to them (fulfil,
update tracking, refund, mark paid) with the webhooks Saleor 3.23 sends.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.standin.saleor.data import address, channel, metadata_items, money, taxed_money
from tests.standin.saleor.schema import global_id
from tests.standin.saleor.state import StandinState


def fulfillment(
    *,
    tracking_number: str = "",
    status: str = "FULFILLED",
    number: int = 1,
    created: datetime | None = None,
) -> dict[str, Any]:
    """A ``Fulfillment`` dict (what ``FulfillmentCreated.fulfillment`` carries)."""
    return {
        "__typename": "Fulfillment",
        "id": global_id("Fulfillment", uuid.uuid4().int % 1000000),
        "fulfillmentOrder": number,
        "status": status,
        "statusDisplay": status.capitalize(),
        "trackingNumber": tracking_number,
        "created": (created or datetime.now(UTC)).isoformat(),
        "lines": [],
        "warehouse": None,
        "metadata": [],
        "privateMetadata": [],
    }


_order_numbers = iter(range(1001, 10**9))


def make_order(
    *,
    number: int | str | None = None,
    status: str = "UNFULFILLED",
    channel_slug: str = "default-channel",
    channel_name: str = "Default Channel",
    currency: str = "USD",
    country_code: str = "US",
    phone: str | None = "+12025550123",
    shipping_phone: str | None = None,
    email: str = "jane.doe@example.com",
    first_name: str = "Jane",
    last_name: str = "Doe",
    registered: bool = True,
    customer_id: int | None = None,
    user_metadata: Mapping[str, str] | None = None,
    lines: Iterable[tuple[str, int, float]] = (("Apple Juice", 2, 3.0), ("Monospace Tee", 1, 21.0)),
    shipping: float = 5.0,
    shipping_method_name: str | None = "DHL",
    tracking_numbers: Iterable[str] = (),
    metadata: Mapping[str, str] | None = None,
    language: str = "EN_US",
    payment_status: str = "NOT_CHARGED",
    customer_note: str = "",
    created: datetime | None = None,
) -> dict[str, Any]:
    """An ``Order`` dict shaped like Saleor's, for the stand-in's data and for webhooks.

    ``phone`` goes on the billing address, ``shipping_phone`` (default: the same)
    on the shipping address; pass ``None`` for an order without a phone.
    Orders made with the same ``customer_id`` belong to one registered customer
    (``User.orders`` lists them); without one every order has its own customer.
    """
    created = created or datetime.now(UTC) - timedelta(minutes=1)
    order_uuid = uuid.uuid4()
    line_dicts = []
    subtotal = 0.0
    for index, (name, quantity, unit) in enumerate(lines, start=1):
        subtotal += quantity * unit
        line_dicts.append(
            {
                "__typename": "OrderLine",
                "id": global_id("OrderLine", uuid.uuid4()),
                "productName": name,
                "variantName": "",
                "productSku": f"SKU-{index:04d}",
                "productVariantId": global_id("ProductVariant", 100 + index),
                "isShippingRequired": True,
                "quantity": quantity,
                "quantityFulfilled": 0,
                "quantityToFulfill": quantity,
                "taxRate": 0.0,
                "unitPrice": taxed_money(unit, currency),
                "undiscountedUnitPrice": taxed_money(unit, currency),
                "totalPrice": taxed_money(quantity * unit, currency),
                "undiscountedTotalPrice": taxed_money(quantity * unit, currency),
                "translatedProductName": name,
                "translatedVariantName": "",
                "metadata": [],
                "privateMetadata": [],
            }
        )
    total = subtotal + shipping
    user = None
    if registered:
        user = {
            "__typename": "User",
            "id": global_id(
                "User", customer_id if customer_id is not None else uuid.uuid4().int % 100000
            ),
            "email": email,
            "firstName": first_name,
            "lastName": last_name,
            "isStaff": False,
            "isActive": True,
            "isConfirmed": True,
            "languageCode": language,
            "metadata": metadata_items(user_metadata),
            "privateMetadata": [],
        }
    billing = address(
        first_name=first_name, last_name=last_name, phone=phone, country_code=country_code
    )
    shipping_address = address(
        first_name=first_name,
        last_name=last_name,
        phone=shipping_phone if shipping_phone is not None else phone,
        country_code=country_code,
    )
    fulfillments = [
        fulfillment(tracking_number=t, number=i) for i, t in enumerate(tracking_numbers, start=1)
    ]
    return {
        "__typename": "Order",
        "id": global_id("Order", order_uuid),
        "number": str(number if number is not None else next(_order_numbers)),
        "status": status,
        "statusDisplay": status.replace("_", " ").capitalize(),
        "created": created.isoformat(),
        "updatedAt": datetime.now(UTC).isoformat(),
        "userEmail": email,
        "user": user,
        "billingAddress": billing,
        "shippingAddress": shipping_address,
        "channel": channel(
            channel_slug, name=channel_name, currency=currency, country_code=country_code
        ),
        "total": taxed_money(total, currency),
        "undiscountedTotal": taxed_money(total, currency),
        "subtotal": taxed_money(subtotal, currency),
        "shippingPrice": taxed_money(shipping, currency),
        "undiscountedShippingPrice": money(shipping, currency),
        "totalCharged": money(total if payment_status == "FULLY_CHARGED" else 0.0, currency),
        "shippingMethodName": shipping_method_name,
        "collectionPointName": None,
        "lines": line_dicts,
        "fulfillments": fulfillments,
        "metadata": metadata_items(metadata),
        "privateMetadata": [],
        "languageCode": language.lower().replace("_", "-"),
        "languageCodeEnum": language,
        "paymentStatus": payment_status,
        "paymentStatusDisplay": payment_status.replace("_", " ").capitalize(),
        "isPaid": payment_status == "FULLY_CHARGED",
        "totalRefunded": money(total if payment_status == "FULLY_REFUNDED" else 0.0, currency),
        "chargeStatus": "FULL" if payment_status == "FULLY_CHARGED" else "NONE",
        "authorizeStatus": "NONE",
        "origin": "CHECKOUT",
        "customerNote": customer_note,
        "isShippingRequired": True,
        "displayGrossPrices": True,
        "externalReference": None,
        "trackingClientId": "",
        "token": str(order_uuid),
        "events": [],
        "discounts": [],
        "invoices": [],
        "giftCards": [],
        "transactions": [],
        "errors": [],
    }


class OrderActions(StandinState):
    """The order methods of :class:`~tests.standin.saleor.server.SaleorStandin`."""

    def make_order(self, **kwargs: Any) -> dict[str, Any]:
        """Create and store an order (see :func:`make_order`); the dict is live data."""
        order = make_order(**kwargs)
        self.orders[order["id"]] = order
        return order

    def add_order(self, order: dict[str, Any]) -> dict[str, Any]:
        self.orders[order["id"]] = order
        return order

    # ----------------------------------------------------------------- what Saleor does

    def fulfil(
        self, order: dict[str, Any], *, tracking_number: str = "", notify_customer: bool = True
    ) -> list[tuple[str, bytes]]:
        """``orderFulfill`` of every line: a new fulfilment, and the webhooks Saleor 3.23 sends.

        As Saleor's ``create_fulfillments`` (``saleor/order/actions.py``): it calls
        ``tracking_number_updated`` right after creating a fulfilment that has a
        number, inside its transaction, and ``order_fulfilled`` then sends
        ORDER_UPDATED, FULFILLMENT_CREATED and, the order being fulfilled now,
        ORDER_FULFILLED. So the tracking webhook usually comes first. Returns
        (event, body) in that order, only for events the app subscribed to;
        deliver them in any order with :meth:`deliver`.
        """
        new = fulfillment(tracking_number=tracking_number, number=len(order["fulfillments"]) + 1)
        order["fulfillments"].append(new)
        order["status"] = "FULFILLED"
        for line in order["lines"]:
            line["quantityFulfilled"], line["quantityToFulfill"] = line["quantity"], 0
        fields = {"order": order, "fulfillment": new}
        events: list[tuple[str, dict[str, Any]]] = []
        if tracking_number:
            events.append(("FULFILLMENT_TRACKING_NUMBER_UPDATED", fields))
        events += [
            ("ORDER_UPDATED", {"order": order}),
            ("FULFILLMENT_CREATED", {**fields, "notifyCustomer": notify_customer}),
            ("ORDER_FULFILLED", {"order": order}),
        ]
        return self._subscribed(events)

    def update_tracking(
        self, order: dict[str, Any], fulfillment_id: str, tracking_number: str
    ) -> list[tuple[str, bytes]]:
        """``orderFulfillmentUpdateTracking``: FULFILLMENT_TRACKING_NUMBER_UPDATED and
        ORDER_UPDATED, never FULFILLMENT_CREATED (seen on a real Saleor 3.23)."""
        (found,) = [f for f in order["fulfillments"] if f["id"] == fulfillment_id]
        found["trackingNumber"] = tracking_number
        return self._subscribed(
            [
                ("FULFILLMENT_TRACKING_NUMBER_UPDATED", {"order": order, "fulfillment": found}),
                ("ORDER_UPDATED", {"order": order}),
            ]
        )

    def refund(self, order: dict[str, Any], amount: float) -> list[tuple[str, bytes]]:
        """A refund of ``amount`` (``transactionUpdate`` of the charge with a refund).

        As Saleor's ``order_refunded``: ORDER_REFUNDED, ORDER_UPDATED, and
        ORDER_FULLY_REFUNDED once the refunds reach the order's total (a real
        Saleor 3.23 sent ORDER_REFUNDED and ORDER_FULLY_REFUNDED for a full refund).
        """
        gross = order["total"]["gross"]
        refunded = round(order["totalRefunded"]["amount"] + amount, 2)
        order["totalRefunded"] = money(refunded, gross["currency"])
        events: list[tuple[str, dict[str, Any]]] = [
            ("ORDER_REFUNDED", {"order": order}),
            ("ORDER_UPDATED", {"order": order}),
        ]
        if refunded >= gross["amount"]:
            events.append(("ORDER_FULLY_REFUNDED", {"order": order}))
        return self._subscribed(events)

    def mark_paid(self, order: dict[str, Any]) -> list[tuple[str, bytes]]:
        """``orderMarkAsPaid``: the order is fully charged; ORDER_FULLY_PAID and ORDER_UPDATED
        (Saleor's ``mark_order_as_paid_with_transaction``)."""
        gross = order["total"]["gross"]
        order["totalCharged"] = money(gross["amount"], gross["currency"])
        order.update(paymentStatus="FULLY_CHARGED", isPaid=True, chargeStatus="FULL")
        return self._subscribed(
            [("ORDER_FULLY_PAID", {"order": order}), ("ORDER_UPDATED", {"order": order})]
        )

    def pay(self, order: dict[str, Any], amount: float) -> list[tuple[str, bytes]]:
        """A charge of ``amount`` (a transaction event): ORDER_PAID for every payment, partial
        or full, ORDER_FULLY_PAID besides once the charges reach the total, and ORDER_UPDATED
        (Saleor's ``order_charged``; the order of the three as modelled, not captured)."""
        gross = order["total"]["gross"]
        charged = round(order["totalCharged"]["amount"] + amount, 2)
        order["totalCharged"] = money(charged, gross["currency"])
        full = charged >= gross["amount"]
        order.update(
            chargeStatus="FULL" if full else "PARTIAL",
            paymentStatus="FULLY_CHARGED" if full else "PARTIALLY_CHARGED",
            isPaid=full,
        )
        events: list[tuple[str, dict[str, Any]]] = []
        if full:
            events.append(("ORDER_FULLY_PAID", {"order": order}))
        events += [("ORDER_PAID", {"order": order}), ("ORDER_UPDATED", {"order": order})]
        return self._subscribed(events)

    def fulfil_awaiting_approval(self, order: dict[str, Any]) -> dict[str, Any]:
        """``orderFulfill`` in a channel that requires approval: a WAITING_FOR_APPROVAL
        fulfilment, no shipped webhooks yet."""
        new = fulfillment(status="WAITING_FOR_APPROVAL", number=len(order["fulfillments"]) + 1)
        order["fulfillments"].append(new)
        return new

    def approve_fulfillment(
        self, order: dict[str, Any], found: dict[str, Any], *, notify_customer: bool = True
    ) -> list[tuple[str, bytes]]:
        """``orderFulfillmentApprove``: FULFILLMENT_APPROVED (with the staff's "notify
        customer" tick) and ORDER_UPDATED."""
        found.update(status="FULFILLED", statusDisplay="Fulfilled")
        return self._subscribed(
            [
                (
                    "FULFILLMENT_APPROVED",
                    {"order": order, "fulfillment": found, "notifyCustomer": notify_customer},
                ),
                ("ORDER_UPDATED", {"order": order}),
            ]
        )

    def cancel_fulfillment(
        self, order: dict[str, Any], found: dict[str, Any]
    ) -> list[tuple[str, bytes]]:
        """``orderFulfillmentCancel``: FULFILLMENT_CANCELED and ORDER_UPDATED."""
        found.update(status="CANCELED", statusDisplay="Canceled")
        order["status"] = "UNFULFILLED"
        return self._subscribed(
            [
                ("FULFILLMENT_CANCELED", {"order": order, "fulfillment": found}),
                ("ORDER_UPDATED", {"order": order}),
            ]
        )

    def expire(self, order: dict[str, Any]) -> list[tuple[str, bytes]]:
        """Saleor's expiry of an unconfirmed, unpaid order: ORDER_EXPIRED and ORDER_UPDATED."""
        order["status"] = "EXPIRED"
        return self._subscribed(
            [("ORDER_EXPIRED", {"order": order}), ("ORDER_UPDATED", {"order": order})]
        )
