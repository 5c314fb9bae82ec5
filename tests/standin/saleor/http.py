"""The stand-in's HTTP plumbing: a threaded loopback server, recorded requests, failures."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Response


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Failure:
    path: str
    status: int | None
    hang_seconds: float
    remaining: int


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def serve_in_thread(wsgi_app: Callable[..., Any]) -> BaseWSGIServer:
    """A threaded werkzeug server on a free loopback port, already serving."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_QuietHandler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


def _rebase(target_url: str, app_base_url: str) -> str:
    """The targetUrl's path on the app's real base URL."""
    path = "/" + target_url.split("://", 1)[-1].split("/", 1)[-1]
    return app_base_url.rstrip("/") + path


def _json_response(body: Any, *, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
