"""The dashboard page (``/app``, the manifest's appUrl) and its JSON API (``/api/dashboard``).

The API's views live one module per screen in :mod:`saleor_sms_app.web.dashboard_api`;
here they are nested under one blueprint (`web/headers.py` gives every API answer
its no-store header).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, Response, request

from saleor_sms_app.errors import BadRequest, NotFound, RetryableError
from saleor_sms_app.saleor.manifest import POPUP_PATH
from saleor_sms_app.web.dashboard_api import (
    campaigns,
    configuration,
    daily_sends,
    manual,
    messages,
    metadata,
    providers,
    rules,
    scheduled,
)
from saleor_sms_app.web.dashboard_api.access import services

page = Blueprint("dashboard_page", __name__)
api = Blueprint("dashboard_api", __name__, url_prefix="/api/dashboard")
for screen in (
    metadata,
    configuration,
    rules,
    providers,
    messages,
    scheduled,
    campaigns,
    daily_sends,
    manual,
):
    api.register_blueprint(screen.bp)


@api.before_request
def no_nul_in_the_query() -> None:
    """A NUL character in a query parameter means nothing to any screen, and
    PostgreSQL refuses it inside a query (a 500 the fuzz suite found on the
    message log's filters): every dashboard route refuses it here, by name."""
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "\\x00")
            raise BadRequest(
                f"the query parameter {shown!r} holds a NUL character",
                code="invalid_query",
                details={shown: "holds a NUL character"},
            )


def _dist() -> Path:
    return services().settings.dashboard_dist


@page.get("/app")
@page.get("/app/")
@page.get(POPUP_PATH)
def index() -> Response:
    """The built page; the same document for every deep link inside the app
    (the "Send SMS" popup is the same page: it tells itself apart by its path)."""
    path = _dist() / "index.html"
    if not path.is_file():
        raise RetryableError(
            "the dashboard page is not built: run `make ui` (or `make run`)",
            code="dashboard_not_built",
        )
    response = Response(path.read_bytes(), mimetype="text/html")
    # The page must load inside the Saleor dashboard's iframe, from any Saleor.
    response.headers["Cache-Control"] = "no-cache"
    return response


@page.get("/app/assets/<path:name>")
def asset(name: str) -> Response:
    root = (_dist() / "assets").resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(f"no such file: {name}")
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = Response(path.read_bytes(), mimetype=mimetype)
    # Vite puts a content hash in every asset name, so they never change.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
