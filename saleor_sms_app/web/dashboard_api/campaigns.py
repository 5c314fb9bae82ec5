"""The Campaigns screen's API: build an audience, check numbers, estimate, send, watch, stop.

- ``POST /campaigns/audience`` — who would get it: counts, ten masked examples,
  who is left out and why (reads customers from Saleor; MANAGE_APPS, the
  permission that sends campaigns);
- ``POST /campaigns/numbers`` — typed, pasted or uploaded (``file``) numbers
  checked: how many, duplicates, every bad line with its number and reason;
- ``POST /campaigns/estimate`` — the text for a sample customer, its segments
  and the cost from the shop's recent prices;
- ``POST /campaigns`` — send now or at ``send_at`` (the shop's time zone);
  the ``idempotency_key`` makes a double click one campaign (201 new, 200 the
  same one again); a date in the past, nobody in the audience, no valid number
  or a template error is 400 naming the field;
- ``GET /campaigns``, ``GET /campaigns/<id>`` — campaigns with their progress;
- ``POST /campaigns/<id>/pause|resume|cancel`` — 409 when it is no longer possible.

Thin: the work is :mod:`saleor_sms_app.campaigns`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify
from redis.exceptions import RedisError

from saleor_sms_app.campaigns import audience as audiences
from saleor_sms_app.campaigns import customers, store
from saleor_sms_app.campaigns.tables import Campaign
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.consent.suppressions import suppressed_numbers
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import BadRequest, Conflict, NotFound
from saleor_sms_app.recipients.numberlists import read_numbers
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION, WRITE_PERMISSION
from saleor_sms_app.saleor.tenants import saleor_client
from saleor_sms_app.scheduler import tick
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK
from saleor_sms_app.web.dashboard_api.access import (
    current_user,
    json_body,
    requires,
    services,
    stored_answer,
    tenant_config,
    upload_text,
    uploaded_file,
)

bp = Blueprint("campaigns", __name__)

#: Largest numbers upload (100,000 numbers with a name beside each).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
#: Pages of customers read to be sure an audience is not empty before storing it.
EMPTY_CHECK_PAGES = 5


def preview_audience(
    audience: audiences.Audience, config: AppConfig, pages: int
) -> customers.Preview:
    """Who of ``audience`` would get a text, read from Saleor with the tenant's token
    (also the customer list's "Send SMS" popup)."""
    tenant_id = current_user().tenant_id

    def suppressed(phones: set[str]) -> set[str]:
        with services().sessions() as session:
            return suppressed_numbers(session, tenant_id, phones)

    client = saleor_client(services(), current_user().tenant)
    return customers.preview(client, audience, config.settings, suppressed, pages=pages)


@bp.post("/campaigns/audience")
@requires(WRITE_PERMISSION)
def audience_preview() -> Response:
    body = json_body()
    audience = audiences.Audience.from_json(body.get("audience") or {})
    return jsonify(preview_audience(audience, tenant_config(), customers.PREVIEW_PAGES).as_json())


def _numbers_text() -> str:
    """The numbers of an uploaded CSV, or typed or pasted into the JSON body."""
    uploaded = uploaded_file(MAX_UPLOAD_BYTES)
    if uploaded is not None:
        return upload_text(uploaded, MAX_UPLOAD_BYTES, "file")
    text = json_body().get("numbers")
    if not isinstance(text, str):
        raise BadRequest("numbers must be text, one number a line", details={"numbers": "text"})
    return upload_text(text.encode(), MAX_UPLOAD_BYTES, "numbers")


@bp.post("/campaigns/numbers")
@requires(READ_PERMISSION)
def check_numbers() -> Response:
    text = _numbers_text()
    try:
        listed = read_numbers(
            text, tenant_config().settings.default_country, max_lines=store.MAX_NUMBERS
        )
    except ValueError as exc:
        raise BadRequest(f"numbers: {exc}", details={"numbers": str(exc)}) from None
    return jsonify(
        {
            "valid": len(listed.lines),
            "duplicates": listed.duplicates,
            "problems": listed.problems[:1000],
            "problem_count": len(listed.problems),
            # The checked list, so an uploaded file can be sent as text.
            "numbers": "\n".join(listed.phones),
        }
    )


def recipients_count(body: dict[str, Any]) -> int:
    """How many texts an estimate is for (the cost multiplies by it); 400 naming it."""
    recipients = body.get("recipients", 0)
    if isinstance(recipients, bool) or not isinstance(recipients, int) or recipients < 0:
        raise BadRequest("recipients must be a whole number", details={"recipients": "a number"})
    return recipients


@bp.post("/campaigns/estimate")
@requires(READ_PERMISSION)
def estimate() -> Response:
    body = json_body()
    recipients = recipients_count(body)
    config = tenant_config()
    base = services().settings.short_link_base
    with services().sessions() as session:
        found = store.estimate(
            session, current_user().tenant_id, body.get("template"), config, base
        )
    return jsonify(found.as_json(recipients))


def _name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise BadRequest(
            "name: give the campaign a name (up to 255 characters)", details={"name": "required"}
        )
    return name.strip()


@dataclass(frozen=True)
class CheckedSend:
    """A Send's request read and checked: the campaign to store, and what its answer
    says beside the campaign (the Campaigns screen's bad lines and duplicates)."""

    name: str
    template: str
    recipients: store.Recipients
    send_at: datetime
    #: How many texts the progress bar counts towards.
    expected: int
    answer: dict[str, Any] = field(default_factory=dict)


def send_once(
    body: dict[str, Any], check: Callable[[AppConfig, datetime], CheckedSend]
) -> Response:
    """A Send that makes one campaign per ``idempotency_key`` (the Campaigns screen's
    and the customer list popup's).

    A key seen before answers with its campaign (200), before anything is checked
    again: a double click or a retried request is the same campaign, not a second
    one. Otherwise ``check`` reads the request in the shop's configuration (400
    naming the field), the campaign is stored (201) and, when due now, started.
    """
    user = current_user()
    key = store.idempotency_key(body)
    now = SYSTEM_CLOCK.now()
    earlier = _made_before(key, now)
    if earlier is not None:
        return earlier
    send = check(tenant_config(), now)
    with session_scope(services().sessions) as session:
        campaign, created = store.store(
            session,
            user.tenant_id,
            key=key,
            name=send.name,
            template=send.template,
            recipients=send.recipients,
            send_at=send.send_at,
            created_by=user.email,
            expected=send.expected,
            now=now,
        )
        answer = {
            "campaign": store.campaign_json(session, campaign, now),
            "created": created,
            **send.answer,
        }
    if created and send.send_at <= now:
        start_due_runs()
    return stored_answer(answer, created)


@bp.post("/campaigns")
@requires(WRITE_PERMISSION)
def create() -> Response:
    body = json_body()

    def check(config: AppConfig, now: datetime) -> CheckedSend:
        name = _name(body)
        template = store.check_template(
            body.get("template"), config, services().settings.short_link_base
        )
        send_at = store.send_time(body.get("send_at"), config.settings.shop_time_zone, now)
        recipients = store.recipients_of(body, config)
        expected = len(recipients.numbers or [])
        if recipients.audience is not None:
            found = preview_audience(recipients.audience, config, EMPTY_CHECK_PAGES)
            if found.tally.would_get == 0 and found.complete:
                raise BadRequest(
                    "audience: nobody in this audience can get the text",
                    code="empty_audience",
                    details={"audience": "empty", "left_out": found.as_json()["left_out"]},
                )
            expected = found.total
        bad_lines = {"bad_lines": recipients.problems[:1000], "duplicates": recipients.duplicates}
        return CheckedSend(name, template, recipients, send_at, expected, bad_lines)

    return send_once(body, check)


def _made_before(key: str, now: datetime) -> Response | None:
    """The answer to a Send whose key already made a campaign (a double click), else None."""
    with services().sessions() as session:
        existing = store.by_key(session, current_user().tenant_id, key)
        if existing is None:
            return None
        return jsonify({"campaign": store.campaign_json(session, existing, now), "created": False})


def start_due_runs() -> None:
    """Start a campaign due now rather than at the scheduler's next tick (up to 5 s
    away); if Redis refuses, the run stays due and the tick queues it."""
    try:
        tick.tick(services())
    except RedisError:
        pass


@bp.get("/campaigns")
@requires(READ_PERMISSION)
def list_campaigns() -> Response:
    now = SYSTEM_CLOCK.now()
    with services().sessions() as session:
        found = store.recent(session, current_user().tenant_id)
        return jsonify({"campaigns": [store.campaign_json(session, c, now) for c in found]})


def _campaign(session: Any, campaign_id: int) -> Campaign:
    found = store.find(session, current_user().tenant_id, campaign_id)
    if found is None:
        raise NotFound("No such campaign in this shop", code="campaign_not_found")
    return found


@bp.get("/campaigns/<id:campaign_id>")
@requires(READ_PERMISSION)
def one(campaign_id: int) -> Response:
    with services().sessions() as session:
        campaign = _campaign(session, campaign_id)
        return jsonify({"campaign": store.campaign_json(session, campaign, SYSTEM_CLOCK.now())})


def _change(campaign_id: int, action: str) -> Response:
    now = SYSTEM_CLOCK.now()
    with session_scope(services().sessions) as session:
        campaign = _campaign(session, campaign_id)
        done = {"pause": store.pause, "resume": store.resume, "cancel": store.cancel}[action](
            session, campaign, now
        )
        if not done:
            raise Conflict(
                f"The campaign cannot {action} now: it is {campaign.state}",
                code="campaign_state",
                details={"state": campaign.state},
            )
        return jsonify({"campaign": store.campaign_json(session, campaign, now)})


@bp.post("/campaigns/<id:campaign_id>/pause")
@requires(WRITE_PERMISSION)
def pause(campaign_id: int) -> Response:
    return _change(campaign_id, "pause")


@bp.post("/campaigns/<id:campaign_id>/resume")
@requires(WRITE_PERMISSION)
def resume(campaign_id: int) -> Response:
    return _change(campaign_id, "resume")


@bp.post("/campaigns/<id:campaign_id>/cancel")
@requires(WRITE_PERMISSION)
def cancel(campaign_id: int) -> Response:
    return _change(campaign_id, "cancel")
