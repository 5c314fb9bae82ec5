"""Stock: product variants with stock per warehouse, and the stock webhooks Saleor 3.23 sends
when an order or staff changes a quantity (PRODUCT_VARIANT_STOCK_UPDATED always; OUT_OF_STOCK
when it reaches 0, BACK_IN_STOCK when it leaves 0)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.standin.saleor.schema import global_id
from tests.standin.saleor.state import StandinState


def warehouse(name: str = "Main warehouse") -> dict[str, Any]:
    return {"__typename": "Warehouse", "id": global_id("Warehouse", uuid.uuid4()), "name": name}


def make_variant(
    product: str = "Monospace Tee", name: str = "M", sku: str = "TEE-M", **stock: int
) -> dict[str, Any]:
    return {
        "__typename": "ProductVariant",
        "id": global_id("ProductVariant", uuid.uuid4().int % 10**6),
        "name": name,
        "sku": sku,
        "product": {"__typename": "Product", "id": global_id("Product", 1), "name": product},
        "stocks": [],
        "metadata": [],
        "privateMetadata": [],
    }


class StockActions(StandinState):
    """The stock methods of :class:`~tests.standin.saleor.server.SaleorStandin`."""

    def set_stock(
        self, variant: dict[str, Any], where: dict[str, Any], quantity: int, allocated: int = 0
    ) -> list[tuple[str, bytes]]:
        """``productVariantStocksUpdate``: the quantity in ``where`` and the events it brings."""
        stocks = variant["stocks"]
        found = next((s for s in stocks if s["warehouse"]["id"] == where["id"]), None)
        before = None if found is None else found["quantity"] - found["quantityAllocated"]
        if found is None:
            found = {
                "__typename": "Stock",
                "id": global_id("Stock", uuid.uuid4()),
                "warehouse": where,
            }
            stocks.append(found)
        found.update(quantity=quantity, quantityAllocated=allocated)
        after = quantity - allocated
        fields = {"productVariant": variant, "warehouse": where}
        events: list[tuple[str, dict[str, Any]]] = [("PRODUCT_VARIANT_STOCK_UPDATED", fields)]
        if after <= 0 and (before is None or before > 0):
            events.append(("PRODUCT_VARIANT_OUT_OF_STOCK", fields))
        if after > 0 and before is not None and before <= 0:
            events.append(("PRODUCT_VARIANT_BACK_IN_STOCK", fields))
        return self._subscribed(events)
