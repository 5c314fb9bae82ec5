"""Carrying out a daily send: the scheduler's ``daily_send`` runs, one shop-local day each.

A run first schedules the next day's run (so a run that fails, or the app
stopping, never breaks the chain), then reads the customers whose occurrence is
its day (:func:`.store.narrowing` on top of the audience's filters, 100 a page,
the cursor kept in ``daily_send_days``) and logs one row per occurrence with
the key ``daily:<id>:<day>:<customer id>`` through
:func:`~saleor_sms_app.messages.rule_messages.log_rows` (do-not-text list,
marketing caps), handing the ``queued`` rows to the send jobs at the
provider's pace and holding those in quiet hours, as campaigns do.

**A day the app was down.** The run of a day is a durable row, so after a
restart it is carried out late. If its day (in the shop's zone) has not ended
it sends as usual; if it has, every occurrence of that day not logged yet is
logged *skipped* with :data:`MISSED_TEXT`, and the next day's run is due at
once, so each missed day is recorded, up to :data:`MISSED_DAYS` back. Rows
logged on their day and still waiting (a worker died, quiet hours) are sent:
they were decided on their day.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from saleor_sms_app.anniversaries import dates, store
from saleor_sms_app.anniversaries.tables import (
    DAILY_SEND_EVENT,
    DailySend,
    DailySendDay,
    daily_rule_id,
    day_prefix,
)
from saleor_sms_app.campaigns.audience import Audience
from saleor_sms_app.campaigns.customers import LEFT_OUT_REASONS, Person, read_page
from saleor_sms_app.campaigns.running import (
    RESEND_AFTER,
    SYSTEM_TIMING,
    Timing,
    hand_on,
    not_quiet,
    pacer_for,
)
from saleor_sms_app.campaigns.store import campaign_text
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.db import insert_once, session_scope
from saleor_sms_app.errors import RetryableError, TemplateError
from saleor_sms_app.message_templates.links import LinkCollector
from saleor_sms_app.messages.rule_messages import Composed, log_rows
from saleor_sms_app.messages.send_cache import send_cache
from saleor_sms_app.models import Message, MessageStatus, RecipientType
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant_by_id, saleor_client
from saleor_sms_app.scheduler.runs import RunOutcome
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.segments import count_segments
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

#: The reason an occurrence of a day the app was not running on is logged skipped.
MISSED_CODE = "missed_day"
MISSED_TEXT = "Missed: the app was not running on that day, so it was not sent late"
#: Missed days recorded after the app was down (older ones are not looked at).
MISSED_DAYS = 7
#: When texts of the day still wait (quiet hours, being sent), look again then.
LOOK_AGAIN = timedelta(minutes=1)
#: Saleor cannot be reached: try again after this long.
SALEOR_WAIT = timedelta(minutes=1)

#: What the handler uses (tests put a clock they move here).
TIMING = SYSTEM_TIMING


def carry_out(
    services: Services, runs: Sequence[ScheduledRun], now: datetime
) -> dict[int, RunOutcome]:
    """The scheduler's handler: one stretch of each daily-send run."""
    longest = min(TIMING.stretch_seconds, services.settings.job_timeout / 3)
    timing = replace(TIMING, stretch_seconds=longest)
    return {
        run.id: advance(
            services,
            int(str(run.payload["send_id"])),
            date.fromisoformat(str(run.payload["day"])),
            timing,
        )
        for run in runs
    }


def _closed(code: str, text: str) -> RunOutcome:
    return RunOutcome(RunState.CLOSED, code, text)


