"""Checkouts: the ``Checkout`` dicts the stand-in holds, and what a shopper and Saleor do with
them (start, change, complete into an order) with the webhooks Saleor 3.23 sends.

Completing a checkout deletes it and creates an order whose ``checkoutId`` is the
checkout's id, as Saleor's ``checkoutComplete`` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tests.standin.saleor.data import address, channel, metadata_items, money, taxed_money
from tests.standin.saleor.orders import make_order
from tests.standin.saleor.schema import global_id
from tests.standin.saleor.state import StandinState


def make_checkout(
    *,
    phone: str | None = "+12025550123",
    billing_phone: str | None = None,
    email: str = "jane.doe@example.com",
    first_name: str = "Jane",
    metadata: Mapping[str, str] | None = None,
    user_metadata: Mapping[str, str] | None = None,
    registered: bool = False,
    lines: Iterable[tuple[str, int, float]] = (("Apple Juice", 2, 3.0),),
    currency: str = "USD",
    channel_slug: str = "default-channel",
) -> dict[str, Any]:
    """A ``Checkout`` dict: ``phone`` on the shipping address, ``billing_phone`` on billing."""
    token = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    line_dicts = []
    total = 0.0
    for index, (name, quantity, unit) in enumerate(lines, start=1):
        total += quantity * unit
        line_dicts.append(
            {
                "__typename": "CheckoutLine",
                "id": global_id("CheckoutLine", uuid.uuid4()),
                "quantity": quantity,
                "variant": {
                    "__typename": "ProductVariant",
                    "id": global_id("ProductVariant", 100 + index),
                    "name": "",
                    "sku": f"SKU-{index:04d}",
                    "product": {
                        "__typename": "Product",
                        "id": global_id("Product", index),
                        "name": name,
                    },
                },
                "totalPrice": taxed_money(quantity * unit, currency),
                "metadata": [],
                "privateMetadata": [],
            }
        )
    user = None
    if registered:
        user = {
            "__typename": "User",
            "id": global_id("User", uuid.uuid4().int % 100000),
            "email": email,
            "firstName": first_name,
            "lastName": "Doe",
            "metadata": metadata_items(user_metadata),
            "privateMetadata": [],
        }
    return {
        "__typename": "Checkout",
        "id": global_id("Checkout", token),
        "token": token,
        "created": now,
        "updatedAt": now,
        "email": email,
        "languageCode": "EN_US",
        "channel": channel(channel_slug, currency=currency),
        "metadata": metadata_items(metadata),
        "privateMetadata": [],
        "user": user,
        "shippingAddress": address(first_name=first_name, phone=phone) if phone else None,
        "billingAddress": address(first_name=first_name, phone=billing_phone)
        if billing_phone
        else None,
        "lines": line_dicts,
        "totalPrice": taxed_money(total, currency),
        "subtotalPrice": taxed_money(total, currency),
        "totalBalance": money(-total, currency),
    }


class CheckoutActions(StandinState):
    """The checkout methods of :class:`~tests.standin.saleor.server.SaleorStandin`."""

    def start_checkout(self, **kwargs: Any) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        """``checkoutCreate``: the new checkout and CHECKOUT_CREATED (if subscribed)."""
        checkout = make_checkout(**kwargs)
        self.checkouts[checkout["id"]] = checkout
        return checkout, self._subscribed([("CHECKOUT_CREATED", {"checkout": checkout})])

    def change_checkout(self, checkout: dict[str, Any], **fields: Any) -> list[tuple[str, bytes]]:
        """A checkout mutation (address, lines, metadata ...): CHECKOUT_UPDATED."""
        checkout.update(fields)
        checkout["updatedAt"] = datetime.now(UTC).isoformat()
        return self._subscribed([("CHECKOUT_UPDATED", {"checkout": checkout})])

    def complete_checkout(
        self, checkout: dict[str, Any], *, created: datetime | None = None
    ) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        """``checkoutComplete``: the checkout is deleted, an order made from it (ORDER_CREATED)."""
        self.checkouts.pop(checkout["id"], None)
        phone = (checkout.get("shippingAddress") or checkout.get("billingAddress") or {}).get(
            "phone"
        )
        order = make_order(email=checkout["email"], phone=phone, created=created)
        order["checkoutId"] = checkout["id"]
        self.orders[order["id"]] = order
        return order, self._subscribed([("ORDER_CREATED", {"order": order})])
