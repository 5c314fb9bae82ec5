"""The Campaigns screen's "Daily sends" section: birthdays and anniversaries.

- ``GET /daily-sends`` — the shop's daily sends, each with its next run and
  its last days (texts logged, missed, dates that are not dates);
- ``POST /daily-sends/preview`` — who would get it today: counts, ten masked
  examples, who is left out and why (the campaigns' audience preview with the
  date condition; MANAGE_APPS, as the campaigns' preview), and the text the
  first of them would get (``{{ years_ordinal }}`` filled in, its segments);
  with the ``id`` of the daily send being edited, the customers its day's run
  already reached are left out as ``already_today`` (counted in
  ``already_today``): they are not texted twice;
- ``POST /daily-sends`` — create (the ``idempotency_key`` makes a double
  click one daily send: 201 new, 200 the same one again);
- ``PUT /daily-sends/<id>`` — save changes, switch on or off;
- ``DELETE /daily-sends/<id>`` — delete: its booked runs are closed, its log
  rows stay (:func:`saleor_sms_app.anniversaries.store.delete`).

Bad input is 400 naming the field and stores nothing. Thin: the work is
:mod:`saleor_sms_app.anniversaries`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify

from saleor_sms_app.anniversaries import dates
from saleor_sms_app.anniversaries import store as daily
from saleor_sms_app.campaigns import customers
from saleor_sms_app.campaigns.store import campaign_text
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.consent.suppressions import suppressed_numbers
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import NotFound, TemplateError
from saleor_sms_app.message_templates.links import PreviewLinks
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION, WRITE_PERMISSION
from saleor_sms_app.saleor.tenants import saleor_client
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK
from saleor_sms_app.segments import count_segments
from saleor_sms_app.web.dashboard_api.access import (
    current_user,
    json_body,
    requires,
    services,
    stored_answer,
    tenant_config,
)

bp = Blueprint("daily_sends", __name__)


def _zone(config: AppConfig) -> ZoneInfo:
    return ZoneInfo(config.settings.shop_time_zone)


@bp.get("/daily-sends")
@requires(READ_PERMISSION)
def list_sends() -> Response:
    with services().sessions() as session:
        found = daily.listed(session, current_user().tenant_id)
        return jsonify({"daily_sends": [daily.send_json(session, s) for s in found]})


@bp.post("/daily-sends/preview")
@requires(WRITE_PERMISSION)
def preview() -> Response:
    body = json_body()
    selection = daily.Selection.from_json(body)
    config = tenant_config()
    zone = _zone(config)
    today = dates.shop_day(SYSTEM_CLOCK.now(), zone)
    tenant_id = current_user().tenant_id
    logged: frozenset[str] = frozenset()
    send_id = body.get("id")
    if isinstance(send_id, int) and not isinstance(send_id, bool):
        with services().sessions() as session:
            send = daily.find(session, tenant_id, send_id)
            if send is not None:
                logged = daily.logged_today(session, tenant_id, send, selection, today)

    def suppressed(phones: set[str]) -> set[str]:
        with services().sessions() as session:
            return suppressed_numbers(session, tenant_id, phones)

    years: dict[str, int] = {}
    found = customers.preview(
        saleor_client(services(), current_user().tenant),
        selection.audience,
        config.settings,
        suppressed,
        narrowing=daily.narrowing(selection, today, zone, years, logged),
    )
    first = found.tally.first
    example: dict[str, Any] | None = None
    template = body.get("template")
    if first is not None and isinstance(template, str) and template.strip():
        # What "{{ years_ordinal }}" and the segments come to for a real customer; the
        # editor can only count the template as typed, braces and all.
        occasion = daily.occasion(years.get(first.customer_id), selection.days_before)
        links = PreviewLinks(services().settings.short_link_base)
        try:
            text = campaign_text(template, first, found.shop_name, config, links, occasion)
        except TemplateError:
            text = ""  # Save names the template's fault beside the field
        if text:
            example = {
                "name": first.shown_name,
                "text": text,
                "segments": count_segments(text).segments,
            }
    already = found.tally.left_out[daily.ALREADY_TODAY]
    answer = {**found.as_json(), "day": today.isoformat(), "already_today": already}
    return jsonify({**answer, "example_text": example})


@bp.post("/daily-sends")
@requires(WRITE_PERMISSION)
def create() -> Response:
    body = json_body()
    key = daily.idempotency_key(body)
    config = tenant_config()
    values = daily.checked(body, config, services().settings.short_link_base)
    now = SYSTEM_CLOCK.now()
    user = current_user()
    with session_scope(services().sessions) as session:
        send, created = daily.create(
            session, user.tenant_id, key, values, user.email, _zone(config), now
        )
        answer = {"daily_send": daily.send_json(session, send), "created": created}
    return stored_answer(answer, created)


@bp.put("/daily-sends/<id:send_id>")
@requires(WRITE_PERMISSION)
def save(send_id: int) -> Response:
    body = json_body()
    with services().sessions() as session:
        if daily.find(session, current_user().tenant_id, send_id) is None:
            raise NotFound("No such daily send in this shop", code="daily_send_not_found")
    config = tenant_config()
    values = daily.checked(body, config, services().settings.short_link_base)
    with session_scope(services().sessions) as session:
        send = daily.find(session, current_user().tenant_id, send_id)
        if send is None:
            raise NotFound("No such daily send in this shop", code="daily_send_not_found")
        daily.update(session, send, values, _zone(config), SYSTEM_CLOCK.now())
        return jsonify({"daily_send": daily.send_json(session, send)})


@bp.delete("/daily-sends/<id:send_id>")
@requires(WRITE_PERMISSION)
def delete(send_id: int) -> Response:
    with session_scope(services().sessions) as session:
        send = daily.find(session, current_user().tenant_id, send_id)
        if send is None:
            raise NotFound("No such daily send in this shop", code="daily_send_not_found")
        daily.delete(session, send, SYSTEM_CLOCK.now())
        return jsonify({"deleted": send_id})
