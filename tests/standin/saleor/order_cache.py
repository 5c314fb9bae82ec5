"""The stand-in's executed orders, kept while nothing they depend on has changed.

graphql-core executing the app's ``SmsOrder`` fragment costs about 1 ms per
order (some 350 fields), so a page of 100 orders took the stand-in 100 ms, more
than the app spends re-checking and texting them; in the scheduler and campaign
benchmarks the fake, not the app, was then what was measured. This executor
(graphql-core's own, see :class:`OrderCachingExecutor`) keeps the completed
``Order`` object of each selection and hands a fresh copy of it out again for
the same selection, variables, caller and order state.

"Order state" is everything the ``Order`` subtree reads (see
``tests/standin/saleor/schema.py`` ``_field_resolver``): the order's own data
and, through ``User.orders``, the customer's other orders. Both go into the
key as their JSON, so any change (status, metadata, a line, another order of
the customer) misses the cache. An order holding something JSON cannot write
(a callable field) or whose execution raised a field error is never kept.
``tests/saleor/test_standin_order_cache.py`` checks the answers stay identical
to plain graphql-core for the app's documents, before and after changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from graphql.execution.executor import Executor
from graphql.pyutils import Path

from graphql import GraphQLObjectType, GraphQLResolveInfo
from tests.standin.saleor.schema import AppContext

#: Kept orders before the cache is emptied (about 2 KB each).
MAX_KEPT = 50_000


class _NotJson(TypeError):
    pass


def _refuse(value: object) -> object:
    raise _NotJson(type(value).__name__)


class OrderCache:
    """One stand-in's kept orders: key → (the selection's field nodes, the JSON result)."""

    def __init__(self) -> None:
        self.kept: dict[tuple[Any, ...], tuple[tuple[Any, ...], str]] = {}
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        self.kept.clear()


def order_caching_executor(cache: OrderCache) -> type[Executor[AppContext]]:
    """An executor class keeping completed ``Order`` objects in ``cache``. Its root
    value's ``_orders_of(user_id)`` gives a customer's orders (``User.orders`` reads them)."""

    class OrderCachingExecutor(Executor[AppContext]):
        _field_errors = 0
        _request_key: str | None = None

        def handle_field_error(self, *args: Any, **kwargs: Any) -> None:
            self._field_errors += 1
            super().handle_field_error(*args, **kwargs)

        def _key(self, field_details_list: Any, order: dict[str, Any]) -> tuple[Any, ...] | None:
            if self._request_key is None:
                self._request_key = json.dumps(
                    [self.variable_values.coerced, self.context_value],
                    sort_keys=True,
                    default=str,
                )
            user = order.get("user")
            owner = user.get("id") if isinstance(user, dict) else None
            orders_of: Callable[[str], list[dict[str, Any]]] = self.root_value["_orders_of"]
            try:
                others = (
                    [o for o in orders_of(owner) if o is not order] if owner is not None else []
                )
                # Insertion order counts: the same data in another order only misses.
                state = json.dumps([order, others], default=_refuse)
            except (_NotJson, ValueError):
                return None  # a callable or a cycle: executed every time
            digest = hashlib.blake2b(state.encode(), digest_size=20).digest()
            nodes = tuple(id(details.node) for details in field_details_list)
            return (nodes, self._request_key, digest)

        def complete_object_value(
            self,
            return_type: GraphQLObjectType,
            field_details_list: Any,
            info: GraphQLResolveInfo[AppContext],
            path: Path,
            result: Any,
            position_context: Any,
        ) -> Any:
            if return_type.name != "Order" or not isinstance(result, dict):
                return super().complete_object_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            key = self._key(field_details_list, result)
            nodes = tuple(details.node for details in field_details_list)
            found = cache.kept.get(key) if key is not None else None
            # The nodes themselves are kept with the entry, so their ids in the key
            # cannot be reused by another document's nodes while it is kept.
            if found is not None and all(a is b for a, b in zip(found[0], nodes, strict=True)):
                cache.hits += 1
                return json.loads(found[1])
            cache.misses += 1
            errors_before = self._field_errors
            completed = super().complete_object_value(
                return_type, field_details_list, info, path, result, position_context
            )
            if (
                key is None
                or not isinstance(completed, dict)
                or self._field_errors != errors_before
            ):
                return completed
            try:
                text = json.dumps(completed)
            except (TypeError, ValueError):
                return completed
            if len(cache.kept) >= MAX_KEPT:
                cache.clear()
            cache.kept[key] = (nodes, text)
            return completed

    return OrderCachingExecutor
