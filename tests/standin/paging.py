"""Saleor's Relay connections as the stand-in answers them: one page of a list.

Shared by the orders and the customers connections (``first``/``after`` over a
list already filtered and sorted), so both page, count and fill ``pageInfo`` the
way Saleor does. A module of its own, outside ``tests.standin.saleor``, so the
customer book can use it without importing the stand-in server that imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def connection(
    items: Sequence[Any],
    start: int,
    first: int,
    cursor: Callable[[int], str],
    node: Callable[[Any], Any] = lambda item: item,
) -> dict[str, Any]:
    """``items[start:start + first]`` as ``edges`` (``cursor(index)``, ``node(item)``),
    with ``totalCount`` and ``pageInfo``."""
    page = items[start : start + first]
    edges = [{"cursor": cursor(start + i), "node": node(item)} for i, item in enumerate(page)]
    return {
        "edges": edges,
        "totalCount": len(items),
        "pageInfo": {
            "hasNextPage": start + first < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
