"""Daily sends: checking one (400 naming the field), storing it, and its runs, one per day.

A daily send is checked whole before it is stored. Each enabled daily send has
one ``pending`` scheduled run (``kind`` ``daily_send``, key
``daily:<id>:<day>``) due at its hour of a shop-local day; the run, when it
starts, schedules the next day's (:mod:`.running`), so the chain lives in the
durable table and survives restarts. Saving a daily send moves its pending run
to the new hour; switching it off closes it. Time is always passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from saleor_sms_app.anniversaries import dates
from saleor_sms_app.anniversaries.dates import Repeat, Source, Unit
from saleor_sms_app.anniversaries.tables import (
    DAILY_SEND_EVENT,
    RUN_KIND,
    DailySend,
    DailySendDay,
    content,
    daily_rule_id,
    day_prefix,
    run_key,
)
from saleor_sms_app.campaigns.audience import MATCHES, Audience, Narrowing, parse_time
from saleor_sms_app.campaigns.store import check_template
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.db import insert_once
from saleor_sms_app.errors import BadRequest
from saleor_sms_app.models import Message
from saleor_sms_app.recipients.phones import metadata_dict
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.clock import as_utc
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun

#: The largest offset (about ten years in days).
MAX_OFFSET = 3660
#: The reason code of a run closed because its daily send was switched off.
SWITCHED_OFF = "switched_off"
#: The reason code of a run closed because its daily send was deleted.
DELETED = "daily_send_deleted"
#: Most daily sends one shop keeps.
MAX_SENDS = 50


def _bad(field: str, message: str, hint: str) -> BadRequest:
    return BadRequest(f"{field}: {message}", details={field: hint})


def _whole(body: Mapping[str, Any], name: str, low: int, high: int, default: int) -> int:
    value = body.get(name, default)
    if value in (None, ""):
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _bad(name, f"a whole number from {low} to {high}", "a number")
    try:
        number = int(value)
    except ValueError:
        raise _bad(name, f"a whole number from {low} to {high}", "a number") from None
    if not low <= number <= high:
        raise _bad(name, f"must be from {low} to {high}", f"{low}-{high}")
    return number


@dataclass(frozen=True)
class Selection:
    """Whose occurrence a day is: the date counted from, and N days, months or years after
    it once, or every year on it (``days_before`` ahead, from its ``from_year``-th)."""

    source: Source
    date_key: str = ""
    amount: int = 0
    unit: Unit = Unit.DAYS
    audience: Audience = Audience()
    repeat: Repeat = Repeat.ONCE
    days_before: int = 0
    from_year: int = 1

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Selection:
        """The selection of a request body; :class:`BadRequest` naming the field."""
        try:
            source = Source(str(body.get("source")))
        except ValueError:
            choices = ", ".join(s.value for s in Source)
            raise _bad("source", f"one of {choices}", "a date to count from") from None
        date_key = body.get("date_key") or ""
        if not isinstance(date_key, str) or len(date_key) > 255:
            raise _bad("date_key", "a metadata key (text)", "text")
        date_key = date_key.strip()
        if source in (Source.BIRTHDAY, Source.METADATA_DATE) and not date_key:
            raise _bad("date_key", "name the customer metadata key holding the date", "required")
        audience = Audience.from_json(body.get("audience") or {})
        try:
            repeat = Repeat(body.get("repeat") or Repeat.ONCE.value)
        except ValueError:
            raise _bad("repeat", "once or yearly", "once or yearly") from None
        if source is Source.BIRTHDAY:
            repeat = Repeat.YEARLY  # its own day every year
        high = dates.MAX_DAYS_BEFORE
        days_before = _whole(body, "days_before", 0, high, 0)
        if source in (Source.JOINED, Source.LAST_ORDER):
            date_key = ""
        if repeat is Repeat.YEARLY:
            from_year = 1 if source is Source.BIRTHDAY else _whole(body, "from_year", 1, 100, 1)
            return cls(source, date_key, 0, Unit.DAYS, audience, repeat, days_before, from_year)
        if days_before:
            raise _bad(
                "days_before",
                "only a birthday or a yearly anniversary is texted days before",
                "0 unless yearly",
            )
        try:
            unit = Unit(body.get("offset_unit") or Unit.DAYS.value)
        except ValueError:
            raise _bad("offset_unit", "days, months or years", "days, months or years") from None
        amount = _whole(body, "offset_amount", 0, MAX_OFFSET, 0)
        return cls(source, date_key, amount, unit, audience)

    @classmethod
    def of(cls, send: DailySend) -> Selection:
        source = Source(send.source)
        yearly = source is Source.BIRTHDAY or send.repeat == Repeat.YEARLY.value
        return cls(
            source,
            send.date_key,
            send.offset_amount,
            Unit(send.offset_unit),
            Audience.from_json(send.audience or {}),
            Repeat.YEARLY if yearly else Repeat.ONCE,
            send.days_before,
            send.from_year,
        )


def checked(body: Mapping[str, Any], config: AppConfig, short_link_base: str) -> dict[str, Any]:
    """The columns of a daily send from a request body; :class:`BadRequest` naming the field."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise _bad("name", "give the daily send a name (up to 255 characters)", "required")
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _bad("enabled", "true or false", "true or false")
    selection = Selection.from_json(body)
    return {
        "name": name.strip(),
        "enabled": enabled,
        "hour": _whole(body, "hour", 0, 23, 9),
        "source": selection.source.value,
        "date_key": selection.date_key,
        "offset_amount": selection.amount,
        "offset_unit": selection.unit.value,
        "repeat": selection.repeat.value,
        "days_before": selection.days_before,
        "from_year": selection.from_year,
        "audience": selection.audience.as_json(),
        "template": check_template(body.get("template"), config, short_link_base, SAMPLE_OCCASION),
    }


