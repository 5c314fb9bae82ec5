"""Install lifecycle: ``GET /api/manifest``, ``GET /logo.png``, ``POST /api/register``.

Adapters only: the manifest is built by :mod:`saleor_sms_app.saleor.manifest`
and registration is decided by :mod:`saleor_sms_app.saleor.registration`.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, send_file

from saleor_sms_app.saleor import manifest, registration
from saleor_sms_app.services import Services

bp = Blueprint("lifecycle", __name__)


def _services() -> Services:
    services: Services = current_app.extensions["sms_app"]
    return services


@bp.get("/api/manifest")
def get_manifest() -> Response:
    return jsonify(manifest.build_manifest(_services().settings.app_url))


@bp.get(manifest.LOGO_PATH)
def logo() -> Response:
    return send_file(manifest.LOGO, mimetype="image/png", max_age=86400)


@bp.post(manifest.REGISTER_PATH)
def register() -> Response:
    registration.register(
        _services(),
        saleor_api_url=request.headers.get("Saleor-Api-Url", ""),
        saleor_domain=request.headers.get("Saleor-Domain", ""),
        schema_version=request.headers.get("Saleor-Schema-Version", ""),
        body=request.get_data(cache=False),
    )
    return jsonify({"success": True})
