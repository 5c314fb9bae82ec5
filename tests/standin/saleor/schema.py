"""The real Saleor 3.23 schema the stand-in validates and executes every document with,
and the helpers its resolvers share.
"""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    default_field_resolver,
    parse,
    validate,
)

from tests.conftest import SCHEMA_PATH

#: The context of a request to ``/graphql/``: ``{"app": <it carries the app's token>}``
#: (a webhook's subscription runs without one).
AppContext = dict[str, bool]
#: The ``info`` the resolvers of ``/graphql/`` get.
ResolveInfo = GraphQLResolveInfo[AppContext]

SALEOR_VERSION = "3.23.28"
SCHEMA_VERSION = "3.23"
USER_AGENT = f"Saleor/{SCHEMA_VERSION}"


@cache
def saleor_schema() -> GraphQLSchema:
    """The real Saleor schema, built once per process (it takes about two seconds)."""
    return build_schema(SCHEMA_PATH.read_text())


def validate_document(text: str) -> list[str]:
    """The schema's complaints about a document (empty when Saleor would accept it)."""
    try:
        document = parse(text)
    except GraphQLError as exc:
        return [exc.message]
    return [error.message for error in validate(saleor_schema(), document)]


def global_id(type_name: str, pk: object) -> str:
    """Saleor's global object id: base64 of ``Type:pk``."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def event_type_name(event: str) -> str:
    """``ORDER_CREATED`` / ``order_created`` → ``OrderCreated`` (the subscription type)."""
    return "".join(part.capitalize() for part in event.lower().split("_"))


def _permission_denied(permission: str) -> GraphQLError:
    return GraphQLError(
        f"To access this path, you need one of the following permissions: {permission}",
        extensions={"exception": {"code": "PermissionDenied"}},
    )


def _metadata_value(items: list[dict[str, str]], key: str) -> str | None:
    for item in items:
        if item["key"] == key:
            return item["value"]
    return None


def _field_resolver(source: Any, info: GraphQLResolveInfo[AppContext | None], **args: Any) -> Any:
    """Dict data plus the metadata lookups every ``ObjectWithMetadata`` offers."""
    name = info.field_name
    if isinstance(source, dict) and name not in source:
        if name in {"metafield", "privateMetafield"}:
            items = source.get("metadata" if name == "metafield" else "privateMetadata", [])
            return _metadata_value(items, args["key"])
        if name in {"metafields", "privateMetafields"}:
            items = source.get("metadata" if name == "metafields" else "privateMetadata", [])
            keys = args.get("keys")
            return {i["key"]: i["value"] for i in items if keys is None or i["key"] in keys}
        if name == "orders" and source.get("__typename") == "User":
            # ``User.orders``: the stand-in's orders of this customer, where-filtered
            # by status as Saleor's CustomerOrderWhereInput does.
            return info.root_value["_user_orders"](source["id"], args)
    return default_field_resolver(source, info, **args)