def idempotency_key(body: Mapping[str, Any]) -> str:
    key = body.get("idempotency_key")
    if not isinstance(key, str) or not 8 <= len(key) <= 64:
        raise _bad("idempotency_key", "8 to 64 characters (one per Save click)", "required")
    return key


def find(session: Session, tenant_id: int, send_id: int) -> DailySend | None:
    """The shop's daily send (a deleted one is not found)."""
    found = session.get(DailySend, send_id)
    if found is None or found.tenant_id != tenant_id or found.deleted_at is not None:
        return None
    return found


def listed(session: Session, tenant_id: int, *, deleted: bool = False) -> list[DailySend]:
    """The shop's daily sends (``deleted``: those deleted instead)."""
    gone = DailySend.deleted_at.is_not(None) if deleted else DailySend.deleted_at.is_(None)
    return list(
        session.scalars(
            select(DailySend).where(DailySend.tenant_id == tenant_id, gone).order_by(DailySend.id)
        )
    )


def create(
    session: Session,
    tenant_id: int,
    key: str,
    values: dict[str, Any],
    created_by: str,
    zone: ZoneInfo,
    now: datetime,
) -> tuple[DailySend, bool]:
    """Store a checked daily send and schedule its first day: (it, whether it is new)."""
    existing = session.scalar(
        select(DailySend).where(DailySend.tenant_id == tenant_id, DailySend.idempotency_key == key)
    )
    if existing is not None:
        return existing, False
    if len(listed(session, tenant_id)) >= MAX_SENDS:
        raise _bad("name", f"a shop keeps at most {MAX_SENDS} daily sends", "too many")
    same = [d for d in listed(session, tenant_id, deleted=True) if content(d) == content(values)]
    row = {
        **values,
        # Texts of a deleted daily send of the same content count as this one's: nobody
        # gets the same occurrence twice because it was deleted and saved again.
        "keys_of": same[-1].key_id if same else None,
        "tenant_id": tenant_id,
        "idempotency_key": key,
        "created_by": created_by[:255],
        "created_at": now,
        "updated_at": now,
    }
    new_id = insert_once(session, DailySend, row, ["tenant_id", "idempotency_key"])
    found = session.scalar(
        select(DailySend).where(DailySend.tenant_id == tenant_id, DailySend.idempotency_key == key)
    )
    assert found is not None
    if new_id is not None:
        plan(session, found, zone, now)
    return found, new_id is not None


def update(
    session: Session, send: DailySend, values: dict[str, Any], zone: ZoneInfo, now: datetime
) -> None:
    """Save a changed daily send: its pending run moves to the new hour, or closes if off."""
    for name, value in values.items():
        setattr(send, name, value)
    send.updated_at = now
    plan(session, send, zone, now)


def delete(session: Session, send: DailySend, now: datetime) -> None:
    """Delete a daily send: its booked runs are closed; it is kept (listed nowhere) with its
    days and every log row, so the log loses nothing and its occurrence keys stay."""
    keys = [r.dedupe_key for r in pending_runs(session, send)]
    runs.close_pending(session, send.tenant_id, keys, DELETED, "The daily send was deleted", now)
    send.enabled = False
    send.deleted_at = now
    send.updated_at = now


