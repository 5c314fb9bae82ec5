"""``/api/delivery-reports/<tenant_id>/<provider_id>/<secret>``: provider callbacks.

Thin on purpose: authenticate (:mod:`.callbacks`: the tenant's secret in the URL
compared in constant time, then the provider's own signature), let the
adapter parse, let :mod:`saleor_sms_app.delivery_reports.receiving` apply. Every refusal is a
4xx JSON reason and changes nothing. A 5xx (database down) makes providers
retry later, which is what we want then. HEAD is answered (some providers
probe the URL before they save it) without touching anything.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from saleor_sms_app.db import session_scope
from saleor_sms_app.delivery_reports.pending import apply_pending_for_events, keep_reports
from saleor_sms_app.delivery_reports.receiving import apply_events, sending_now
from saleor_sms_app.errors import BadRequest, NotFound, Unauthorized
from saleor_sms_app.observability.logs import bind
from saleor_sms_app.observability.metrics import DELIVERY_REPORTS
from saleor_sms_app.web.callbacks import authenticated_tenant, provider_call

log = logging.getLogger(__name__)

bp = Blueprint("delivery_reports", __name__)

ROUTE = "/api/delivery-reports/<id:tenant_id>/<provider_id>/<secret>"


@bp.route(ROUTE, methods=["GET", "POST", "PUT", "HEAD"])
def delivery_report(tenant_id: int, provider_id: str, secret: str) -> Response:
    try:
        services, tenant = authenticated_tenant(tenant_id, secret)
    except Unauthorized:
        DELIVERY_REPORTS.labels("unknown", "refused").inc()
        raise
    bind(tenant=tenant_id, provider=provider_id)
    if request.method == "HEAD":
        return Response(status=200)
    try:
        call = provider_call(services, tenant, provider_id, "delivery report")
    except Unauthorized:
        # The adapter's signature check failed; the provider's type is not known here.
        DELIVERY_REPORTS.labels("unknown", "refused").inc()
        raise
    config, adapter = call.provider, call.adapter
    # No id we recorded holds a NUL byte, and PostgreSQL refuses one in a query (a 500);
    # nor does it store one in the rest of a report.
    events = [
        e.without_nul()
        for e in adapter.parse_callback(call.request)
        if "\x00" not in e.provider_message_id
    ]
    if not events:
        raise BadRequest("no delivery report found in this request")
    with session_scope(services.sessions) as session:
        applied = apply_events(
            session, tenant_id, config.id, config.type, events, hint_for=adapter.hint_for
        )
        early = [e for e in events if e.provider_message_id in set(applied.unknown)]
        kept = 0
        if early and sending_now(session, tenant_id):
            # Probably about a message whose id the worker is about to record:
            # kept and applied then (pending_reports), not refused and lost.
            kept = keep_reports(
                session, tenant_id, config.id, config.type, early, hint_for=adapter.hint_for
            )
        elif not applied.matched:
            session.rollback()
            DELIVERY_REPORTS.labels(config.type, "unknown").inc(len(events))
            raise NotFound(
                "no message sent through this provider has the id " + ", ".join(applied.unknown[:5])
            )
    for outcome, count in (
        ("applied", len(applied.matched)),
        ("pending", kept),
        ("unknown", len(applied.unknown) - kept),
    ):
        if count:
            DELIVERY_REPORTS.labels(config.type, outcome).inc(count)
    if kept:
        # The worker may have recorded the id between our look-up and our commit.
        with session_scope(services.sessions) as session:
            apply_pending_for_events(session, tenant_id, config.id, early)
    elif applied.unknown:
        log.info("delivery report for unknown message ids %s", applied.unknown[:5])
    if adapter.callback_ok_body is not None:
        return Response(adapter.callback_ok_body, status=200, content_type="text/plain")
    return jsonify(
        {
            "success": True,
            "applied": len(applied.matched),
            "pending": kept,
            "unknown": len(applied.unknown) - kept,
        }
    )
