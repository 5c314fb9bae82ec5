"""Creating campaigns (once per idempotency key), their text, progress, pause/resume/cancel.

A campaign is checked whole before it is stored: a date in the past, an
audience nobody is in, no valid number or a template that does not render is
a :class:`~saleor_sms_app.errors.BadRequest` naming the field. A stored
campaign gets one scheduled run (``kind`` ``campaign``) due at its date;
:mod:`.running` carries it out. Time is always passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from saleor_sms_app.campaigns.audience import Audience
from saleor_sms_app.campaigns.customers import Person
from saleor_sms_app.campaigns.tables import (
    CAMPAIGN_EVENT,
    Campaign,
    CampaignState,
    campaign_rule_id,
)
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.consent.marketing import with_opt_out
from saleor_sms_app.db import insert_once
from saleor_sms_app.errors import BadRequest, TemplateError
from saleor_sms_app.message_templates.links import LinkMaker, PreviewLinks
from saleor_sms_app.message_templates.sandbox import render
from saleor_sms_app.models import Message, MessageStatus, ShortLink
from saleor_sms_app.recipients.numberlists import read_numbers
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.clock import as_utc
from saleor_sms_app.segments import count_segments

_MESSAGES: Table = Message.__table__  # type: ignore[assignment]

#: The most numbers one campaign takes typed or uploaded.
MAX_NUMBERS = 100_000
#: How far ahead a campaign may be scheduled.
MAX_AHEAD = timedelta(days=365)
#: A "now" campaign may carry a time this much in the past (the clock of the browser).
GRACE = timedelta(minutes=2)
#: Priced messages the cost estimate averages over (the newest).
COST_SAMPLE = 1000

SAMPLE_PERSON = Person("", "Anna", "Kowalska", "anna@example.com", "+48601234567")


def campaign_context(person: Person, shop_name: str) -> dict[str, Any]:
    """What a campaign template sees: the shop and the customer (no order)."""
    return {
        "shop": {"name": shop_name},
        "customer": {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "full_name": person.full_name,
            "email": person.email,
            "phone": person.phone,
        },
    }


def campaign_text(
    template: str,
    person: Person,
    shop_name: str,
    config: AppConfig,
    links: LinkMaker,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """One recipient's text: the template rendered for them, then the opt-out line.
    ``extra`` is what a daily send adds (which anniversary it is)."""
    body = render(template, {**campaign_context(person, shop_name), **(extra or {})}, links)
    return with_opt_out(body, config.settings.opt_out_line) if body else ""


def check_template(
    template: object,
    config: AppConfig,
    short_link_base: str,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The template, or :class:`BadRequest` on ``template`` saying what is wrong
    (``extra``: sample values of what a daily send adds)."""
    if not isinstance(template, str) or not template.strip():
        raise BadRequest(
            "template: write the text of the campaign", details={"template": "required"}
        )
    try:
        links = PreviewLinks(short_link_base)
        text = campaign_text(template, SAMPLE_PERSON, "Shop", config, links, extra)
    except TemplateError as exc:
        raise BadRequest(f"template: {exc.message}", details={"template": exc.message}) from None
    if not text:
        raise BadRequest("template: the text is empty", details={"template": "empty"})
    return template


@dataclass(frozen=True)
class Estimate:
    text: str
    segments: int
    encoding: str
    #: currency → price of one segment, averaged over the shop's newest priced messages.
    per_segment: dict[str, Decimal]

    def as_json(self, recipients: int) -> dict[str, Any]:
        return {
            "text": self.text,
            "segments": self.segments,
            "encoding": self.encoding,
            "recipients": recipients,
            "cost": [
                {
                    "currency": currency,
                    "per_segment": str(price),
                    "total": str((price * self.segments * recipients).quantize(Decimal("0.01"))),
                }
                for currency, price in self.per_segment.items()
            ],
        }


