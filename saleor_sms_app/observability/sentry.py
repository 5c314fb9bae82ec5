"""Errors to Sentry when ``SENTRY_DSN`` is set (the optional ``sentry`` extra).

Imported lazily: a deployment without Sentry neither installs nor loads the
SDK. The SDK's own integrations pick up Flask, RQ and ``logging`` (an ERROR
line becomes an event). The SDK's default sends no personal data (no cookies,
user or request bodies); nothing is traced; and every event passes
:func:`_scrub`, which drops request headers and bodies and blanks
delivery-report secrets in URLs and texts.
"""

from __future__ import annotations

from typing import Any

from saleor_sms_app import __version__
from saleor_sms_app.errors import ConfigurationError
from saleor_sms_app.observability.logs import bound, scrub
from saleor_sms_app.settings import Settings


def init_sentry(settings: Settings, process: str) -> bool:
    """Start the SDK for this process; False when no DSN is set."""
    if not settings.sentry_dsn:
        return False
    try:
        import sentry_sdk
    except ImportError:
        raise ConfigurationError(
            "SENTRY_DSN is set but sentry-sdk is not installed: "
            "pip install 'saleor-sms-app[sentry]'"
        ) from None
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        release=f"saleor-sms-app@{__version__}",
        server_name=process,
        traces_sample_rate=0.0,
        before_send=_scrub,  # type: ignore[arg-type]
    )
    return True


def _scrub(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """Blank secrets in the event's request URL and messages; tag the bound ids."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("url", "query_string"):
            if isinstance(request.get(key), str):
                request[key] = scrub(request[key])
        request.pop("data", None)
        request.pop("headers", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        for key in ("message", "formatted"):
            if isinstance(logentry.get(key), str):
                logentry[key] = scrub(logentry[key])
    tags = event.setdefault("tags", {})
    if isinstance(tags, dict):
        tags.update({k: str(v) for k, v in bound().items()})
    return event
