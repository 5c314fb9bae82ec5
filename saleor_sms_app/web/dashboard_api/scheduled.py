"""The Scheduled screen's API: delayed texts waiting to go out, and cancelling one.

``GET /api/dashboard/scheduled?state=pending&page=1`` lists the tenant's runs
(soonest first); ``POST /api/dashboard/scheduled/<id>/cancel`` cancels a
pending one (409 once it has started or finished, 404 for another shop's).
Thin: the table's operations are :mod:`saleor_sms_app.scheduler.runs`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request

from saleor_sms_app.anniversaries import store as daily
from saleor_sms_app.anniversaries.tables import RUN_KIND
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import BadRequest, Conflict, NotFound
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION, WRITE_PERMISSION
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK, as_utc
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.web.dashboard_api.access import current_user, requires, services, tenant_config

bp = Blueprint("scheduled", __name__)

STATES = [s.value for s in RunState]


def run_json(run: ScheduledRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "rule_id": run.rule_id,
        "rule_name": run.rule_name,
        "event": run.event,
        "order_id": run.order_id,
        "order_number": run.order_number,
        "due_at": as_utc(run.due_at).isoformat(),
        "send_before": as_utc(run.send_before).isoformat() if run.send_before else None,
        "state": run.state,
        "attempts": run.attempts,
        "reason_code": run.reason_code,
        "reason_text": run.reason_text,
    }


@bp.get("/scheduled")
@requires(READ_PERMISSION)
def scheduled() -> Response:
    states = [s for s in request.args.get("state", "").split(",") if s]
    unknown = [s for s in states if s not in STATES]
    if unknown:
        raise BadRequest(
            f"unknown state {', '.join(unknown)}; use {', '.join(STATES)}",
            details={"state": f"one of {', '.join(STATES)}"},
        )
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        raise BadRequest("page must be a number", details={"page": "a number"}) from None
    with services().sessions() as session:
        found, total = runs.list_runs(session, current_user().tenant_id, states, page)
    return jsonify(
        {
            "runs": [run_json(r) for r in found],
            "total": total,
            "page": page,
            "page_size": runs.PAGE_SIZE,
        }
    )


@bp.post("/scheduled/<id:run_id>/cancel")
@requires(WRITE_PERMISSION)
def cancel(run_id: int) -> Response:
    tenant_id = current_user().tenant_id
    with session_scope(services().sessions) as session:
        if runs.cancel(session, tenant_id, run_id, SYSTEM_CLOCK.now()):
            run = session.get(ScheduledRun, run_id)
            assert run is not None
            if run.kind == RUN_KIND:
                config = tenant_config()
                zone = ZoneInfo(config.settings.shop_time_zone)
                daily.after_cancel(session, run, zone, SYSTEM_CLOCK.now())
            return jsonify({"run": run_json(run)})
        run = session.get(ScheduledRun, run_id)
        if run is None or run.tenant_id != tenant_id:
            raise NotFound("No such scheduled text in this shop", code="run_not_found")
        raise Conflict(
            f"This text can no longer be cancelled: it is {run.state}",
            code="run_not_pending",
            details={"state": run.state},
        )