def replan_shop(session: Session, tenant_id: int, zone: ZoneInfo, now: datetime) -> int:
    """After the shop's time zone is saved: every daily send's booked run moves to its hour
    in ``zone`` (:func:`plan`); how many daily sends are on."""
    found = [s for s in listed(session, tenant_id) if s.enabled]
    for send in found:
        plan(session, send, zone, now)
    return len(found)


def pending_runs(session: Session, send: DailySend) -> list[ScheduledRun]:
    return list(
        session.scalars(
            select(ScheduledRun).where(
                ScheduledRun.tenant_id == send.tenant_id,
                ScheduledRun.kind == RUN_KIND,
                ScheduledRun.rule_id == daily_rule_id(send.id),
                ScheduledRun.state == RunState.PENDING.value,
            )
        )
    )


def schedule_day(
    session: Session, send: DailySend, day: date, zone: ZoneInfo, now: datetime
) -> bool:
    """The run of ``day`` (idempotent per daily send and day); whether it is new."""
    return (
        runs.schedule(
            session,
            tenant_id=send.tenant_id,
            kind=RUN_KIND,
            dedupe_key=run_key(send.id, day),
            due_at=dates.due_at(day, send.hour, zone),
            now=now,
            rule_id=daily_rule_id(send.id),
            rule_name=f"Daily send: {send.name}"[:255],
            event=DAILY_SEND_EVENT,
            payload={"send_id": send.id, "day": day.isoformat()},
        )
        is not None
    )


def plan(session: Session, send: DailySend, zone: ZoneInfo, now: datetime) -> None:
    """Make the daily send's pending runs match it: off → closed; on → due at its hour,
    and one pending run exists (today's if its hour is still ahead, else tomorrow's)."""
    pending = pending_runs(session, send)
    if not send.enabled:
        keys = [r.dedupe_key for r in pending]
        runs.close_pending(session, send.tenant_id, keys, SWITCHED_OFF, "Switched off", now)
        return
    if pending:
        runs.reschedule_pending(
            session,
            send.tenant_id,
            {
                r.dedupe_key: (
                    dates.due_at(date.fromisoformat(str(r.payload["day"])), send.hour, zone),
                    None,
                )
                for r in pending
            },
        )
        return
    today = dates.shop_day(now, zone)
    day = today if now < dates.due_at(today, send.hour, zone) else today + timedelta(days=1)
    while not schedule_day(session, send, day, zone, now):
        due = dates.due_at(day, send.hour, zone)
        if runs.reopen(session, send.tenant_id, run_key(send.id, day), SWITCHED_OFF, due, now):
            return  # switched off and on again before the hour: the day is back
        day += timedelta(days=1)  # that day's run has been carried out already


def after_cancel(session: Session, run: ScheduledRun, zone: ZoneInfo, now: datetime) -> None:
    """A day's run cancelled on the Scheduled screen skips that day only: the next day's
    run (which the cancelled one would have scheduled when it started) is scheduled now."""
    if run.kind != RUN_KIND:
        return
    send = session.get(DailySend, int(str(run.payload["send_id"])))
    if send is not None and send.enabled and send.deleted_at is None:
        day = date.fromisoformat(str(run.payload["day"])) + timedelta(days=1)
        schedule_day(session, send, max(day, dates.shop_day(now, zone)), zone, now)


#: What a daily-send template sees besides the campaigns' tokens, for checking it on Save.
SAMPLE_OCCASION: dict[str, Any] = {"years": 3, "years_ordinal": "3rd", "days_before": 0}


def occasion(years: int | None, days_before: int) -> dict[str, Any]:
    """The template's ``years`` (which anniversary, an age; 0 when unknown: a birthday
    without a year), ``years_ordinal`` ("3rd") and ``days_before``."""
    count = years or 0
    return {"years": count, "years_ordinal": dates.ordinal(count), "days_before": days_before}


#: The preview's reason for a customer today's run already reached (``logged_today``).
ALREADY_TODAY = "already_today"


def logged_today(
    session: Session, tenant_id: int, send: DailySend, selection: Selection, day: date
) -> frozenset[str]:
    """The customers whose occurrence of ``day`` is already in the log (texted, or logged
    left out, by the day's run): the unique occurrence key means they are not texted
    again, so the preview after the run must not count them as getting it."""
    prefix = day_prefix(send.key_id, day + timedelta(days=selection.days_before))
    keys = session.scalars(
        select(Message.dedupe_key).where(
            Message.tenant_id == tenant_id,
            Message.dedupe_key.startswith(prefix, autoescape=True),
        )
    )
    return frozenset(key[len(prefix) :] for key in keys)


