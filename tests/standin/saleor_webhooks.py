"""The stand-in Saleor's webhooks: what it registered for each app, and the app's mutations.

Like the real Saleor, it registers a manifest's webhooks at install and keeps
them; events go only to webhooks registered here (never to the manifest the
app serves today), so a test can show an install that lacks an event. An app
token lists its own webhooks (``app { webhooks }``) and creates, updates and
deletes them with ``webhookCreate`` / ``webhookUpdate`` / ``webhookDelete``,
answering as Saleor 3.23's ``saleor/graphql/webhook/mutations/`` do: an app
always creates for itself (``input.app`` is ignored), another app's webhook is
"Couldn't resolve to a node" for it, a delete deactivates first. The
documents themselves are validated against the real schema by the stand-in's
GraphQL endpoint before any resolver here runs.

Where the stand-in is stricter than Saleor 3.23 (which derives events from the
subscription when none are given), a create without events is refused with
``REQUIRED`` on ``asyncEvents``; the app always sends them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)

if TYPE_CHECKING:
    from tests.standin.saleor.schema import ResolveInfo


def _event_objects(events: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {"__typename": "WebhookEventAsync", "name": e.replace("_", " ").title(), "eventType": e}
        for e in events
    ]


def _error(field_name: str | None, code: str, message: str) -> dict[str, Any]:
    return {"__typename": "WebhookError", "field": field_name, "code": code, "message": message}


@dataclass
class WebhookRegistry:
    """Every webhook this Saleor holds, of every app; ids like Saleor's (``Webhook:<pk>``)."""

    #: id → stored webhook (schema-shaped, plus ``app_id``).
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    _next_pk: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        app_id: str,
        *,
        name: str,
        async_events: Iterable[str],
        target_url: str,
        query: str,
        is_active: bool = True,
    ) -> dict[str, Any]:
        from tests.standin.saleor import global_id

        with self._lock:
            webhook_id = global_id("Webhook", self._next_pk)
            self._next_pk += 1
        webhook = {
            "__typename": "Webhook",
            "id": webhook_id,
            "app_id": app_id,
            "name": name,
            "identifier": None,
            "asyncEvents": _event_objects(async_events),
            "syncEvents": [],
            "targetUrl": target_url,
            "isActive": is_active,
            "subscriptionQuery": query,
            "customHeaders": None,
            "secretKey": None,
        }
        self.webhooks[webhook_id] = webhook
        return webhook

    def install(self, app_id: str | None, manifest: Mapping[str, Any] | None) -> None:
        """What Saleor does at install: the app's webhooks become the manifest's, new ids."""
        for webhook_id in [i for i, w in self.webhooks.items() if w["app_id"] == app_id]:
            del self.webhooks[webhook_id]
        if app_id is None or manifest is None:
            return
        for w in manifest.get("webhooks", []):
            self.add(
                app_id,
                name=w["name"],
                async_events=w.get("asyncEvents", []),
                target_url=w["targetUrl"],
                query=w["query"],
                is_active=w.get("isActive", True),
            )

    def of_app(self, app_id: str | None) -> list[dict[str, Any]]:
        return [w for w in self.webhooks.values() if w["app_id"] == app_id]

    def events_of(self, app_id: str | None) -> set[str]:
        """Events some active webhook of the app subscribes to."""
        return {
            e["eventType"] for w in self.of_app(app_id) if w["isActive"] for e in w["asyncEvents"]
        }

    def for_event(self, app_id: str | None, event: str) -> dict[str, Any] | None:
        """The app's active webhook for ``event`` (``name``, ``query``, ``targetUrl``)."""
        for w in self.of_app(app_id):
            if w["isActive"] and event in {e["eventType"] for e in w["asyncEvents"]}:
                return {
                    "name": w["name"],
                    "query": w["subscriptionQuery"],
                    "targetUrl": w["targetUrl"],
                }
        return None

    # ------------------------------------------------------------------ the mutations

    def resolvers(
        self,
        current_app: Callable[[ResolveInfo], str],
        is_valid_subscription: Callable[[str], list[str]],
    ) -> dict[str, Callable[..., Any]]:
        """``webhookCreate`` / ``webhookUpdate`` / ``webhookDelete`` for the root value.

        ``current_app`` answers the calling app's id (raising Saleor's permission
        error for a call without a valid app token).
        """

        def own(info: ResolveInfo, id: str | None) -> dict[str, Any] | None:
            """The caller's webhook with this id; another app's is as good as missing."""
            app_id = current_app(info)
            webhook = self.webhooks.get(id or "")
            return webhook if webhook is not None and webhook["app_id"] == app_id else None

        def missing(id: str | None, code: str = "NOT_FOUND") -> dict[str, Any]:
            message = f"Couldn't resolve to a node: {id}"
            return {"webhook": None, "errors": [_error("id", code, message)]}

        def checked(data: Mapping[str, Any], *, creating: bool) -> list[dict[str, Any]]:
            errors = []
            query = data.get("query")
            if query is not None:
                problems = is_valid_subscription(query)
                if problems:
                    errors.append(_error("query", "SYNTAX", "; ".join(problems)))
            if creating and not (data.get("asyncEvents") or data.get("syncEvents")):
                errors.append(_error("asyncEvents", "REQUIRED", "Events are required."))
            if "targetUrl" in data and not str(data["targetUrl"]).startswith(
                ("http://", "https://")
            ):
                errors.append(_error("targetUrl", "INVALID", "Enter a valid URL."))
            return errors

        def create(info: ResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
            app_id = current_app(info)
            errors = checked(input, creating=True)
            if errors:
                return {"webhook": None, "errors": errors}
            webhook = self.add(
                app_id,
                name=input.get("name") or "",
                async_events=input.get("asyncEvents") or [],
                target_url=input["targetUrl"],
                query=input.get("query") or "",
                is_active=input.get("isActive", True),
            )
            return {"webhook": webhook, "errors": []}

        def update(
            info: ResolveInfo, input: dict[str, Any], id: str | None = None, **_: Any
        ) -> dict[str, Any]:
            webhook = own(info, id)
            if webhook is None:
                return missing(id)
            errors = checked(input, creating=False)
            if errors:
                return {"webhook": None, "errors": errors}
            for key, stored in (
                ("name", "name"),
                ("targetUrl", "targetUrl"),
                ("isActive", "isActive"),
                ("query", "subscriptionQuery"),
            ):
                if key in input and input[key] is not None:
                    webhook[stored] = input[key]
            if input.get("asyncEvents") is not None:
                webhook["asyncEvents"] = _event_objects(input["asyncEvents"])
            return {"webhook": webhook, "errors": []}

        def delete(info: ResolveInfo, id: str | None = None, **_: Any) -> dict[str, Any]:
            webhook = own(info, id)
            if webhook is None:
                return missing(id, "GRAPHQL_ERROR")
            webhook["isActive"] = False
            del self.webhooks[webhook["id"]]
            return {"webhook": webhook, "errors": []}

        return {"webhookCreate": create, "webhookUpdate": update, "webhookDelete": delete}


def subscription_problems(schema: Any, query: str) -> list[str]:
    """Why Saleor would refuse ``query`` as a webhook's subscription (empty: it would not)."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return [exc.message]
    problems = [e.message for e in validate(schema, document)]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not problems and [o.operation for o in operations] != [OperationType.SUBSCRIPTION]:
        problems.append("the query is not one subscription")
    return problems