def estimate(
    session: Session,
    tenant_id: int,
    template: object,
    config: AppConfig,
    short_link_base: str,
    *,
    person: Person = SAMPLE_PERSON,
    shop_name: str = "Shop",
) -> Estimate:
    """Segments of one message and the price of a segment so far. The message is
    ``person``'s: a sample customer unless the recipients are known (the customers
    ticked in Saleor's list), so the preview reads as one of them will get it."""
    template = check_template(template, config, short_link_base)
    text = campaign_text(template, person, shop_name, config, PreviewLinks(short_link_base))
    info = count_segments(text)
    recent = (
        select(Message.price, Message.currency, Message.segments)
        .where(Message.tenant_id == tenant_id, Message.price.is_not(None))
        .order_by(Message.created_at.desc())
        .limit(COST_SAMPLE)
        .subquery()
    )
    rows = session.execute(
        select(recent.c.currency, func.sum(recent.c.price), func.sum(recent.c.segments))
        .where(recent.c.segments > 0, recent.c.currency.is_not(None))
        .group_by(recent.c.currency)
    ).all()
    per_segment = {
        str(currency): (Decimal(str(total)) / int(segments)).quantize(Decimal("0.00001"))
        for currency, total, segments in rows
        if segments
    }
    return Estimate(text, info.segments, info.encoding, per_segment)


def send_time(value: object, zone_name: str, now: datetime) -> datetime:
    """``send_at`` read in the shop's time zone (UTC); empty means now; 400 when in the past."""
    if value in (None, "", "now"):
        return now
    if not isinstance(value, str):
        raise BadRequest("send_at must be a date and time", details={"send_at": "YYYY-MM-DDTHH:MM"})
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            "send_at must be a date and time such as 2026-11-27T09:00",
            details={"send_at": "YYYY-MM-DDTHH:MM"},
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(zone_name))
    when = as_utc(when)
    if when < now - GRACE:
        raise BadRequest(
            f"send_at is in the past ({value} in {zone_name})",
            details={"send_at": "in the past"},
        )
    if when > now + MAX_AHEAD:
        raise BadRequest("send_at is more than a year ahead", details={"send_at": "too far"})
    return max(when, now)


@dataclass(frozen=True)
class Recipients:
    """Who a campaign is for: an audience of customers, or numbers already checked."""

    audience: Audience | None
    numbers: list[str] | None
    problems: list[dict[str, Any]]
    duplicates: int


def recipients_of(body: Mapping[str, Any], config: AppConfig) -> Recipients:
    """The ``audience`` or the ``numbers`` of a request; bad lines refuse it unless accepted."""
    if body.get("numbers") not in (None, ""):
        text = body["numbers"]
        if not isinstance(text, str):
            raise BadRequest("numbers must be text, one number a line", details={"numbers": "text"})
        try:
            listed = read_numbers(text, config.settings.default_country, max_lines=MAX_NUMBERS)
        except ValueError as exc:
            raise BadRequest(f"numbers: {exc}", details={"numbers": str(exc)}) from None
        if listed.problems and not body.get("accept_bad_lines"):
            raise BadRequest(
                f"numbers: {len(listed.problems)} lines are not phone numbers",
                code="bad_lines",
                details={"numbers": "bad lines", "problems": listed.problems[:1000]},
            )
        if not listed.lines:
            raise BadRequest("numbers: there is no valid number", details={"numbers": "empty"})
        return Recipients(None, listed.phones, listed.problems, listed.duplicates)
    return Recipients(Audience.from_json(body.get("audience") or {}), None, [], 0)


def find(session: Session, tenant_id: int, campaign_id: int) -> Campaign | None:
    found = session.get(Campaign, campaign_id)
    return found if found is not None and found.tenant_id == tenant_id else None


def by_key(session: Session, tenant_id: int, key: str) -> Campaign | None:
    return session.scalar(
        select(Campaign).where(Campaign.tenant_id == tenant_id, Campaign.idempotency_key == key)
    )


def idempotency_key(body: Mapping[str, Any]) -> str:
    key = body.get("idempotency_key")
    if not isinstance(key, str) or not 8 <= len(key) <= 64:
        raise BadRequest(
            "idempotency_key must be 8 to 64 characters (one per Send click)",
            details={"idempotency_key": "required"},
        )
    return key


