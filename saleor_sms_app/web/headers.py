"""Security headers on every Flask answer: who may frame the page, no sniffing, no caching.

The dashboard page (``/app``) is opened by the Saleor Dashboard in an iframe
with ``saleorApiUrl`` in the query. Its ``frame-ancestors`` admits one origin:
the installing dashboard's. That origin is not in anything Saleor sends the app
(the Dashboard may live on another port or host than the API, as in
``tests/data/saleor/dashboard-iframe-load.json``: API on :8000, Dashboard on
:9000), so it is chosen, never trusted:

* the tenant comes from our own records (``saleorApiUrl`` only names it; an
  unknown or uninstalled one gets ``frame-ancestors 'none'``);
* the browser's ``Referer`` of the iframe load names the framing page's origin.
  It is admitted only when it has the same scheme and host as the tenant's
  Saleor API (a Dashboard beside its API, any port) or matches the operator's
  ``ALLOWED_DASHBOARD_ORIGINS``. Otherwise the API's own origin is the one
  admitted (Saleor Cloud serves both from one origin). A page elsewhere that
  frames us for someone else's shop cannot make its own origin pass either test.

JSON answers get ``Cache-Control: no-store`` (shop data tied to one user's
token) and a CSP that forbids framing and loading anything. The webhook route
is plain WSGI and sets its own two headers (``web/webhooks.py``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from saleor_sms_app.saleor.tenants import get_tenant
from saleor_sms_app.services import Services

#: Everything the built page loads comes from /app/assets on our own origin;
#: macaw-ui sets inline style attributes, hence 'unsafe-inline' for styles only.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)
#: For every answer that is not the page: nothing to load, nobody may frame it.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
#: What the plain-WSGI webhook route adds to its answers (the rest get them below).
ANSWER_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store"))
#: What an origin must look like before it goes into a header.
_ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:\d{1,5})?|https?://\[[0-9a-f:.]+\](:\d{1,5})?")


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        ancestors = " ".join(dashboard_origins()) or "'none'"
        response.headers["Content-Security-Policy"] = f"{PAGE_POLICY}; frame-ancestors {ancestors}"
        # The admitted origin depends on who framed the page.
        response.vary.add("Referer")
    else:
        response.headers.setdefault("Content-Security-Policy", API_POLICY)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url``, lower-case; None unless it is a plain http(s) origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    origin = f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")
    return origin if _ORIGIN.fullmatch(origin) else None


def dashboard_origins() -> list[str]:
    """The one origin that may frame the page for the tenant it is opened for, or none."""
    services: Services = current_app.extensions["sms_app"]
    api_url = request.args.get("saleorApiUrl", "")
    tenant = get_tenant(services, api_url) if api_url else None
    api_origin = origin_of(tenant.saleor_api_url) if tenant is not None else None
    if api_origin is None:
        return []
    framing = origin_of(request.referrer or "")
    if framing is None or framing == api_origin:
        return [api_origin]
    allowed = services.settings.allowed_dashboard_origins
    if _scheme_and_host(framing) == _scheme_and_host(api_origin) or (
        allowed is not None and allowed.fullmatch(framing)
    ):
        return [framing]
    return [api_origin]


def _scheme_and_host(origin: str) -> tuple[str, str | None]:
    parts = urlsplit(origin)
    return parts.scheme, parts.hostname
