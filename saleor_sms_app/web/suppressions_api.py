"""The Suppressions screen's API (``/api/dashboard/suppressions``): the do-not-text list.

Authenticated like every dashboard call (:func:`.dashboard.requires`): staff
who can see the message log (MANAGE_ORDERS) can see and export the list; adding,
removing and importing change who the shop texts, so they need the permission
that changes the app's configuration (MANAGE_APPS). The work is done by
:mod:`saleor_sms_app.consent.suppressions`.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request, stream_with_context

from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.consent import suppressions
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import BadRequest, InvalidPhoneNumber, NotFound
from saleor_sms_app.recipients.phones import normalise
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION, WRITE_PERMISSION
from saleor_sms_app.web.dashboard_api.access import (
    current_user,
    json_body,
    requires,
    upload_text,
    uploaded_file,
)
from saleor_sms_app.web.dashboard_api.access import services as _services

api = Blueprint("suppressions_api", __name__, url_prefix="/api/dashboard/suppressions")

PER_PAGE = 50
#: Largest CSV upload (about 50,000 lines of numbers and reasons).
MAX_IMPORT_BYTES = 2 * 1024 * 1024


@api.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _shop_country() -> str:
    """Where national numbers typed or imported by the merchant belong."""
    return ConfigStore(_services()).load(current_user().tenant).settings.default_country


@api.get("")
@requires(READ_PERMISSION)
def list_numbers() -> Response:
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        raise BadRequest("page must be a number", details={"page": "must be a number"}) from None
    with _services().sessions() as session:
        rows, total = suppressions.search(
            session,
            current_user().tenant_id,
            request.args.get("search", ""),
            page=page,
            per_page=PER_PAGE,
        )
    return jsonify(
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PER_PAGE)),
        }
    )


@api.post("")
@requires(WRITE_PERMISSION)
def add_number() -> Response:
    body = json_body()
    raw, reason = body.get("phone"), body.get("reason", "")
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest("phone is required", details={"phone": "Type a phone number"})
    if not isinstance(reason, str):
        raise BadRequest("reason must be text", details={"reason": "must be text"})
    country = _shop_country()
    try:
        with session_scope(_services().sessions) as session:
            phone, added = suppressions.add_number(
                session, current_user().tenant_id, raw, country, reason=reason
            )
    except InvalidPhoneNumber as exc:
        raise BadRequest(exc.message, details={"phone": exc.message}) from None
    response = jsonify({"phone": phone, "added": added})
    response.status_code = 201 if added else 200
    return response


@api.delete("/<path:phone>")
@requires(WRITE_PERMISSION)
def remove_number(phone: str) -> Response:
    try:
        number = normalise(phone, _shop_country())
    except InvalidPhoneNumber as exc:
        raise BadRequest(exc.message, details={"phone": exc.message}) from None
    with session_scope(_services().sessions) as session:
        if not suppressions.unsuppress(session, current_user().tenant_id, number):
            raise NotFound(f"{number} is not on the do-not-text list")
    return jsonify({"phone": number, "removed": True})


@api.post("/import")
@requires(WRITE_PERMISSION)
def import_numbers() -> Response:
    """A CSV as the request body (text/csv) or as the ``file`` of a form upload."""
    uploaded = uploaded_file(MAX_IMPORT_BYTES)
    data = uploaded if uploaded is not None else request.get_data()
    text = upload_text(data, MAX_IMPORT_BYTES, "file")
    if text.count("\n") > suppressions.MAX_IMPORT_LINES:
        raise BadRequest(
            f"the file has more than {suppressions.MAX_IMPORT_LINES} lines; split it",
            details={"file": "too many lines"},
        )
    if not text.strip():
        raise BadRequest("the file is empty", details={"file": "the file is empty"})
    country = _shop_country()
    with session_scope(_services().sessions) as session:
        result = suppressions.import_csv(session, current_user().tenant_id, text, country)
    return jsonify({"added": result.added, "already": result.already, "problems": result.problems})


@api.get("/export.csv")
@requires(READ_PERMISSION)
def export_numbers() -> Response:
    tenant_id = current_user().tenant_id
    services = _services()

    def generate() -> Iterator[str]:
        with services.sessions() as session:
            yield from suppressions.export_csv(session, tenant_id)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="do-not-text.csv"'
    return response
