"""The stand-in Saleor's customers: addresses, metadata and orders, paged like Saleor.

``customers(first, after, where)`` answers as Saleor 3.23 does for what the app
asks: at most 100 a page (more is Saleor's own error), opaque cursors,
``totalCount``, and the ``CustomerWhereInput`` filters the app sends (date
joined, number of orders, placed orders at, any address's country, metadata
key and value, ids), with Saleor's semantics (``addresses.country`` matches any
address; ``placedOrdersAt`` any order). ``User.orders`` lists the newest order
first. The document is validated against the real schema by the stand-in.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

from tests.standin.paging import connection

if TYPE_CHECKING:
    from tests.standin.saleor.schema import ResolveInfo

#: Saleor's most objects a connection returns at once.
MAX_FIRST = 100


def make_customer(
    pk: int,
    *,
    email: str | None = None,
    first_name: str = "Anna",
    last_name: str = "Nowak",
    shipping: Mapping[str, Any] | None = None,
    billing: Mapping[str, Any] | None = None,
    addresses: Iterable[Mapping[str, Any]] = (),
    metadata: Mapping[str, str] | None = None,
    joined: datetime | None = None,
    orders: Iterable[datetime] = (),
) -> dict[str, Any]:
    """A customer as Saleor's ``User`` type holds one (addresses from ``saleor.address``)."""
    from tests.standin.saleor import global_id, metadata_items

    placed = sorted((o.astimezone(UTC) for o in orders), reverse=True)
    every_address = [a for a in (shipping, billing, *addresses) if a is not None]
    return {
        "__typename": "User",
        "id": global_id("User", pk),
        "email": email or f"customer{pk}@example.com",
        "firstName": first_name,
        "lastName": last_name,
        "isActive": True,
        "dateJoined": (joined or datetime(2025, 1, 1, tzinfo=UTC)).isoformat(),
        "metadata": metadata_items(metadata),
        "privateMetadata": [],
        "defaultShippingAddress": dict(shipping) if shipping else None,
        "defaultBillingAddress": dict(billing) if billing else None,
        "addresses": [dict(a) for a in every_address],
        "_placed": placed,
    }


def _orders_field(placed: list[datetime]) -> Callable[..., dict[str, Any]]:
    def resolve(info: ResolveInfo, **args: Any) -> dict[str, Any]:
        first = min(int(args.get("first") or MAX_FIRST), MAX_FIRST)
        return {
            "totalCount": len(placed),
            "edges": [
                {"cursor": str(i), "node": {"created": when.isoformat()}}
                for i, when in enumerate(placed[:first])
            ],
            "pageInfo": {"hasNextPage": len(placed) > first, "endCursor": None},
        }

    return resolve


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _in_range(value: datetime, bounds: Mapping[str, Any] | None) -> bool:
    if not bounds:
        return True
    low, high = bounds.get("gte"), bounds.get("lte")
    return (low is None or value >= _when(low)) and (high is None or value <= _when(high))


def _int_matches(value: int, spec: Mapping[str, Any]) -> bool:
    if spec.get("eq") is not None and value != spec["eq"]:
        return False
    if spec.get("oneOf") is not None and value not in spec["oneOf"]:
        return False
    bounds = spec.get("range") or {}
    low, high = bounds.get("gte"), bounds.get("lte")
    return (low is None or value >= low) and (high is None or value <= high)


def _matches(customer: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    if where.get("ids") is not None and customer["id"] not in where["ids"]:
        return False
    if not _in_range(_when(customer["dateJoined"]), where.get("dateJoined")):
        return False
    placed: list[datetime] = customer["_placed"]
    if where.get("numberOfOrders") and not _int_matches(len(placed), where["numberOfOrders"]):
        return False
    if where.get("placedOrdersAt") and not any(
        _in_range(p, where["placedOrdersAt"]) for p in placed
    ):
        return False
    country = (where.get("addresses") or {}).get("country") or {}
    codes = {a["country"]["code"] for a in customer["addresses"]}
    if country.get("eq") and country["eq"] not in codes:
        return False
    if country.get("oneOf") and not codes & set(country["oneOf"]):
        return False
    meta = where.get("metadata")
    if meta:
        values = {i["key"]: i["value"] for i in customer["metadata"]}
        if meta["key"] not in values:
            return False
        wanted = meta.get("value") or {}
        if wanted.get("eq") is not None and values[meta["key"]] != wanted["eq"]:
            return False
        if wanted.get("oneOf") is not None and values[meta["key"]] not in wanted["oneOf"]:
            return False
    return True


def _cursor(index: int) -> str:
    return base64.b64encode(f"customer:{index}".encode()).decode()


def _index(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise GraphQLError(f"Invalid cursor: {cursor}") from None


@dataclass
class CustomerBook:
    """The shop's customers, in the order Saleor lists them (by id)."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    #: Pages served (the app must read 100 a call, never one call per customer).
    pages_served: int = 0

    def __post_init__(self) -> None:
        self._matching: dict[str, list[dict[str, Any]]] = {}

    def add(self, customer: dict[str, Any]) -> dict[str, Any]:
        self.customers.append(customer)
        self._matching.clear()
        return customer

    def extend(self, customers: Iterable[dict[str, Any]]) -> None:
        self.customers.extend(customers)
        self._matching.clear()

    def _filtered(self, where: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        key = json.dumps(where or {}, sort_keys=True)
        if key not in self._matching:
            self._matching[key] = [c for c in self.customers if _matches(c, where or {})]
        return self._matching[key]

    def resolvers(self, need_app: Callable[[ResolveInfo, str], None]) -> dict[str, Any]:
        def customers(info: ResolveInfo, **args: Any) -> dict[str, Any]:
            need_app(info, "MANAGE_USERS")
            first = args.get("first")
            if first is None or first > MAX_FIRST:
                raise GraphQLError(
                    f"Requesting {first} records on the `customers` connection exceeds the "
                    f"`first` limit of {MAX_FIRST} records."
                )
            items = self._filtered(args.get("where"))
            start = _index(args["after"]) + 1 if args.get("after") else 0
            self.pages_served += 1
            return connection(
                items,
                start,
                first,
                _cursor,
                lambda node: {**node, "orders": _orders_field(node["_placed"])},
            )

        return {"customers": customers}
