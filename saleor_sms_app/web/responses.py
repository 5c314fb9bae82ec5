"""Errors become HTTP responses here, and nowhere else.

Every body is ``{"success": false, "error": {"code", "message"}}``: Saleor
shows ``error.message`` to the merchant when an install fails, and the
dashboard shows it inline. Unexpected exceptions become a 500 with a generic
message (internals never leak) so Saleor retries the webhook.

Two callers: Flask's error handlers (every blueprint) and the webhook route,
which is plain WSGI for speed (:mod:`saleor_sms_app.web.webhooks`). Both take
their status and body from :func:`error_body` and :func:`unexpected_error_body`.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from saleor_sms_app.errors import PayloadTooLarge, SmsAppError

log = logging.getLogger(__name__)

_UNEXPECTED = json.dumps(
    {"success": False, "error": {"code": "internal_error", "message": "internal error"}}
).encode()


def error_body(error: SmsAppError) -> tuple[int, bytes]:
    """The status and JSON body for an operational error (5xx are logged: someone must look)."""
    if error.http_status >= 500:
        log.warning("%s: %s", error.code, error.message)
    return error.http_status, json.dumps(error.to_json()).encode()


def unexpected_error_body() -> tuple[int, bytes]:
    """500 for a bug: the traceback goes to the log, never to the caller."""
    log.exception("unexpected error")
    return 500, _UNEXPECTED


def error_response(error: SmsAppError) -> Response:
    status, body = error_body(error)
    return Response(body, status=status, mimetype="application/json")


def init_app(app: Flask) -> None:
    app.register_error_handler(SmsAppError, error_response)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge) -> Response:
        return error_response(PayloadTooLarge("request body is too large"))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        code = (error.name or "error").lower().replace(" ", "_")
        failure = SmsAppError(error.description or error.name, code=code)
        failure.http_status = error.code or 500
        return error_response(failure)

    @app.errorhandler(Exception)
    def _unexpected(_error: Exception) -> Response:
        status, body = unexpected_error_body()
        return Response(body, status=status, mimetype="application/json")
