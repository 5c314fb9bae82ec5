"""A loopback Saleor answering the GraphQL documents the dashboard API uses.

Small on purpose: it keeps the app's private metadata (as real Saleor does,
with ``updatePrivateMetadata`` replacing the key) and serves a few orders. The
shared stand-in from the ``saleor`` part replaces it once that lands; this one
only exists so the dashboard's tests speak real HTTP today.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from saleor_sms_app.rendering import SAMPLE_ORDER


def sample_orders() -> list[dict[str, Any]]:
    orders = []
    for number, status in (("1042", "UNFULFILLED"), ("1041", "FULFILLED")):
        order = copy.deepcopy(SAMPLE_ORDER)
        order["id"] = f"T3JkZXI6{number}"
        order["number"] = number
        order["status"] = status
        orders.append(order)
    orders[1]["user"] = {"firstName": "Żaneta", "lastName": "Łęcka", "email": "z@example.com"}
    return orders


@dataclass
class SaleorDouble:
    url: str = ""
    app_id: str = "QXBwOjI="
    metadata: dict[str, str] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=sample_orders)
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: Return this HTTP status for every GraphQL call (simulate an outage).
    fail_with: int | None = None

    def answer(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "query AppSmsConfig" in query:
            key = variables["key"]
            return {"app": {"id": self.app_id, "privateMetafield": self.metadata.get(key)}}
        if "mutation UpdateAppSmsConfig" in query:
            self.metadata[variables["key"]] = variables["value"]
            return {"updatePrivateMetadata": {"errors": []}}
        if "query RecentOrders" in query:
            return {"orders": {"edges": [{"node": o} for o in self.orders]}}
        if "query OrderForSms" in query:
            found = next((o for o in self.orders if o["id"] == variables["id"]), None)
            return {"shop": {"name": "Juice Bar"}, "order": found}
        raise AssertionError(f"unexpected document: {query[:80]}")

    def wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/.well-known/jwks.json":
            return Response("{}", status=404)(environ, start_response)
        body = request.get_json()
        self.requests.append(body)
        if self.fail_with:
            return Response("down", status=self.fail_with)(environ, start_response)
        data = self.answer(body["query"], body.get("variables") or {})
        response = Response(json.dumps({"data": data}), content_type="application/json")
        return response(environ, start_response)


def serve() -> Iterator[SaleorDouble]:
    double = SaleorDouble()
    server = make_server("127.0.0.1", 0, double.wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    double.url = f"http://127.0.0.1:{server.server_port}/graphql/"
    yield double
    server.shutdown()
