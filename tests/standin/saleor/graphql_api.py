"""The root resolvers of the stand-in's ``/graphql/``: what the app may query and mutate."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tests.standin.paging import connection
from tests.standin.saleor.data import metadata_items
from tests.standin.saleor.schema import ResolveInfo, _permission_denied, saleor_schema
from tests.standin.saleor_webhooks import subscription_problems

if TYPE_CHECKING:
    from tests.standin.saleor.server import SaleorStandin


def root_resolvers(self: SaleorStandin) -> dict[str, Any]:
    """The root value for one request to ``self`` (a :class:`SaleorStandin`)."""

    def need_app(info: ResolveInfo, permission: str) -> None:
        if not info.context["app"]:
            raise _permission_denied(permission)

    def app(info: ResolveInfo, id: str | None = None) -> dict[str, Any] | None:
        need_app(info, "AUTHENTICATED_APP")
        if id is not None and id != self.app_id:
            return None
        return self.app_object()

    def order(
        info: ResolveInfo, id: str | None = None, externalReference: str | None = None
    ) -> dict[str, Any] | None:
        need_app(info, "MANAGE_ORDERS")
        if id is not None:
            return self.orders.get(id)
        for candidate in self.orders.values():
            if externalReference and candidate.get("externalReference") == externalReference:
                return candidate
        return None

    def orders(info: ResolveInfo, **args: Any) -> dict[str, Any]:
        need_app(info, "MANAGE_ORDERS")
        items = list(self.orders.values())
        where = args.get("where") or {}
        wanted = where.get("ids")
        if wanted is not None:
            # Saleor's ``where: {ids: [...]}``: the orders it has of those (picked
            # before sorting, which is stable, so the page is the same).
            wanted_ids = set(wanted)
            items = [o for o in items if o["id"] in wanted_ids]
        if set(where) - {"ids"}:
            items = [o for o in items if order_matches(o, where)]
        items.sort(key=lambda o: o["created"], reverse=True)  # newest first
        start = int(base64.b64decode(args["after"]).decode()) + 1 if args.get("after") else 0
        first = args.get("first") or 100
        return connection(items, start, first, lambda i: base64.b64encode(str(i).encode()).decode())

    def checkout(
        info: ResolveInfo, id: str | None = None, token: str | None = None
    ) -> dict[str, Any] | None:
        need_app(info, "MANAGE_CHECKOUTS")
        return self.checkouts.get(id or "")

    def current_app(info: ResolveInfo) -> str:
        need_app(info, "AUTHENTICATED_APP")
        assert self.app_id is not None
        return self.app_id

    def target(id: str) -> tuple[dict[str, Any] | None, bool]:
        """(the object with this id, whether it is the app itself)."""
        if id == self.app_id:
            return self.app_object(), True
        return self.orders.get(id), False

    def metadata_mutation(private: bool, delete: bool) -> Callable[..., dict[str, Any]]:
        mutation = ("delete" if delete else "update") + ("Private" if private else "") + "Metadata"

        def resolve(info: ResolveInfo, id: str, **args: Any) -> dict[str, Any]:
            need_app(info, "MANAGE_ORDERS")
            obj, is_app = target(id)
            if obj is None:
                return {
                    "__typename": mutation[0].upper() + mutation[1:],
                    "item": None,
                    "errors": [
                        {
                            "__typename": "MetadataError",
                            "field": "id",
                            "message": f"Couldn't resolve to a node: {id}",
                            "code": "NOT_FOUND",
                        }
                    ],
                }
            if is_app:
                store = self.app_private_metadata if private else self.app_metadata
                if delete:
                    for key in args["keys"]:
                        store.pop(key, None)
                else:
                    for item in args["input"]:
                        store[item["key"]] = item["value"]
                obj = self.app_object()
            else:
                key_name = "privateMetadata" if private else "metadata"
                current = {i["key"]: i["value"] for i in obj[key_name]}
                if delete:
                    for key in args["keys"]:
                        current.pop(key, None)
                else:
                    current.update({i["key"]: i["value"] for i in args["input"]})
                obj[key_name] = metadata_items(current)
            return {"item": obj, "errors": []}

        return resolve

    by_user: dict[str, list[dict[str, Any]]] | None = None

    def orders_of(user_id: str) -> list[dict[str, Any]]:
        """The customer's orders, in the stand-in's order. Indexed once per request
        on first use: scanning every order for each of a page's 100 orders cost
        a page of 10,000 orders about a million look-ups."""
        nonlocal by_user
        if by_user is None:
            by_user = {}
            for o in self.orders.values():
                owner = (o.get("user") or {}).get("id")
                if owner is not None:
                    by_user.setdefault(owner, []).append(o)
        return by_user.get(user_id, [])

    def user_orders(user_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
        status = ((args.get("where") or {}).get("status")) or {}
        allowed = status.get("oneOf") or ([status["eq"]] if status.get("eq") else None)
        mine = [o for o in orders_of(user_id) if allowed is None or o["status"] in allowed]
        first = args.get("first") or 100
        return {
            "totalCount": len(mine),
            "edges": [{"cursor": str(i), "node": o} for i, o in enumerate(mine[:first])],
            "pageInfo": {
                "hasNextPage": len(mine) > first,
                "hasPreviousPage": False,
                "startCursor": None,
                "endCursor": None,
            },
        }

    return {
        "_user_orders": user_orders,
        "app": app,
        "shop": lambda info: self.shop_object(),
        "order": order,
        "orders": orders,
        "checkout": checkout,
        "me": None,
        "updatePrivateMetadata": metadata_mutation(private=True, delete=False),
        "deletePrivateMetadata": metadata_mutation(private=True, delete=True),
        "updateMetadata": metadata_mutation(private=False, delete=False),
        "deleteMetadata": metadata_mutation(private=False, delete=True),
        **self.customers.resolvers(need_app),
        **self.webhook_registry.resolvers(
            current_app, lambda query: subscription_problems(saleor_schema(), query)
        ),
    }


def order_matches(order: dict[str, Any], where: dict[str, Any]) -> bool:
    """Saleor's ``OrderWhereInput`` for the fields the app uses: AND, OR, createdAt,
    checkoutId, userEmail, billing/shipping address phoneNumber (``eq``/``oneOf``)."""

    def one_of(value: Any, condition: dict[str, Any]) -> bool:
        if "eq" in condition and condition["eq"] is not None:
            return bool(value == condition["eq"])
        return value in (condition.get("oneOf") or [])

    for name, condition in where.items():
        if name == "AND" and not all(order_matches(order, w) for w in condition):
            return False
        if name == "OR" and not any(order_matches(order, w) for w in condition):
            return False
        if name == "createdAt":
            created = datetime.fromisoformat(order["created"])
            gte, lte = condition.get("gte"), condition.get("lte")
            if gte is not None and created < datetime.fromisoformat(str(gte)):
                return False
            if lte is not None and created > datetime.fromisoformat(str(lte)):
                return False
        if name == "checkoutId" and not one_of(order.get("checkoutId"), condition):
            return False
        if name == "userEmail" and not one_of(order.get("userEmail"), condition):
            return False
        if name in ("billingAddress", "shippingAddress"):
            phone = (order.get(name) or {}).get("phone")
            if not one_of(phone, condition.get("phoneNumber") or {}):
                return False
    return True