def advance(
    services: Services, send_id: int, day: date, timing: Timing = SYSTEM_TIMING
) -> RunOutcome:
    """Read, log and hand on a stretch of one day of a daily send; what became of the run."""
    began = timing.clock.now()
    with services.sessions() as session:
        send = session.get(DailySend, send_id)
        if send is None or send.deleted_at is not None:
            return _closed(store.DELETED, "The daily send was deleted")
        if not send.enabled:
            return _closed(store.SWITCHED_OFF, "Switched off")
        tenant_id = send.tenant_id
    tenant = get_tenant_by_id(services, tenant_id)
    if tenant is None or not tenant.is_installed:
        return _closed("app_uninstalled", "The app was removed from this Saleor")
    try:
        config = send_cache(services).config(services, tenant)
    except RetryableError as exc:
        return RunOutcome(RunState.PENDING, exc.code, exc.message, retry_at=began + SALEOR_WAIT)
    zone = ZoneInfo(config.settings.shop_time_zone)
    today = dates.shop_day(began, zone)
    if day > today:
        # The clock went back, or the shop's zone changed: not its day yet.
        wait = "Not this day yet in the shop's time zone"
        return RunOutcome(
            RunState.PENDING, "not_yet", wait, retry_at=dates.due_at(day, send.hour, zone)
        )
    with session_scope(services.sessions) as session:
        send = session.get(DailySend, send_id)
        assert send is not None
        store.schedule_day(
            session,
            send,
            max(day + timedelta(days=1), today - timedelta(days=MISSED_DAYS)),
            zone,
            began,
        )
        insert_once(
            session,
            DailySendDay,
            {
                "send_id": send_id,
                "day": day,
                "read_done": False,
                "missed": False,
                "occurrences": 0,
                "bad_dates": 0,
                "updated_at": began,
            },
            ["send_id", "day"],
        )
        if day < today:
            _day_state(session, send_id, day).missed = True
    day_of = _Day(services, tenant, config, send_id, day, zone, timing)
    try:
        return day_of.run(began, missed=day < today)
    except RetryableError as exc:
        later = timing.clock.now() + SALEOR_WAIT
        return RunOutcome(RunState.PENDING, exc.code, exc.message, retry_at=later)


def _day_state(session: Session, send_id: int, day: date) -> DailySendDay:
    found = session.scalar(
        select(DailySendDay).where(DailySendDay.send_id == send_id, DailySendDay.day == day)
    )
    assert found is not None
    return found


