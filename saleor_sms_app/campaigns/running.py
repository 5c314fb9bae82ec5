"""Carrying out a campaign: the scheduler's ``campaign`` runs, one stretch at a time.

A run reads the audience a page (100 customers, or 100 typed numbers) at a
time, writes one message-log row per recipient through
:func:`~saleor_sms_app.messages.composing.log_rows` (the do-not-text list
applies there; the opt-out line is in the text) and hands the ``queued`` rows
to the send jobs at the provider's pace (:mod:`.pacing`). After a stretch of
:data:`STRETCH_SECONDS` it goes back to ``pending`` due at once, and the next
tick carries on from the stored cursor. Nobody is texted twice, also when a
worker dies mid-stretch: a recipient's row has a deterministic key
(``campaign:<id>:<phone>``), the cursor moves only after a page's rows are
logged and handed on, so a page read again logs nothing new, and only a
``queued`` row is ever claimed for sending. Rows still ``queued`` a minute
after they were handed on (a lost job, a refusal for sending too fast) are
handed on again, at the pace.

Reading stays at most :data:`MAX_AHEAD` unsent rows ahead of the senders, so
Pause and Cancel stop a campaign within that many texts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from saleor_sms_app.automations.quiet_hours import quiet_until
from saleor_sms_app.campaigns.audience import Audience
from saleor_sms_app.campaigns.customers import LEFT_OUT_REASONS, Person, read_page
from saleor_sms_app.campaigns.pacing import Pacer
from saleor_sms_app.campaigns.store import campaign_text, settle_unsent
from saleor_sms_app.campaigns.tables import (
    CAMPAIGN_EVENT,
    Campaign,
    CampaignState,
    campaign_rule_id,
)
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import RetryableError, TemplateError
from saleor_sms_app.message_templates.links import LinkCollector
from saleor_sms_app.messages.by_hand import MANUAL_EVENT, sent_by_label
from saleor_sms_app.messages.dispatching import providers_for, send_messages
from saleor_sms_app.messages.rule_messages import Composed, log_rows
from saleor_sms_app.messages.send_cache import send_cache
from saleor_sms_app.messages.send_jobs import SEND_BATCH_SIZE, enqueue_sends
from saleor_sms_app.models import Message, MessageStatus, RecipientType
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant_by_id, saleor_client
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK, Clock, as_utc
from saleor_sms_app.scheduler.runs import RunOutcome
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.segments import count_segments
from saleor_sms_app.services import Services

#: The longest one job works on a campaign before handing it back to the scheduler
#: (at most a third of ``JOB_TIMEOUT``).
STRETCH_SECONDS = 60.0
#: Most logged, unsent rows reading may be ahead of the senders.
MAX_AHEAD = 500
#: A ``queued`` row older than this was not taken by its job: hand it on again.
RESEND_AFTER = timedelta(seconds=60)
#: Numbers read per stretch step from a typed list.
NUMBERS_PAGE = 100
#: How long to wait for senders to catch up before looking again (when there was
#: nothing this job could send itself).
CATCH_UP_SECONDS = 0.2
#: When everything is read but texts still wait (being sent, or a retry), look again then.
LOOK_AGAIN = timedelta(seconds=5)
#: When Saleor cannot be reached, try again after this long (a campaign never gives up;
#: the merchant can cancel it).
SALEOR_WAIT = timedelta(minutes=1)


def log_label(campaign: Campaign) -> tuple[str, str]:
    """The log's event and rule column for the campaign's rows. Customers ticked in
    Saleor's list are texted by hand: their rows read like any text sent from
    Saleor's pages (event ``MANUAL``, "Sent by hand by <who>")."""
    if Audience.from_json(campaign.audience or {}).picked:
        return MANUAL_EVENT, sent_by_label(campaign.created_by)
    return CAMPAIGN_EVENT, f"Campaign: {campaign.name}"[:255]


@dataclass(frozen=True)
class Timing:
    """The clock and the way to wait: the system's, or a test's that moves its clock."""

    clock: Clock = SYSTEM_CLOCK
    sleep: Callable[[float], None] = time.sleep
    stretch_seconds: float = STRETCH_SECONDS


SYSTEM_TIMING = Timing()
#: What the scheduler's handler uses (tests put a clock they move here).
TIMING = SYSTEM_TIMING


def carry_out(
    services: Services, runs: Sequence[ScheduledRun], now: datetime
) -> dict[int, RunOutcome]:
    """The scheduler's handler: one stretch of each campaign run."""
    longest = min(TIMING.stretch_seconds, services.settings.job_timeout / 3)
    timing = replace(TIMING, stretch_seconds=longest)
    return {
        run.id: advance(services, run.id, int(str(run.payload["campaign_id"])), timing)
        for run in runs
    }


