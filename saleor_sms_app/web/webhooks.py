"""``POST /api/webhooks/<event>``: verify, de-duplicate, enqueue, answer.

Order matters and is deliberate: size, tenant and event are checked first
(cheap, no parsing), then the signature over the raw bytes, and only a
verified body is parsed. The request never calls Saleor or a provider; with a
cached tenant it touches neither the database nor anything but one Redis round
trip, so Saleor's delivery stays fast and our worker absorbs the real work.

This one route is a plain WSGI app in front of Flask rather than a blueprint:
it is the only path that must take thousands of requests a second, and
Flask's request context, URL map and response object cost about as much web
CPU as the signature check and the enqueue together (see the README's ingest
figures). Everything else it needs is framework-free already; errors still
become HTTP in one place, :mod:`saleor_sms_app.web.responses`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from saleor_sms_app.config.store import cache_key
from saleor_sms_app.errors import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    SmsAppError,
    Unauthorized,
)
from saleor_sms_app.observability.logs import bind, log_scope
from saleor_sms_app.observability.metrics import WEBHOOKS_RECEIVED, WEBHOOKS_REFUSED, child
from saleor_sms_app.queueing import enqueue_webhook
from saleor_sms_app.saleor import tenants
from saleor_sms_app.saleor.events import BY_HEADER
from saleor_sms_app.saleor.manifest import WEBHOOK_PATH_PREFIX
from saleor_sms_app.saleor.payloads import parse_payload
from saleor_sms_app.saleor.signatures import verify_webhook
from saleor_sms_app.services import Services
from saleor_sms_app.web.headers import ANSWER_HEADERS
from saleor_sms_app.web.responses import error_body, unexpected_error_body

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

#: The answers, encoded once.
_ACCEPTED = json.dumps({"success": True}).encode()
_DUPLICATE = json.dumps({"success": True, "duplicate": True}).encode()
_IGNORED = json.dumps({"success": True, "ignored": True}).encode()
_OUTCOMES = {_ACCEPTED: "accepted", _DUPLICATE: "duplicate", _IGNORED: "ignored"}


def receive(services: Services, event_name: str, request: Request) -> bytes:
    """One delivery, framework-free: the body to answer 200 with, or an :class:`SmsAppError`."""
    event = BY_HEADER.get(event_name)
    if event is None:
        raise NotFound(f"no webhook for event {event_name!r}")
    limit = services.settings.max_webhook_bytes
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge("the webhook body is too large")

    api_url = request.headers.get("Saleor-Api-Url", "")
    tenant = tenants.get_tenant(services, api_url) if api_url else None
    if tenant is None:
        raise Unauthorized("this Saleor has not installed the app", code="unknown_tenant")
    header_event = request.headers.get("Saleor-Event", "")
    if header_event.lower() != event.header_value:
        raise BadRequest(
            f"Saleor-Event {header_event!r} does not match this endpoint ({event.header_value})",
            code="event_mismatch",
        )

    # At most ``limit + 1`` bytes, also when the length is not announced (chunked).
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge("the webhook body is too large")
    bind(tenant=tenant.id, event=event.name)
    tenant = verify_webhook(services, tenant, request.headers.get("Saleor-Signature"), body)
    payload = parse_payload(event, body)

    if event.name == "APP_DELETED":
        app = payload.get("app")
        if isinstance(app, dict) and app.get("id") not in (None, tenant.app_id):
            # A late delivery for an earlier installation must not remove the current one.
            log.info("tenant %s: APP_DELETED for an earlier app id, ignored", tenant.id)
            return _IGNORED
        tenants.uninstall(services, api_url)
        try:
            services.redis.delete(cache_key(tenant.id))
        except RedisError:
            log.warning("tenant %s: could not drop the cached configuration", tenant.id)
        log.info("tenant %s uninstalled (APP_DELETED)", tenant.id)
        return _ACCEPTED

    accepted = enqueue_webhook(services, api_url, event.name, body)
    return _ACCEPTED if accepted else _DUPLICATE


class WebhookReceiver:
    """WSGI middleware: ``/api/webhooks/*`` here, every other path to ``app``."""

    def __init__(self, services: Services, app: WSGIApplication) -> None:
        self.services = services
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        with log_scope():  # every request's log lines carry only its own ids
            if not path.startswith(WEBHOOK_PATH_PREFIX):
                return self.app(environ, start_response)
            status, body = self._answer(environ, path[len(WEBHOOK_PATH_PREFIX) :])
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            *ANSWER_HEADERS,
        ]
        if status == MethodNotAllowed.http_status:
            headers.append(("Allow", "POST"))  # HTTP requires it with a 405
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Error')}", headers)
        return [body]

    def _answer(self, environ: WSGIEnvironment, event_name: str) -> tuple[int, bytes]:
        try:
            if environ.get("REQUEST_METHOD") != "POST":
                raise MethodNotAllowed("webhooks are POSTed")
            body = receive(self.services, event_name, Request(environ))
        except SmsAppError as error:
            child(WEBHOOKS_REFUSED, error.code).inc()
            return error_body(error)
        except Exception:
            child(WEBHOOKS_REFUSED, "internal_error").inc()
            return unexpected_error_body()
        event = BY_HEADER[event_name].name  # receive() refuses unknown events
        child(WEBHOOKS_RECEIVED, event, _OUTCOMES.get(body, "accepted")).inc()
        return 200, body
