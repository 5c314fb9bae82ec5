"""The stand-in itself: one Saleor with one app slot on loopback HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import requests
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    execute,
    parse,
    validate,
)
from werkzeug.serving import BaseWSGIServer
from werkzeug.wrappers import Request, Response

from tests.standin.customers import CustomerBook
from tests.standin.saleor.checkouts import CheckoutActions
from tests.standin.saleor.data import country, metadata_items
from tests.standin.saleor.graphql_api import root_resolvers
from tests.standin.saleor.http import RecordedRequest, _Failure, _json_response, serve_in_thread
from tests.standin.saleor.keys import SigningKeys, _fresh_key, _release_key
from tests.standin.saleor.orders import OrderActions
from tests.standin.saleor.protocol import AppProtocol
from tests.standin.saleor.schema import (
    SALEOR_VERSION,
    SCHEMA_VERSION,
    _field_resolver,
    global_id,
    saleor_schema,
)
from tests.standin.saleor.stock import StockActions
from tests.standin.saleor_webhooks import WebhookRegistry


@dataclass
class SaleorStandin(SigningKeys, OrderActions, CheckoutActions, StockActions, AppProtocol):
    """One Saleor with one app slot. Start with :meth:`start`, stop with :meth:`stop`."""

    shop_name: str = "Saleor e-commerce"
    version: str = SALEOR_VERSION
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    #: The installed app's token and id (None before install / after uninstall).
    token: str | None = None
    app_id: str | None = None
    app_private_metadata: dict[str, str] = field(default_factory=dict)
    app_metadata: dict[str, str] = field(default_factory=dict)
    app_permissions: list[str] = field(default_factory=list)
    #: The shop's customers (``customers(...)``, tests/standin/customers.py).
    customers: CustomerBook = field(default_factory=CustomerBook)

    def __post_init__(self) -> None:
        self._key = _fresh_key()
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._next_app_pk = 1
        self.http = requests.Session()
        #: The webhooks Saleor holds (this app's and any other's); events go only to these.
        self.webhook_registry = WebhookRegistry()
        self._manifest: dict[str, Any] | None = None

    @property
    def manifest(self) -> dict[str, Any] | None:
        """The manifest the app was installed from (None before install)."""
        return self._manifest

    @manifest.setter
    def manifest(self, manifest: dict[str, Any] | None) -> None:
        """Installing from ``manifest``: the app's webhooks become exactly its webhooks."""
        self._manifest = manifest
        self.webhook_registry.install(self.app_id, manifest)

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> SaleorStandin:
        self._server = serve_in_thread(self._wsgi)
        return self

    def stop(self) -> None:
        already_stopped = self._stopping.is_set()
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.http.close()
        if not already_stopped:
            _release_key(self._key)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the Saleor origin."""
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def domain(self) -> str:
        return self.url.split("://", 1)[1]

    @property
    def api_url(self) -> str:
        return self.url + "/graphql/"

    # ----------------------------------------------------------------- failures

    def fail_next(self, path: str = "/graphql/", *, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status``."""
        with self._lock:
            self._failures.append(_Failure(path, status, 0.0, times))

    def hang_next(self, path: str = "/graphql/", *, seconds: float = 5.0, times: int = 1) -> None:
        """Sit on the next ``times`` requests to ``path`` (client timeouts), then answer 504."""
        with self._lock:
            self._failures.append(_Failure(path, 504, seconds, times))

    def _take_failure(self, path: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.path == path and failure.remaining > 0:
                    failure.remaining -= 1
                    return failure
        return None

    def count(self, path: str | None = None, *, operation: str | None = None) -> int:
        """How many requests arrived (for ``path``; for GraphQL, naming ``operation``)."""
        total = 0
        for request in list(self.requests):
            if path is not None and request.path != path:
                continue
            if operation is not None:
                try:
                    query = request.json().get("query", "")
                except ValueError:
                    continue
                if operation not in query:
                    continue
            total += 1
        return total

    def app_object(self) -> dict[str, Any]:
        manifest = self.manifest or {}
        return {
            "__typename": "App",
            "id": self.app_id,
            "identifier": manifest.get("id"),
            "name": manifest.get("name"),
            "version": manifest.get("version"),
            "isActive": True,
            "type": "THIRDPARTY",
            "appUrl": manifest.get("appUrl"),
            "permissions": [
                {"__typename": "Permission", "code": p, "name": p.replace("_", " ").capitalize()}
                for p in self.app_permissions
            ],
            "metadata": metadata_items(self.app_metadata),
            "privateMetadata": metadata_items(self.app_private_metadata),
            "extensions": [],
            "breakerState": "CLOSED",
            "webhooks": self.webhook_registry.of_app(self.app_id),
        }

    def shop_object(self) -> dict[str, Any]:
        return {
            "__typename": "Shop",
            "id": global_id("Shop", 1),
            "name": self.shop_name,
            "version": self.version,
            "schemaVersion": SCHEMA_VERSION,
            "domain": {"host": self.domain, "sslEnabled": False, "url": self.url + "/"},
            "defaultCountry": country("US"),
            # Resolved only when asked for (graphql-core calls it): every order is read.
            "channelCurrencies": lambda info: sorted(
                {o["channel"]["currencyCode"] for o in self.orders.values()}
            ),
            "metadata": [],
            "privateMetadata": [],
        }

    # ----------------------------------------------------------------- GraphQL

    def execute_graphql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        authenticated: bool = True,
    ) -> dict[str, Any]:
        """Validate and run a document as Saleor would; returns ``{"data", "errors"?}``."""
        document, errors = checked_document(query)
        if document is None:
            return {"errors": errors}
        result = execute(
            saleor_schema(),
            document,
            root_value=self._root(),
            context_value={"app": authenticated},
            variable_values=dict(variables or {}),
            operation_name=operation_name,
            field_resolver=_field_resolver,
        )
        # Every resolver of the stand-in is synchronous: the result is never awaitable.
        assert isinstance(result, ExecutionResult)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        return body

    def _root(self) -> dict[str, Any]:
        return root_resolvers(self)

    # ----------------------------------------------------------------- HTTP

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        body = request.get_data()
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.headers), body)
        )
        failure = self._take_failure(request.path)
        if failure is not None:
            if failure.hang_seconds:
                self._stopping.wait(failure.hang_seconds)
            response = Response(
                json.dumps({"errors": [{"message": "stand-in failure"}]}),
                status=failure.status or 500,
                content_type="application/json",
            )
        elif request.path == "/.well-known/jwks.json" and request.method == "GET":
            response = Response(json.dumps(self.jwks()), content_type="application/json")
        elif request.path == "/graphql/" and request.method == "POST":
            response = self._graphql_http(request, body)
        else:
            response = Response("Not Found", status=404)
        return response(environ, start_response)

    def _graphql_http(self, request: Request, body: bytes) -> Response:
        try:
            payload = json.loads(body)
            query = payload["query"]
            if not isinstance(query, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return _json_response(
                {"errors": [{"message": "Must provide a query string."}]}, status=400
            )
        authorization = request.headers.get("Authorization", "")
        authenticated = self.token is not None and authorization == f"Bearer {self.token}"
        result = self.execute_graphql(
            query,
            payload.get("variables") or {},
            operation_name=payload.get("operationName"),
            authenticated=authenticated,
        )
        # Saleor answers 400 to documents that do not parse or validate.
        status = 400 if "data" not in result else 200
        return _json_response(result, status=status)


@lru_cache(maxsize=256)
def checked_document(query: str) -> tuple[DocumentNode | None, list[Any]]:
    """``query`` parsed and validated against the real schema, once per distinct text:
    (the document, []) or (None, the formatted errors). Validating against the whole
    3.23 schema costs about 16 ms, which every call of a benchmark paid again."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, [exc.formatted]
    errors = validate(saleor_schema(), document)
    if errors:
        return None, [e.formatted for e in errors]
    return document, []