def _closed(code: str, text: str) -> RunOutcome:
    return RunOutcome(RunState.CLOSED, code, text)


def advance(
    services: Services, run_id: int, campaign_id: int, timing: Timing = SYSTEM_TIMING
) -> RunOutcome:
    """Read, log and hand on a stretch of a campaign; what became of the run."""
    clock = timing.clock
    began = clock.now()
    with session_scope(services.sessions) as session:
        campaign = session.get(Campaign, campaign_id)
        stop = _why_stop(campaign, run_id)
        if stop is not None:
            return stop
        assert campaign is not None
        tenant_id = campaign.tenant_id
        if campaign.state == CampaignState.SCHEDULED.value:
            campaign.state = CampaignState.SENDING.value
            campaign.started_at = began
    tenant = get_tenant_by_id(services, tenant_id)
    if tenant is None or not tenant.is_installed:
        _finish(services, campaign_id, CampaignState.CANCELLED, "The app was removed from Saleor")
        return _closed("app_uninstalled", "The app was removed from this Saleor")
    try:
        config = send_cache(services).config(services, tenant)
    except RetryableError as exc:
        return RunOutcome(RunState.PENDING, exc.code, exc.message, retry_at=began + SALEOR_WAIT)
    pacer = pacer_for(services, tenant_id, config)
    step = _Stretch(services, tenant, config, campaign_id, run_id, pacer, timing)
    try:
        return step.run(began)
    except RetryableError as exc:
        now = clock.now()
        return RunOutcome(RunState.PENDING, exc.code, exc.message, retry_at=now + SALEOR_WAIT)


def hand_on(services: Services, pacer: Pacer, timing: Timing, message_ids: list[int]) -> None:
    """Queue the sends, at most the provider's pace (waiting for the pacer's slots)."""
    rate = pacer.per_second
    size = SEND_BATCH_SIZE if rate is None else max(1, min(SEND_BATCH_SIZE, int(rate)))
    for start in range(0, len(message_ids), size):
        chunk = message_ids[start : start + size]
        wait = pacer.reserve(len(chunk), timing.clock.now())
        if wait > 0:
            timing.sleep(wait)
        enqueue_sends(services, chunk)


def not_quiet(
    session: Session, config: AppConfig, ids: list[int], now: datetime, enough: int | None = None
) -> list[int]:
    """Those of ``ids`` whose recipient may be texted now: quiet hours hold the others
    (they stay ``queued`` and are handed on once their quiet hours end). With
    ``enough``, the first that many in the order of ``ids``: the quiet hours of the
    rest are not looked up."""
    settings = config.settings
    if not ids or not settings.quiet_hours.enabled:
        return ids[:enough]
    rows = session.execute(select(Message.id, Message.phone).where(Message.id.in_(ids)))
    phone_of = {r.id: r.phone for r in rows}
    found: list[int] = []
    for message_id in ids:
        phone = phone_of.get(message_id)
        if phone is not None and quiet_until(phone, settings, now) is None:
            found.append(message_id)
            if enough is not None and len(found) >= enough:
                break
    return found


def pacer_for(services: Services, tenant_id: int, config: AppConfig) -> Pacer:
    """The pace of the shop's first provider (the one a marketing text goes to first)."""
    providers = providers_for(config, None)
    return Pacer(
        services.redis,
        tenant_id,
        providers[0].id if providers else "none",
        providers[0].messages_per_second if providers else None,
    )


def _why_stop(campaign: Campaign | None, run_id: int) -> RunOutcome | None:
    if campaign is None:
        return _closed("campaign_gone", "The campaign no longer exists")
    if campaign.run_id != run_id:
        return _closed("superseded", "The campaign was resumed by another run")
    if campaign.state == CampaignState.PAUSED.value:
        return _closed("paused", "The campaign was paused; Resume carries on")
    if campaign.state == CampaignState.CANCELLED.value:
        return _closed("cancelled", "The campaign was cancelled")
    if campaign.state == CampaignState.DONE.value:
        return RunOutcome(RunState.DONE)
    return None


def _finish(services: Services, campaign_id: int, state: CampaignState, reason: str | None) -> None:
    with session_scope(services.sessions) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None and campaign.state in (
            CampaignState.SCHEDULED.value,
            CampaignState.SENDING.value,
        ):
            campaign.state = state.value
            campaign.reason_text = reason
            campaign.finished_at = campaign.updated_at = SYSTEM_CLOCK.now()


