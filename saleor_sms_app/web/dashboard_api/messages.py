"""The Message log screen's API: pages, one message's detail, the chart, the CSV export."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request, stream_with_context

from saleor_sms_app import logcounts, logexport, logsearch, messagedetail
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.logrows import ProviderDirectory
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION
from saleor_sms_app.web.dashboard_api.access import current_user, requires, services

bp = Blueprint("messages", __name__)

#: Who may see a customer's whole phone number (in the detail view only).
FULL_PHONE_PERMISSION = "MANAGE_ORDERS"


def _providers() -> ProviderDirectory:
    """The merchant's names for the providers (and their secrets, to redact answers)."""
    config = ConfigStore(services()).load(current_user().tenant)
    return ProviderDirectory.of(config)


@bp.get("/messages")
@requires(READ_PERMISSION)
def messages() -> Response:
    query = logsearch.LogQuery.from_args(request.args)
    with services().sessions() as session:
        result = logsearch.search_messages(session, current_user().tenant_id, query, _providers())
    return jsonify(result.to_json())


@bp.get("/messages/<int:message_id>")
@requires(READ_PERMISSION)
def message_detail(message_id: int) -> Response:
    """Every attempt and delivery report of one message; the full number only for order staff."""
    user = current_user()
    providers = _providers()
    with services().sessions() as session:
        detail = messagedetail.message_detail(
            session,
            user.tenant_id,
            message_id,
            providers,
            full_phone=FULL_PHONE_PERMISSION in user.permissions,
        )
    return jsonify(detail)


@bp.get("/messages/export.csv")
@requires(READ_PERMISSION)
def export_messages() -> Response:
    query = logsearch.LogQuery.from_args(request.args)
    tenant_id = current_user().tenant_id
    found = services()
    providers = _providers()

    def generate() -> Iterator[str]:
        with found.sessions() as session:
            yield from logexport.export_csv(session, tenant_id, query, providers)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="sms-messages.csv"'
    return response


@bp.get("/messages/stats")
@requires(READ_PERMISSION)
def message_stats() -> Response:
    query = logsearch.LogQuery.from_args(request.args)
    with services().sessions() as session:
        days = logcounts.daily_counts(session, current_user().tenant_id, query)
    return jsonify({"days": days})