def narrowing(
    selection: Selection,
    day: date,
    zone: ZoneInfo,
    years: dict[str, int] | None = None,
    logged: frozenset[str] = frozenset(),
) -> Narrowing:
    """Saleor's filter and the app's check for "this customer's occurrence is ``day``";
    ``years`` (when given) gets each matching customer's anniversary or age; a customer
    in ``logged`` (:func:`logged_today`) matches as :data:`ALREADY_TODAY`."""
    source, unit = selection.source, selection.unit
    amount, key = selection.amount, selection.date_key
    before, yearly = selection.days_before, selection.repeat is Repeat.YEARLY
    target = day + timedelta(days=before)
    where: dict[str, Any] = {}
    if source in (Source.JOINED, Source.LAST_ORDER):
        if yearly:
            latest = dates.yearly_latest_anchor(day, before, selection.from_year)
            bounds = {"lte": dates.day_start(latest + timedelta(days=1), zone).isoformat()}
        else:
            first, last = dates.anchors(day, amount, unit)
            bounds = {
                "gte": dates.day_start(first, zone).isoformat(),
                "lte": dates.day_start(last + timedelta(days=1), zone).isoformat(),
            }
        where["dateJoined" if source is Source.JOINED else "placedOrdersAt"] = bounds
    else:
        where["metadata"] = {"key": key}

    def matches(customer: Mapping[str, Any], count: int | None) -> str:
        customer_id = str(customer.get("id") or "")
        if years is not None and count is not None:
            years[customer_id] = count
        return ALREADY_TODAY if customer_id in logged else MATCHES

    def check(customer: Mapping[str, Any]) -> str | None:
        if source is Source.BIRTHDAY:
            raw = metadata_dict(customer.get("metadata")).get(key)
            birthday = dates.parse_birthday(raw)
            if birthday is None:
                return None
            if isinstance(birthday, dates.Bad):
                return "bad_date"
            if not dates.is_birthday_ahead(birthday, day, before):
                return None
            born = dates.parse_day(raw, zone)  # a birthday with its year: an age
            return matches(
                customer, dates.whole_years(born, target) if isinstance(born, date) else None
            )
        if source is Source.METADATA_DATE:
            anchor = dates.parse_day(metadata_dict(customer.get("metadata")).get(key), zone)
        else:
            anchor = _anchor_time(customer, source, zone)
        if anchor is None:
            return None
        if isinstance(anchor, dates.Bad):
            return "bad_date"
        if yearly:
            count = dates.yearly_occurrence(anchor, day, before)
            if count is None or count < selection.from_year:
                return None
            return matches(customer, count)
        if not dates.is_occurrence(anchor, day, amount, unit):
            return None
        return matches(customer, dates.whole_years(anchor, day))

    return Narrowing(where, check)


def _anchor_time(customer: Mapping[str, Any], source: Source, zone: ZoneInfo) -> date | None:
    if source is Source.JOINED:
        when = parse_time(customer.get("dateJoined"))
    else:
        orders = customer.get("orders") if isinstance(customer.get("orders"), Mapping) else {}
        assert isinstance(orders, Mapping)
        edges = orders.get("edges") or []
        when = parse_time(edges[0].get("node", {}).get("created")) if edges else None
    if when is None:
        return None
    return when.astimezone(zone).date() if when.tzinfo else when.date()


def last_days(session: Session, send_id: int, limit: int = 7) -> list[DailySendDay]:
    return list(
        session.scalars(
            select(DailySendDay)
            .where(DailySendDay.send_id == send_id)
            .order_by(DailySendDay.day.desc())
            .limit(limit)
        )
    )


def send_json(session: Session, send: DailySend) -> dict[str, Any]:
    pending = pending_runs(session, send)
    next_due = min((as_utc(r.due_at) for r in pending), default=None)
    return {
        "id": send.id,
        "name": send.name,
        "enabled": send.enabled,
        "hour": send.hour,
        "source": send.source,
        "date_key": send.date_key,
        "offset_amount": send.offset_amount,
        "offset_unit": send.offset_unit,
        "repeat": Selection.of(send).repeat.value,
        "days_before": send.days_before,
        "from_year": send.from_year,
        "audience": send.audience,
        "template": send.template,
        "next_run_at": next_due.isoformat() if next_due else None,
        "days": [
            {
                "day": d.day.isoformat(),
                "missed": d.missed,
                "occurrences": d.occurrences,
                "bad_dates": d.bad_dates,
                "done": d.read_done,
            }
            for d in last_days(session, send.id)
        ],
    }