class _Day:
    """One job's work on one day of one daily send."""

    def __init__(
        self,
        services: Services,
        tenant: TenantRecord,
        config: AppConfig,
        send_id: int,
        day: date,
        zone: ZoneInfo,
        timing: Timing,
    ) -> None:
        self.services = services
        self.tenant = tenant
        self.config = config
        self.send_id = send_id
        self.day = day
        self.zone = zone
        self.timing = timing
        self.rule_id = daily_rule_id(send_id)
        self.pacer = pacer_for(services, tenant.id, config)
        with services.sessions() as session:
            send = session.get(DailySend, send_id)
            assert send is not None
            # The start of this day's occurrence keys: the day of the occurrence (the birthday,
            # not the day texted days before it: fewer days before the next day texts nobody
            # twice; with none, the day itself, the keys of every send saved before 0013),
            # under a re-created send's deleted twin's id.
            occurs = day + timedelta(days=send.days_before)
            self.prefix = day_prefix(send.key_id, occurs)

    def run(self, began: datetime, *, missed: bool) -> RunOutcome:
        clock = self.timing.clock
        while True:
            with self.services.sessions() as session:
                state = _day_state(session, self.send_id, self.day)
                read_done, cursor = state.read_done, state.cursor
                send = session.get(DailySend, self.send_id)
                assert send is not None
                session.expunge(send)
            if read_done:
                return self._finish(missed)
            self._read_step(send, cursor, missed)
            if (clock.now() - began).total_seconds() >= self.timing.stretch_seconds:
                text = "Carries on at the next tick"
                return RunOutcome(RunState.PENDING, "continues", text, retry_at=clock.now())

    def _read_step(self, send: DailySend, cursor: str | None, missed: bool) -> None:
        """Read one page, log its occurrences, hand the sendable ones on, move the cursor."""
        years: dict[str, int] = {}
        selection = store.Selection.of(send)
        page = read_page(
            saleor_client(self.services, self.tenant),
            Audience.from_json(send.audience or {}),
            self.config.settings,
            cursor,
            narrowing=store.narrowing(selection, self.day, self.zone, years),
        )
        bad = [p for p in page.people if p.left_out == "bad_date"]
        if bad:
            # Not logged as a text each day; the day's record and the worker log say so.
            log.warning(
                "daily send %s: %d customers' %r is not a date: %s",
                send.id,
                len(bad),
                send.date_key,
                ", ".join(p.customer_id for p in bad[:20]),
            )
        name = f"Daily send: {send.name}"[:255]
        composed = [
            self._compose(
                send,
                name,
                person,
                page.shop_name,
                store.occasion(years.get(person.customer_id), selection.days_before),
                missed,
            )
            for person in page.people
            if person.left_out != "bad_date"
        ]
        with session_scope(self.services.sessions) as session:
            now = self.timing.clock.now()
            created, to_send = log_rows(
                session, self.tenant.id, composed, self.config.settings, now
            )
            to_send = not_quiet(session, self.config, to_send, now)
        hand_on(self.services, self.pacer, self.timing, to_send)
        with session_scope(self.services.sessions) as session:
            state = _day_state(session, self.send_id, self.day)
            if state.cursor != cursor:
                return  # another job moved on meanwhile (rows keyed: nothing doubled)
            state.cursor = page.end_cursor
            state.read_done = not page.has_next
            state.occurrences += len(created)
            state.bad_dates += len(bad)
            state.updated_at = self.timing.clock.now()

    def _compose(
        self,
        send: DailySend,
        name: str,
        person: Person,
        shop_name: str,
        extra: dict[str, Any],
        missed: bool,
    ) -> Composed:
        base: dict[str, Any] = {
            "tenant_id": self.tenant.id,
            "event": DAILY_SEND_EVENT,
            "rule_id": self.rule_id,
            "rule_name": name,
            "recipient_type": RecipientType.CUSTOMER.value,
            "order_id": None,
            "order_number": None,
            "channel": None,
            "marketing": True,
            "dedupe_key": f"{self.prefix}{person.customer_id}",
            "phone": (person.phone or person.raw_phone)[:64],
        }
        links = LinkCollector(self.services.settings.short_link_base)
        skipped = MessageStatus.SKIPPED.value
        if person.left_out is not None:
            text = LEFT_OUT_REASONS[person.left_out]
            row = {**base, "status": skipped, "error_code": person.left_out, "error_text": text}
            return Composed({**row, "body": ""}, links)
        if missed:
            row = {**base, "status": skipped, "error_code": MISSED_CODE, "error_text": MISSED_TEXT}
            return Composed({**row, "body": ""}, links)
        try:
            body = campaign_text(send.template, person, shop_name, self.config, links, extra)
        except TemplateError as exc:
            row = {**base, "status": MessageStatus.FAILED.value, "error_code": "template_error"}
            return Composed({**row, "error_text": exc.message, "body": ""}, links)
        if self.config.settings.dry_run.enabled:
            text = "Dry run is on (Settings): daily-send texts are logged, not sent"
            row = {**base, "status": skipped, "error_code": "dry_run", "error_text": text}
            return Composed({**row, "body": body}, links)
        info = count_segments(body)
        row = {
            **base,
            "status": MessageStatus.QUEUED.value,
            "body": body,
            "segments": info.segments,
            "encoding": info.encoding,
        }
        return Composed(row, links)

    def _waiting(self, session: Session, before: datetime | None = None) -> list[int]:
        where = [
            Message.tenant_id == self.tenant.id,
            Message.rule_id == self.rule_id,
            Message.status == MessageStatus.QUEUED.value,
            Message.dedupe_key.startswith(self.prefix, autoescape=True),
        ]
        if before is not None:
            where.append(Message.updated_at < before)
        return list(session.scalars(select(Message.id).where(*where).order_by(Message.id)))

    def _finish(self, missed: bool) -> RunOutcome:
        """Everything is read: hand on what waits (lost jobs, quiet hours that ended);
        done once nothing of the day waits."""
        now = self.timing.clock.now()
        with self.services.sessions() as session:
            waiting = self._waiting(session)
            stale = not_quiet(session, self.config, self._waiting(session, now - RESEND_AFTER), now)
            sending = session.scalar(
                select(func.count())
                .select_from(Message)
                .where(
                    Message.tenant_id == self.tenant.id,
                    Message.rule_id == self.rule_id,
                    Message.status == MessageStatus.SENDING.value,
                    Message.dedupe_key.startswith(self.prefix, autoescape=True),
                )
            )
            state = _day_state(session, self.send_id, self.day)
            summary = f"{state.occurrences} occurrences logged"
            if state.bad_dates:
                summary += f"; {state.bad_dates} customers' date is not a date (left out)"
        hand_on(self.services, self.pacer, self.timing, stale)
        if waiting or sending:
            text = "Waiting for the day's last texts to go out"
            return RunOutcome(RunState.PENDING, "sending", text, retry_at=now + LOOK_AGAIN)
        if missed:
            return RunOutcome(RunState.DONE, MISSED_CODE, f"{MISSED_TEXT} ({summary})")
        return RunOutcome(RunState.DONE, None, summary)