def store(
    session: Session,
    tenant_id: int,
    *,
    key: str,
    name: str,
    template: str,
    recipients: Recipients,
    send_at: datetime,
    created_by: str,
    expected: int,
    now: datetime,
) -> tuple[Campaign, bool]:
    """Store a checked campaign and schedule its run: (the campaign, whether it is new).

    ``ON CONFLICT DO NOTHING`` on the tenant and key: two Send requests racing
    with one key store one campaign and both answer with it.
    """
    values = {
        "tenant_id": tenant_id,
        "idempotency_key": key,
        "name": name,
        "state": CampaignState.SCHEDULED.value,
        "template": template,
        "audience": recipients.audience.as_json() if recipients.audience else None,
        "numbers": recipients.numbers,
        "send_at": send_at,
        "read_done": False,
        "read_count": 0,
        "expected": expected,
        "created_by": created_by[:255],
        "created_at": now,
        "updated_at": now,
    }
    new_id = insert_once(session, Campaign, values, ["tenant_id", "idempotency_key"])
    if new_id is None:
        existing = by_key(session, tenant_id, key)
        assert existing is not None
        return existing, False
    campaign = session.get(Campaign, new_id)
    assert campaign is not None
    campaign.run_id = _schedule_run(session, campaign, send_at, now, generation=0)
    return campaign, True


def _schedule_run(
    session: Session, campaign: Campaign, due: datetime, now: datetime, *, generation: int
) -> int | None:
    return runs.schedule(
        session,
        tenant_id=campaign.tenant_id,
        kind="campaign",
        dedupe_key=f"campaign:{campaign.id}:{generation}",
        due_at=due,
        now=now,
        rule_id=campaign_rule_id(campaign.id),
        rule_name=f"Campaign: {campaign.name}"[:255],
        event=CAMPAIGN_EVENT,
        payload={"campaign_id": campaign.id},
    )


def _set_rows(
    session: Session,
    campaign: Campaign,
    statuses: list[str],
    values: dict[str, Any],
    *,
    code: str | None = None,
) -> int:
    where = [
        _MESSAGES.c.tenant_id == campaign.tenant_id,
        _MESSAGES.c.rule_id == campaign_rule_id(campaign.id),
        _MESSAGES.c.status.in_(statuses),
    ]
    if code is not None:
        where.append(_MESSAGES.c.error_code == code)
    result = session.execute(_MESSAGES.update().where(*where).values(**values))
    return int(getattr(result, "rowcount", 0) or 0)


_PAUSED_ROW = {
    "status": MessageStatus.SKIPPED.value,
    "error_code": "campaign_paused",
    "error_text": "The campaign is paused; Resume sends this text",
}


_CANCELLED_ROW = {
    "status": MessageStatus.SKIPPED.value,
    "error_code": "campaign_cancelled",
    "error_text": "The campaign was cancelled before this text went out",
}


def settle_unsent(session: Session, campaign: Campaign, now: datetime) -> bool:
    """Rows logged while the campaign was being paused or cancelled get what the others
    got; whether the campaign is stopped (nothing more is to be handed on)."""
    if campaign.state == CampaignState.PAUSED.value:
        row = _PAUSED_ROW
    elif campaign.state == CampaignState.CANCELLED.value:
        row = _CANCELLED_ROW
    else:
        return False
    _set_rows(session, campaign, [MessageStatus.QUEUED.value], {**row, "updated_at": now})
    return True


def pause(session: Session, campaign: Campaign, now: datetime) -> bool:
    """Stop sending; texts not handed to a provider yet wait (logged as paused)."""
    if campaign.state not in (CampaignState.SCHEDULED.value, CampaignState.SENDING.value):
        return False
    campaign.state = CampaignState.PAUSED.value
    campaign.updated_at = now
    _set_rows(session, campaign, [MessageStatus.QUEUED.value], {**_PAUSED_ROW, "updated_at": now})
    return True


