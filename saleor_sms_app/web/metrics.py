"""``GET /metrics``: Prometheus metrics, behind ``METRICS_TOKEN``.

Off (404) unless the operator sets ``METRICS_TOKEN``; then the scraper sends
``Authorization: Bearer <token>``, compared in constant time, and anything
else is 401. The figures and what they mean: :mod:`saleor_sms_app.observability.metrics`.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request

from saleor_sms_app.errors import NotFound, Unauthorized
from saleor_sms_app.observability.metrics import render
from saleor_sms_app.services import Services

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    services: Services = current_app.extensions["sms_app"]
    token = services.settings.metrics_token
    if token is None:
        raise NotFound("metrics are off: set METRICS_TOKEN to serve them")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.encode(), token.encode()):
        raise Unauthorized("the metrics need Authorization: Bearer <METRICS_TOKEN>")
    body, content_type = render(services)
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
