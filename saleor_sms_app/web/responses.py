"""Errors become HTTP responses here, and nowhere else.

Every body is ``{"success": false, "error": {"code", "message"}}``: Saleor
shows ``error.message`` to the merchant when an install fails, and the
dashboard shows it inline. Unexpected exceptions become a 500 with a generic
message (internals never leak) so Saleor retries the webhook.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from saleor_sms_app.errors import PayloadTooLarge, SmsAppError

log = logging.getLogger(__name__)


def error_response(error: SmsAppError) -> Response:
    response = jsonify(error.to_json())
    response.status_code = error.http_status
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(SmsAppError)
    def _app_error(error: SmsAppError) -> Response:
        if error.http_status >= 500:
            log.warning("%s: %s", error.code, error.message)
        return error_response(error)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge) -> Response:
        return error_response(PayloadTooLarge("request body is too large"))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        response = jsonify(
            {
                "success": False,
                "error": {
                    "code": (error.name or "error").lower().replace(" ", "_"),
                    "message": error.description or error.name,
                },
            }
        )
        response.status_code = error.code or 500
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error")
        response = jsonify(
            {"success": False, "error": {"code": "internal_error", "message": "internal error"}}
        )
        response.status_code = 500
        return response