def resume(session: Session, campaign: Campaign, now: datetime) -> bool:
    """Carry on where the campaign stopped (a new run; the old one stops itself)."""
    if campaign.state != CampaignState.PAUSED.value:
        return False
    waiting = {"status": MessageStatus.QUEUED.value, "error_code": None, "error_text": None}
    _set_rows(
        session,
        campaign,
        [MessageStatus.SKIPPED.value],
        {**waiting, "updated_at": now - timedelta(hours=1)},  # re-sent by the next stretch
        code="campaign_paused",
    )
    started = campaign.started_at is not None
    campaign.state = (CampaignState.SENDING if started else CampaignState.SCHEDULED).value
    campaign.updated_at = now
    generation = int(now.timestamp() * 1000)
    due = now if started else max(as_utc(campaign.send_at), now)
    campaign.run_id = _schedule_run(session, campaign, due, now, generation=generation)
    return True


def cancel(session: Session, campaign: Campaign, now: datetime) -> bool:
    """Stop for good: texts not handed to a provider yet are skipped."""
    if campaign.state not in (
        CampaignState.SCHEDULED.value,
        CampaignState.SENDING.value,
        CampaignState.PAUSED.value,
    ):
        return False
    campaign.state = CampaignState.CANCELLED.value
    campaign.finished_at = now
    campaign.updated_at = now
    for statuses, code in (
        ([MessageStatus.QUEUED.value], None),
        ([MessageStatus.SKIPPED.value], "campaign_paused"),
    ):
        _set_rows(session, campaign, statuses, {**_CANCELLED_ROW, "updated_at": now}, code=code)
    if campaign.run_id is not None:
        runs.cancel(session, campaign.tenant_id, campaign.run_id, now)
    return True


def counts(session: Session, campaign: Campaign) -> dict[str, int]:
    """Log rows of the campaign per status (one indexed count)."""
    rows = session.execute(
        select(Message.status, func.count())
        .where(
            Message.tenant_id == campaign.tenant_id,
            Message.rule_id == campaign_rule_id(campaign.id),
        )
        .group_by(Message.status)
    ).all()
    return {str(status): int(n) for status, n in rows}


def progress(session: Session, campaign: Campaign, now: datetime) -> dict[str, Any]:
    """Queued, sent, delivered, failed, skipped, clicks and the time left."""
    by_status = counts(session, campaign)
    queued = by_status.get("queued", 0) + by_status.get("sending", 0)
    sent = by_status.get("sent", 0) + by_status.get("unknown", 0)
    delivered = by_status.get("delivered", 0)
    failed = by_status.get("failed", 0)
    skipped = by_status.get("skipped", 0)
    handled = sent + delivered + failed + skipped
    total = max(handled + queued, campaign.expected)
    time_left: float | None = None
    if campaign.state == CampaignState.SENDING.value and campaign.started_at is not None:
        spent = (now - as_utc(campaign.started_at)).total_seconds()
        if handled and spent > 0:
            time_left = round((total - handled) / (handled / spent), 1)
    clicks = session.scalar(
        select(func.coalesce(func.sum(ShortLink.clicks), 0))
        .join(Message, Message.id == ShortLink.message_id)
        .where(
            Message.tenant_id == campaign.tenant_id,
            Message.rule_id == campaign_rule_id(campaign.id),
        )
    )
    return {
        "queued": queued,
        "sent": sent,
        "delivered": delivered,
        "failed": failed,
        "skipped": skipped,
        "total": total,
        "read": campaign.read_count,
        "time_left_seconds": time_left,
        "clicks": int(clicks or 0),
        "slowed": campaign.slowed_at is not None
        and (now - as_utc(campaign.slowed_at)) < timedelta(minutes=1),
    }


def campaign_json(session: Session, campaign: Campaign, now: datetime) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "state": campaign.state,
        "template": campaign.template,
        "audience": campaign.audience,
        "numbers": len(campaign.numbers) if campaign.numbers is not None else None,
        "send_at": as_utc(campaign.send_at).isoformat(),
        "created_at": as_utc(campaign.created_at).isoformat(),
        "created_by": campaign.created_by,
        "finished_at": as_utc(campaign.finished_at).isoformat() if campaign.finished_at else None,
        "reason": campaign.reason_text,
        "progress": progress(session, campaign, now),
    }


def recent(session: Session, tenant_id: int, limit: int = 50) -> list[Campaign]:
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.tenant_id == tenant_id)
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
            .limit(limit)
        )
    )
