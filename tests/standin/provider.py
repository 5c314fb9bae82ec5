"""A loopback SMS provider: a real HTTP server the tests program.

Two uses:

* **scripted** (the adapter contract suite): tests queue exact answers
  (status, body, content type) with :meth:`StandinProvider.answer`; every
  request is recorded so tests can check what the adapter sent.
* **inbound**: :meth:`StandinProvider.post_inbound` forwards a customer's text
  to the app over HTTP, in the provider's own shape, as a provider does.
* **modes** (failover, retries, the benchmark): with nothing queued it speaks a
  tiny SMS API of its own (``POST /send`` JSON ``{to, text, from, ref}`` →
  ``{"id": ...}``), and :attr:`mode` makes it accept, fail with 5xx, refuse with
  ``NO_FUNDS`` or ``BAD_NUMBER``, or answer slowly. "Down" is :attr:`down_url`,
  a loopback port nobody listens on (a real connection refusal).

:func:`standin_spec` is the generic-provider JSON that speaks that API.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import requests
from requests import Response as HTTPResponse
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

MODES = ("accept", "5xx", "insufficient_funds", "invalid_number", "slow")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class StandinProvider:
    mode: str = "accept"
    slow_seconds: float = 2.0
    #: Keep recorded requests (off in the benchmark, where memory would grow).
    record: bool = True
    requests: list[Recorded] = field(default_factory=list)
    _queue: deque[tuple[int, str, str]] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: BaseWSGIServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> StandinProvider:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> StandinProvider:
        """Back to accepting, nothing queued or recorded (fixtures reuse one server)."""
        self.mode, self.slow_seconds, self.record = "accept", 2.0, True
        self.requests.clear()
        # A new deque, not a cleared one: a request still in flight from an
        # earlier test keeps popping from that test's queue, never this one's.
        self._queue = deque()
        self._ids = itertools.count(1)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def down_url(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def answer(self, status: int, body: Any = "", content_type: str = "application/json") -> None:
        """Queue the next answer; dicts and lists are sent as JSON."""
        text = body if isinstance(body, str) else json.dumps(body)
        self._queue.append((status, text, content_type))

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    @staticmethod
    def post_inbound(
        url: str,
        *,
        form: dict[str, str] | None = None,
        json_body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> HTTPResponse:
        """Forward a customer's text to the app as a provider does: over real HTTP,
        a form or JSON POST, or a GET with the fields in the query (Vonage)."""
        if form is None and json_body is None:
            return requests.get(url, params=query, headers=headers, timeout=10)
        return requests.post(url, data=form, json=json_body, headers=headers, timeout=10)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        # A request still in flight from an earlier test (a slow mode) must draw
        # from that test's numbering, not from the counter a reset put in place.
        ids, mode, queue, slow = self._ids, self.mode, self._queue, self.slow_seconds
        body = request.get_data()
        if self.record:
            with self._lock:
                self.requests.append(
                    Recorded(
                        request.method,
                        request.path,
                        dict(request.args),
                        dict(request.headers),
                        body,
                    )
                )
        if queue:
            status, text, content_type = queue.popleft()
            if mode == "slow":
                time.sleep(slow)
            return Response(text, status=status, content_type=content_type)(environ, start_response)
        return self._own_api(body, ids, mode, slow)(environ, start_response)

    def _own_api(self, body: bytes, ids: itertools.count[int], mode: str, slow: float) -> Response:
        if mode == "slow":
            time.sleep(slow)
        if mode == "5xx":
            return Response(
                "<html><body>502 Bad Gateway</body></html>", 502, content_type="text/html"
            )
        if mode == "insufficient_funds":
            return _json({"error": {"code": "NO_FUNDS", "message": "Balance too low"}}, 402)
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return _json({"error": {"code": "BAD_REQUEST", "message": "not JSON"}}, 400)
        if mode == "invalid_number" or not str(data.get("to", "")).startswith("+"):
            return _json({"error": {"code": "BAD_NUMBER", "message": "Invalid number"}}, 400)
        with self._lock:
            message_id = f"standin-{next(ids)}"
        return _json({"id": message_id, "status": "queued", "ref": data.get("ref")}, 200)


def _json(data: Any, status: int) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def standin_spec(base_url: str) -> str:
    """The generic-provider description of the stand-in's own API."""
    return json.dumps(
        {
            "url": base_url + "/send",
            "headers": {"Authorization": "Bearer {secret}"},
            "body": {"to": "{to}", "text": "{text}", "from": "{sender}", "ref": "{reference}"},
            "message_id_path": "id",
            "error_path": "error.message",
            "error_code_path": "error.code",
            "errors": {
                "NO_FUNDS": "insufficient_funds",
                "BAD_NUMBER": "invalid_number",
            },
            "delivery": {"id_path": "id", "status_path": "status"},
        }
    )
