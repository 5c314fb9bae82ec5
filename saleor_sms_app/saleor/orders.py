"""Orders from Saleor, fetched with the app token through ``graphql/queries/``.

Webhook payloads carry only what is needed to key the job; the worker fetches
the order fresh here, so a message says what the order is *now* (a retried job
an hour later does not text a stale total) and every template token has data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from saleor_sms_app.errors import NotFound
from saleor_sms_app.message_templates.order_tokens import money_text
from saleor_sms_app.saleor.client import SaleorClient


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as the ``SmsOrder`` fragment returns it, with the shop it belongs to."""

    order: dict[str, Any]
    shop_name: str


def fetch_order(client: SaleorClient, order_id: str) -> OrderSnapshot:
    """The order now; :class:`NotFound` when Saleor no longer has it (or hides it from us)."""
    data = client.execute("OrderForSms", {"id": order_id})
    order = data.get("order")
    if not isinstance(order, dict):
        raise NotFound(f"Saleor has no order {order_id!r}", code="order_not_found")
    shop = data.get("shop") or {}
    return OrderSnapshot(order=order, shop_name=str(shop.get("name") or ""))


#: Saleor's page limit: the most orders one ``OrdersForSms`` call returns.
ORDERS_PER_CALL = 100


def fetch_orders(client: SaleorClient, order_ids: list[str]) -> dict[str, OrderSnapshot]:
    """The orders now, by id, :data:`ORDERS_PER_CALL` per GraphQL call.

    An id missing from the answer is an order Saleor no longer has (deleted,
    or hidden from the app); the caller treats it as gone.
    """
    found: dict[str, OrderSnapshot] = {}
    unique = list(dict.fromkeys(order_ids))
    for start in range(0, len(unique), ORDERS_PER_CALL):
        chunk = unique[start : start + ORDERS_PER_CALL]
        data = client.execute("OrdersForSms", {"ids": chunk, "first": len(chunk)})
        shop_name = str((data.get("shop") or {}).get("name") or "")
        for edge in (data.get("orders") or {}).get("edges") or []:
            node = edge.get("node") if isinstance(edge, dict) else None
            if isinstance(node, dict) and node.get("id"):
                found[str(node["id"])] = OrderSnapshot(order=node, shop_name=shop_name)
    return found


@dataclass(frozen=True)
class OrderSummary:
    """One row of the dashboard's "preview with a real order" picker."""

    id: str
    number: str
    created: str
    customer_name: str
    total: str


def _customer_name(node: dict[str, Any]) -> str:
    for person in (node.get("user"), node.get("billingAddress")):
        if isinstance(person, dict):
            name = f"{person.get('firstName') or ''} {person.get('lastName') or ''}".strip()
            if name:
                return name
    return str(node.get("userEmail") or "")


def recent_orders(client: SaleorClient, first: int = 20) -> list[OrderSummary]:
    """The newest ``first`` orders (at most 100, Saleor's page limit)."""
    data = client.execute("RecentOrders", {"first": max(1, min(first, 100))})
    edges = (data.get("orders") or {}).get("edges") or []
    summaries: list[OrderSummary] = []
    for edge in edges:
        node = edge.get("node") if isinstance(edge, dict) else None
        if not isinstance(node, dict):
            continue
        summaries.append(
            OrderSummary(
                id=str(node.get("id") or ""),
                number=str(node.get("number") or ""),
                created=str(node.get("created") or ""),
                customer_name=_customer_name(node),
                total=money_text(node.get("total")),
            )
        )
    return summaries
