"""The Message log screen's API: pages, the chart, the CSV export."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request, stream_with_context

from saleor_sms_app import logsearch
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION
from saleor_sms_app.web.dashboard_api.access import current_user, requires, services

bp = Blueprint("messages", __name__)


@bp.get("/messages")
@requires(READ_PERMISSION)
def messages() -> Response:
    query = logsearch.LogQuery.from_args(request.args)
    with services().sessions() as session:
        result = logsearch.search_messages(session, current_user().tenant_id, query)
    return jsonify(result.to_json())


@bp.get("/messages/export.csv")
@requires(READ_PERMISSION)
def export_messages() -> Response:
    query = logsearch.LogQuery.from_args(request.args)
    tenant_id = current_user().tenant_id
    found = services()

    def generate() -> Iterator[str]:
        with found.sessions() as session:
            yield from logsearch.export_csv(session, tenant_id, query)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="sms-messages.csv"'
    return response


@bp.get("/messages/stats")
@requires(READ_PERMISSION)
def message_stats() -> Response:
    query = logsearch.LogQuery.from_args(request.args)
    with services().sessions() as session:
        days = logsearch.daily_counts(session, current_user().tenant_id, query)
    return jsonify({"days": days})
