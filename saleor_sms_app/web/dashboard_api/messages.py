"""The Message log screen's API: pages, one message's detail, the chart, the CSV export."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request, stream_with_context

from saleor_sms_app.errors import (
    BadRequest,
    InvalidConfiguration,
    InvalidPhoneNumber,
    RetryableError,
)
from saleor_sms_app.message_log import csv_export, daily_counts, detail, personal_data, queries
from saleor_sms_app.message_log.rows import NO_PROVIDERS, ProviderDirectory
from saleor_sms_app.recipients.phones import normalise
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION, WRITE_PERMISSION
from saleor_sms_app.web.dashboard_api.access import (
    current_user,
    json_body,
    requires,
    services,
    tenant_config,
)

bp = Blueprint("messages", __name__)
log = logging.getLogger(__name__)

#: The export counts its rows exactly (for the progress bar) up to this many.
EXPORT_COUNT_CAP = 100_000_000

#: Who may see a customer's whole phone number (in the detail view only).
FULL_PHONE_PERMISSION = "MANAGE_ORDERS"


def _providers() -> ProviderDirectory:
    """The merchant's names for the providers (and their secrets, to redact answers).

    The log must open even when the configuration cannot be read (Saleor slow
    or down): providers are then shown by their ids, and answers as stored,
    which were redacted when they were written.
    """
    try:
        config = tenant_config()
    except RetryableError as exc:
        log.warning("message log without provider names: %s", exc.message)
        return NO_PROVIDERS
    return ProviderDirectory.of(config)


@bp.get("/messages")
@requires(READ_PERMISSION)
def messages() -> Response:
    query = queries.LogQuery.from_args(request.args)
    with services().sessions() as session:
        result = queries.search_messages(session, current_user().tenant_id, query, _providers())
    return jsonify(result.to_json())


@bp.get("/messages/<id:message_id>")
@requires(READ_PERMISSION)
def message_detail(message_id: int) -> Response:
    """Every attempt and delivery report of one message; the full number only for order staff."""
    user = current_user()
    providers = _providers()
    with services().sessions() as session:
        shown = detail.message_detail(
            session,
            user.tenant_id,
            message_id,
            providers,
            full_phone=FULL_PHONE_PERMISSION in user.permissions,
        )
    return jsonify(shown)


@bp.get("/messages/export.csv")
@requires(READ_PERMISSION)
def export_messages() -> Response:
    query = queries.LogQuery.from_args(request.args)
    tenant_id = current_user().tenant_id
    found = services()
    providers = _providers()

    def generate() -> Iterator[str]:
        with found.sessions() as session:
            yield from csv_export.export_csv(session, tenant_id, query, providers)

    with found.sessions() as session:
        # Exact, once per export (the page's progress bar): a million rows cost
        # tens of milliseconds beside the seconds the export takes.
        total = queries.count_matching(session, tenant_id, query, cap=EXPORT_COUNT_CAP)
    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["X-Message-Count"] = str(total)
    response.headers["Content-Disposition"] = 'attachment; filename="sms-messages.csv"'
    return response


@bp.get("/messages/stats")
@requires(READ_PERMISSION)
def message_stats() -> Response:
    query = queries.LogQuery.from_args(request.args)
    with services().sessions() as session:
        days = daily_counts.daily_counts(session, current_user().tenant_id, query)
    return jsonify({"days": days})


def _number_from_body() -> str:
    """The one number a personal-data request is about, as E.164 (in the body, never the
    URL: a URL ends up in access logs)."""
    raw = json_body().get("phone")
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest("phone must be a phone number", details={"phone": "required"})
    try:
        if raw.strip().startswith("+"):
            # International already: no need to ask Saleor for the default country.
            return normalise(raw, None)
        config = tenant_config()
        return normalise(raw, config.settings.default_country)
    except InvalidPhoneNumber as exc:
        raise InvalidConfiguration(exc.message, details={"phone": exc.message}) from None


@bp.post("/messages/personal-data/export")
@requires(FULL_PHONE_PERMISSION)
def export_personal_data() -> Response:
    """Everything the log holds for one number, as a JSON download (an access request)."""
    phone = _number_from_body()
    with services().sessions() as session:
        document = personal_data.export_number(session, current_user().tenant_id, phone)
    log.info(
        "exported the personal data of one number for tenant %s (%s messages)",
        current_user().tenant_id,
        len(document["messages"]),
    )
    response = jsonify(document)
    response.headers["Content-Disposition"] = 'attachment; filename="sms-personal-data.json"'
    return response


@bp.post("/messages/personal-data/erase")
@requires(WRITE_PERMISSION)
def erase_personal_data() -> Response:
    """Blank every message, answer and report holding one number; drop it from the
    do-not-text list. Logged with the counts, never the number."""
    phone = _number_from_body()
    user = current_user()
    with services().sessions.begin() as session:
        erased = personal_data.erase_number(session, user.tenant_id, phone)
    log.info(
        "erased the personal data of one number for tenant %s at the request of %s: %s",
        user.tenant_id,
        user.email,
        erased.to_json(),
    )
    return jsonify({"erased": erased.to_json()})
