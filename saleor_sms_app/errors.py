"""Every failure the app knows, in three families that decide what happens next.

::

    ConfigurationError          (deliberately outside SmsAppError: nothing may swallow it)
    SmsAppError
    ├── RetryableError          try again later: Saleor gets 5xx, RQ re-runs the job
    │   ├── SaleorUnavailable
    │   └── QueueUnavailable
    ├── PermanentError          retrying cannot help: 4xx, log row with the reason
    │   ├── BadRequest          (400) malformed JSON, payload of an unexpected shape
    │   ├── PayloadTooLarge     (413)
    │   ├── Unauthorized        (401) bad signature, unknown tenant, bad token
    │   ├── Forbidden           (403) URL not allow-listed, missing permission
    │   ├── NotFound            (404)
    │   ├── Conflict            (409) configuration changed by someone else
    │   ├── InvalidConfiguration (422) merchant settings that do not validate
    │   ├── NewerConfiguration  (409) metadata written by a newer app version
    │   ├── InvalidPhoneNumber
    │   └── TemplateError
    └── Ignored                 deliberately nothing to do: 200, maybe a "skipped" log row

Provider failures have their own tree in :mod:`saleor_sms_app.providers.models`,
because they carry the provider's code and a temporary/permanent flag of their own.

The web layer maps the families to HTTP in one place
(:mod:`saleor_sms_app.web.responses`); jobs map them to RQ retries.
"""

from __future__ import annotations

from typing import Any


class ConfigurationError(Exception):
    """The deployment itself is wrong (environment variables); the process must not start."""


class SmsAppError(Exception):
    """Root of every operational error. ``code`` is a stable machine-readable name."""

    http_status = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """The body Saleor and the dashboard read: ``{"error": {"code", "message"}}``."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"success": False, "error": body}


class RetryableError(SmsAppError):
    """Something outside us is down; the same request later may succeed."""

    http_status = 503
    code = "temporarily_unavailable"


class SaleorUnavailable(RetryableError):
    code = "saleor_unavailable"


class QueueUnavailable(RetryableError):
    code = "queue_unavailable"


class PermanentError(SmsAppError):
    """The request or the data is wrong; retrying the same thing cannot help."""

    http_status = 400
    code = "bad_request"


class BadRequest(PermanentError):
    http_status = 400
    code = "bad_request"


class PayloadTooLarge(PermanentError):
    http_status = 413
    code = "payload_too_large"


class Unauthorized(PermanentError):
    http_status = 401
    code = "unauthorized"


class Forbidden(PermanentError):
    http_status = 403
    code = "forbidden"


class NotFound(PermanentError):
    http_status = 404
    code = "not_found"


class MethodNotAllowed(PermanentError):
    http_status = 405
    code = "method_not_allowed"


class Conflict(PermanentError):
    http_status = 409
    code = "conflict"


class InvalidConfiguration(PermanentError):
    """Merchant configuration that does not validate; ``details`` maps field paths to messages."""

    http_status = 422
    code = "invalid_configuration"


class NewerConfiguration(PermanentError):
    """The stored configuration was written by a newer version of the app; we must not touch it."""

    http_status = 409
    code = "configuration_from_newer_version"


class InvalidPhoneNumber(PermanentError):
    code = "invalid_phone_number"


class TemplateError(PermanentError):
    """A template that does not parse or names a token that does not exist."""

    http_status = 422
    code = "template_error"


class Ignored(SmsAppError):
    """Nothing to do, on purpose (event switched off, no phone); answered with 200."""

    http_status = 200
    code = "ignored"