class _Stretch:
    """One job's work on one campaign."""

    def __init__(
        self,
        services: Services,
        tenant: TenantRecord,
        config: AppConfig,
        campaign_id: int,
        run_id: int,
        pacer: Pacer,
        timing: Timing,
    ) -> None:
        self.services = services
        self.tenant = tenant
        self.config = config
        self.campaign_id = campaign_id
        self.run_id = run_id
        self.pacer = pacer
        self.timing = timing
        self.rule_id = campaign_rule_id(campaign_id)
        self.event, self.name = CAMPAIGN_EVENT, ""

    def run(self, began: datetime) -> RunOutcome:
        clock = self.timing.clock
        while True:
            with session_scope(self.services.sessions) as session:
                campaign = session.get(Campaign, self.campaign_id)
                stop = _why_stop(campaign, self.run_id)
                if stop is not None:
                    return stop
                assert campaign is not None
                now = clock.now()
                self._notice_refusals(session, campaign, now)
                stale = self._stale_queued(session, now)
                unsent = self._unsent(session)
                read_done = campaign.read_done
            if stale:
                self._hand_on(stale)
            if read_done:
                if unsent == 0:
                    _finish(self.services, self.campaign_id, CampaignState.DONE, None)
                    return RunOutcome(RunState.DONE)
                wait = "Waiting for the last texts to go out"
                later = clock.now() + LOOK_AGAIN
                return RunOutcome(RunState.PENDING, "sending", wait, retry_at=later)
            if unsent > MAX_AHEAD:
                # Ahead of the senders: send some of what waits from this job too
                # (claimed like any send, so never twice) rather than sit idle.
                if not self._help_send():
                    if not self._sendable_soon():
                        # All that waits is held by quiet hours: look again later.
                        held = "Waiting for the recipients' quiet hours to end"
                        later = clock.now() + LOOK_AGAIN
                        return RunOutcome(RunState.PENDING, "quiet_hours", held, retry_at=later)
                    self.timing.sleep(CATCH_UP_SECONDS)
            else:
                self._read_step()
            if (clock.now() - began).total_seconds() >= self.timing.stretch_seconds:
                text = "Carries on at the next tick"
                return RunOutcome(RunState.PENDING, "continues", text, retry_at=clock.now())

    # ------------------------------------------------------------------ reading

    def _read_step(self) -> None:
        """Read one page, log its rows, hand the sendable ones on, then move the cursor."""
        with self.services.sessions() as session:
            campaign = session.get(Campaign, self.campaign_id)
            assert campaign is not None
            cursor, numbers, audience = campaign.cursor, campaign.numbers, campaign.audience
            template = campaign.template
            self.event, self.name = log_label(campaign)
        if numbers is not None:
            start = int(cursor or 0)
            chunk = numbers[start : start + NUMBERS_PAGE]
            people = [Person("", "", "", "", phone) for phone in chunk]
            shop_name, next_cursor = "", str(start + len(chunk))
            next_cursor_or_none: str | None = next_cursor
            read, done, total = len(chunk), start + len(chunk) >= len(numbers), len(numbers)
        else:
            page = read_page(
                saleor_client(self.services, self.tenant),
                Audience.from_json(audience or {}),
                self.config.settings,
                cursor,
            )
            people, shop_name = page.people, page.shop_name
            next_cursor_or_none = page.end_cursor
            read, done, total = len(page.people), not page.has_next, page.total
        composed = [self._compose(template, person, shop_name) for person in people]
        with session_scope(self.services.sessions) as session:
            now = self.timing.clock.now()
            _, to_send = log_rows(
                session, self.tenant.id, _unique(composed), self.config.settings, now
            )
            to_send = self._not_quiet(session, to_send, now)
            # Paused or cancelled while this page was read: its rows wait or are
            # skipped like the others, and nothing is handed on.
            current = session.get(Campaign, self.campaign_id, populate_existing=True)
            if current is not None and settle_unsent(session, current, now):
                to_send = []
        self._hand_on(to_send)
        with session_scope(self.services.sessions) as session:
            campaign = session.get(Campaign, self.campaign_id)
            assert campaign is not None
            if campaign.run_id != self.run_id:
                return
            campaign.cursor = next_cursor_or_none
            campaign.read_count += read
            campaign.read_done = done
            campaign.expected = total if not done else self._logged(session)

    def _compose(self, template: str, person: Person, shop_name: str) -> Composed:
        base: dict[str, Any] = {
            "tenant_id": self.tenant.id,
            "event": self.event,
            "rule_id": self.rule_id,
            "rule_name": self.name,
            "recipient_type": RecipientType.CUSTOMER.value
            if person.customer_id
            else RecipientType.FIXED.value,
            "order_id": None,
            "order_number": None,
            "channel": None,
            # A marketing text: the shop's marketing caps count it and apply to it.
            "marketing": True,
        }
        links = LinkCollector(self.services.settings.short_link_base)
        if person.left_out is not None:
            row = {
                **base,
                "dedupe_key": f"{self.rule_id}:c:{person.customer_id}",
                "status": MessageStatus.SKIPPED.value,
                "error_code": person.left_out,
                "error_text": LEFT_OUT_REASONS[person.left_out],
                "phone": (person.phone or person.raw_phone)[:64],
                "body": "",
            }
            return Composed(row, links)
        row = {**base, "dedupe_key": f"{self.rule_id}:{person.phone}", "phone": person.phone}
        try:
            body = campaign_text(template, person, shop_name, self.config, links)
        except TemplateError as exc:
            row.update(status=MessageStatus.FAILED.value, error_code="template_error")
            return Composed({**row, "error_text": exc.message, "body": ""}, links)
        info = count_segments(body)
        if self.config.settings.dry_run.enabled:
            # Dry run sends an order's text to the test number; a campaign's
            # thousands are logged, not sent.
            row.update(status=MessageStatus.SKIPPED.value, error_code="dry_run")
            text = "Dry run is on (Settings): campaign texts are logged, not sent"
            return Composed({**row, "error_text": text, "body": body}, links)
        row.update(
            status=MessageStatus.QUEUED.value,
            body=body,
            segments=info.segments,
            encoding=info.encoding,
        )
        return Composed(row, links)

    # ------------------------------------------------------------------ sending

    def _hand_on(self, message_ids: list[int]) -> None:
        hand_on(self.services, self.pacer, self.timing, message_ids)

    def _not_quiet(
        self, session: Session, ids: list[int], now: datetime, enough: int | None = None
    ) -> list[int]:
        return not_quiet(session, self.config, ids, now, enough)

    def _sendable_soon(self) -> bool:
        """Whether any waiting row of the campaign may be texted now."""
        with self.services.sessions() as session:
            ids = self._waiting(session, MAX_AHEAD)
            return bool(self._not_quiet(session, ids, self.timing.clock.now(), 1))

    def _waiting(self, session: Session, limit: int) -> list[int]:
        return list(
            session.scalars(
                select(Message.id)
                .where(*self._where(), Message.status == MessageStatus.QUEUED.value)
                .order_by(Message.id)
                .limit(limit)
            )
        )

    def _help_send(self) -> int:
        """Send the oldest waiting rows of the campaign in this job; how many it took."""
        with self.services.sessions() as session:
            now = self.timing.clock.now()
            # Only a batch is sent here: the quiet hours of the rest are not looked up.
            ids = self._not_quiet(session, self._waiting(session, MAX_AHEAD), now, SEND_BATCH_SIZE)
        if not ids:
            return 0
        counts = send_messages(self.services, ids)
        return sum(n for status, n in counts.items() if status != "missing")

    def _where(self) -> list[Any]:
        return [Message.tenant_id == self.tenant.id, Message.rule_id == self.rule_id]

    def _unsent(self, session: Session) -> int:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Message)
                .where(
                    *self._where(),
                    Message.status.in_([MessageStatus.QUEUED.value, MessageStatus.SENDING.value]),
                )
            )
            or 0
        )

    def _logged(self, session: Session) -> int:
        return int(
            session.scalar(select(func.count()).select_from(Message).where(*self._where())) or 0
        )

    def _stale_queued(self, session: Session, now: datetime) -> list[int]:
        return self._not_quiet(session, self._stale(session, now), now)

    def _stale(self, session: Session, now: datetime) -> list[int]:
        return list(
            session.scalars(
                select(Message.id)
                .where(
                    *self._where(),
                    Message.status == MessageStatus.QUEUED.value,
                    Message.updated_at < now - RESEND_AFTER,
                )
                .order_by(Message.id)
                .limit(MAX_AHEAD)
            )
        )

    def _notice_refusals(self, session: Session, campaign: Campaign, now: datetime) -> None:
        """A provider refused for sending too fast since the last look: slow down."""
        since = as_utc(campaign.slowed_at) if campaign.slowed_at else None
        where = [
            *self._where(),
            Message.status == MessageStatus.QUEUED.value,
            Message.error_code == "rate_limited",
        ]
        if since is not None:
            where.append(Message.updated_at > since)
        refused = session.scalar(select(func.count()).select_from(Message).where(*where))
        if refused:
            self.pacer.slow_down(now)
            campaign.slowed_at = now


def _unique(composed: list[Composed]) -> list[Composed]:
    """One row per key: two customers with the same number get one text."""
    seen: dict[str, Composed] = {}
    for item in composed:
        seen.setdefault(item.row["dedupe_key"], item)
    return list(seen.values())


def due_runs_of(session: Session, campaign_id: int) -> list[int]:
    """The runs carrying ``campaign_id`` (tests and the screen)."""
    return list(
        session.scalars(
            select(ScheduledRun.id).where(
                ScheduledRun.kind == "campaign",
                ScheduledRun.rule_id == campaign_rule_id(campaign_id),
            )
        )
    )
