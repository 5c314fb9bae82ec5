"""``/s/<code>``: a tracked link in a message, redirected (302) and counted.

Public on purpose (customers' phones open it, with no token); safe because only
codes the app stored redirect, and only to their stored URL
(:mod:`saleor_sms_app.message_templates.links`). Unknown codes are 404 and count nothing.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import NotFound
from saleor_sms_app.message_templates import links
from saleor_sms_app.services import Services

bp = Blueprint("links", __name__)


@bp.get("/s/<code>")
def follow_link(code: str) -> Response:
    services: Services = current_app.extensions["sms_app"]
    with session_scope(services.sessions) as session:
        url = links.follow(session, code)
    if url is None:
        raise NotFound("no such link")
    response = Response(status=302, headers={"Location": url})
    # Every visit must reach us to be counted, and the shop's link says nothing
    # about the message it came from to the site it opens.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
