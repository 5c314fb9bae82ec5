"""Campaigns carried out by the durable scheduler: once per recipient, at the provider's pace.

Real Redis (the queue and the pacer), the real database, the loopback Saleor
with customers, a scripted provider; the scheduler's ticks and the worker's
jobs run in this process (``drain_queue``) and the time is a clock the test
moves (the pacer's waits move it too).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from saleor_sms_app.campaigns import running
from saleor_sms_app.campaigns import store as campaigns
from saleor_sms_app.campaigns.audience import Audience
from saleor_sms_app.campaigns.pacing import Pacer
from saleor_sms_app.campaigns.tables import Campaign, campaign_rule_id
from saleor_sms_app.config.model import ProviderConfig, QuietHours
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.consent.suppressions import suppress
from saleor_sms_app.db import session_scope
from saleor_sms_app.messages import rule_messages, send_jobs
from saleor_sms_app.models import Message
from saleor_sms_app.providers import PROVIDERS
from saleor_sms_app.providers.models import FailureReason, OutboundSms, ProviderError, SendResult
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.scheduler import runner, tick
from saleor_sms_app.scheduler.clock import ManualClock
from saleor_sms_app.scheduler.tables import ScheduledRun
from saleor_sms_app.services import Services
from tests.campaigns.conftest import AddCustomer, HandingOn
from tests.conftest import drain_queue
from tests.pipeline.conftest import ScriptedProvider, configure


@pytest.fixture(autouse=True)
def moved_clock(monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> None:
    """The campaign handler reads the test's clock, and its waits move that clock."""

    def wait(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    monkeypatch.setattr(running, "TIMING", running.Timing(clock, wait, 1000.0))


def use_provider(
    store_: ConfigStore, tenant: TenantRecord, kind: str = "scripted", rate: float | None = None
) -> None:
    configure(
        store_,
        tenant,
        providers=[ProviderConfig(id="main", type=kind, messages_per_second=rate)],
        settings=store_.load(tenant, fresh=True).settings.model_copy(
            update={
                "default_country": "PL",
                "opt_out_line": "STOP? Reply STOP",
                # Quiet hours have their own test below; the others run at any hour.
                "quiet_hours": QuietHours(enabled=False),
            }
        ),
    )


@pytest.fixture
def sent(
    store: ConfigStore, tenant: TenantRecord, scripted: type[ScriptedProvider]
) -> type[ScriptedProvider]:
    """The shop texts through the scripted provider at ``use_provider``'s defaults;
    ``sent.calls`` are the texts it was handed, in order."""
    use_provider(store, tenant)
    return scripted


def new_campaign(
    services: Services,
    tenant: TenantRecord,
    clock: ManualClock,
    *,
    numbers: list[str] | None = None,
    template: str = "Hi {{ customer.first_name }}, -20% today",
    key: str = "campaign-key-1",
) -> int:
    recipients = campaigns.Recipients(None if numbers else Audience(), numbers, [], 0)
    with session_scope(services.sessions) as session:
        campaign, created = campaigns.store(
            session,
            tenant.id,
            key=key,
            name="Black Friday",
            template=template,
            recipients=recipients,
            send_at=clock.now(),
            created_by="owner@example.com",
            expected=len(numbers or []),
            now=clock.now(),
        )
        assert created
        return campaign.id


def run_until_done(
    services: Services, clock: ManualClock, campaign_id: int, rounds: int = 50
) -> str:
    for _ in range(rounds):
        tick.tick(services, clock)
        drain_queue(services)
        state = campaign_state(services, campaign_id)
        if state not in ("scheduled", "sending"):
            return state
        clock.advance(timedelta(seconds=5))
    raise AssertionError("the campaign did not finish")


def campaign_state(services: Services, campaign_id: int) -> str:
    with services.sessions() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.state


def rows(services: Services, campaign_id: int) -> list[Message]:
    with services.sessions() as session:
        return list(
            session.scalars(select(Message).where(Message.rule_id == campaign_rule_id(campaign_id)))
        )


def test_an_audience_campaign_texts_each_customer_once_with_the_opt_out_line(
    services: Services,
    tenant: TenantRecord,
    sent: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    for n in range(230):
        add_customer(f"+4860120{n:04d}", first_name=f"C{n}")
    add_customer(None)  # no phone: logged skipped
    add_customer("+48601209999", consent=False)
    add_customer("+48601208888")
    with session_scope(services.sessions) as session:
        suppress(session, tenant.id, "+48601208888", reason="STOP", source="inbound")
    campaign_id = new_campaign(services, tenant, clock)

    assert run_until_done(services, clock, campaign_id) == "done"

    sent_to = Counter(sms.to for sms in sent.calls)
    assert len(sent_to) == 230 and set(sent_to.values()) == {1}
    first = next(sms for sms in sent.calls if sms.to == "+48601200007")
    assert first.body == "Hi C7, -20% today\nSTOP? Reply STOP"
    logged = rows(services, campaign_id)
    assert Counter(m.status for m in logged) == {"sent": 230, "skipped": 3}
    assert {m.error_code for m in logged if m.status == "skipped"} == {
        "no_phone",
        "no_consent",
        "opted_out",
    }
    with services.sessions() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        progress = campaigns.progress(session, campaign, clock.now())
    assert progress["sent"] == 230 and progress["skipped"] == 3 and progress["queued"] == 0
    assert progress["total"] == 233


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


def test_a_worker_killed_mid_campaign_resumes_without_texting_anyone_twice(
    services: Services,
    tenant: TenantRecord,
    sent: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
    handing_on: HandingOn,
) -> None:
    for n in range(350):
        add_customer(f"+4860130{n:04d}")
    campaign_id = new_campaign(services, tenant, clock)

    def dies_on_the_fifth(ids: list[int]) -> None:
        if handing_on.calls == 5:  # page 3, half handed on, the cursor not moved
            raise WorkerKilled

    handing_on.after = dies_on_the_fifth
    claimed = tick.tick(services, clock)
    assert claimed.claimed == 1
    drain_queue(services)  # the run's job dies half-way (RQ records a failed job)
    assert handing_on.calls == 5
    with services.sessions() as session:
        left = session.scalars(select(ScheduledRun.state).where(ScheduledRun.kind == "campaign"))
        assert list(left) == ["running"]  # nobody recorded how the run ended
    handing_on.after = None
    drain_queue(services)  # the sends it had queued still go out
    assert campaign_state(services, campaign_id) == "sending"

    clock.advance(timedelta(minutes=11))
    assert tick.sweep(services, clock) == 1  # the dead run comes back
    assert run_until_done(services, clock, campaign_id) == "done"

    sent_to = Counter(sms.to for sms in sent.calls)
    assert len(sent_to) == 350 and set(sent_to.values()) == {1}
    assert len(rows(services, campaign_id)) == 350


def test_the_provider_pace_is_kept(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    handing_on: HandingOn,
) -> None:
    use_provider(store, tenant, rate=20)
    numbers = [f"+4860140{n:04d}" for n in range(200)]
    campaign_id = new_campaign(services, tenant, clock, numbers=numbers)
    handed: list[tuple[float, int]] = []
    start = clock.now()
    handing_on.after = lambda ids: handed.append(((clock.now() - start).total_seconds(), len(ids)))
    assert run_until_done(services, clock, campaign_id) == "done"

    assert sum(n for _, n in handed) == 200
    assert max(n for _, n in handed) <= 20
    for i, (at, _) in enumerate(handed):
        so_far = sum(n for _, n in handed[: i + 1])
        assert so_far <= 20 * at + 20 + 20, (at, so_far)  # the rate, a second's burst, a chunk
    assert handed[-1][0] >= (200 - 40) / 20


def test_two_workers_share_one_pace(services: Services, clock: ManualClock) -> None:
    one = Pacer(services.redis, 7, "main", 10)
    two = Pacer(services.redis, 7, "main", 10)
    now = clock.now()
    waits = [p.reserve(10, now) for p in (one, two, one, two)]
    assert waits == [0.0, 0.0, 1.0, 2.0]
    other_shop = Pacer(services.redis, 8, "main", 10)
    assert other_shop.reserve(10, now) == 0.0


class RefusesTooFast(ScriptedProvider):
    """Refuses the first sends for going too fast, then takes everything."""

    name: ClassVar[str] = "refuses"
    refusals: ClassVar[int] = 0

    def send(self, sms: OutboundSms) -> SendResult:
        if RefusesTooFast.refusals > 0:
            RefusesTooFast.refusals -= 1
            raise ProviderError(
                FailureReason.RATE_LIMITED,
                "429 too many requests",
                temporary=True,
                provider=self.name,
                provider_code="429",
            )
        return super().send(sms)


def test_a_provider_refusing_for_speed_slows_the_campaign_instead_of_failing_it(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(PROVIDERS, "refuses", "tests.campaigns.test_running:RefusesTooFast")
    # Retries wait as in production (the burst worker does not run them): the
    # campaign itself hands the refused texts on again, at a slower pace.
    monkeypatch.setattr(send_jobs, "SEND_RETRY_INTERVALS", [30, 120, 600])
    RefusesTooFast.refusals = 15
    use_provider(store, tenant, kind="refuses", rate=50)
    numbers = [f"+4860150{n:04d}" for n in range(100)]
    campaign_id = new_campaign(services, tenant, clock, numbers=numbers)

    state = run_until_done(services, clock, campaign_id, rounds=100)

    assert state == "done"
    logged = rows(services, campaign_id)
    assert Counter(m.status for m in logged) == {"sent": 100}
    assert Counter(sms.to for sms in scripted.calls) == Counter(numbers)
    with services.sessions() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.slowed_at is not None
    assert Pacer(services.redis, tenant.id, "main", 50).divisor() >= 2


def test_pause_holds_the_rest_resume_sends_it_cancel_skips_it(
    services: Services,
    tenant: TenantRecord,
    sent: type[ScriptedProvider],
    clock: ManualClock,
    handing_on: HandingOn,
) -> None:
    numbers = [f"+4860160{n:04d}" for n in range(300)]
    campaign_id = new_campaign(services, tenant, clock, numbers=numbers)
    paused: dict[str, bool] = {}

    def pause_after_first(ids: list[int]) -> None:
        if not paused:
            with session_scope(services.sessions) as session:
                campaign = session.get(Campaign, campaign_id)
                assert campaign is not None
                paused["ok"] = campaigns.pause(session, campaign, clock.now())

    handing_on.after = pause_after_first
    tick.tick(services, clock)
    drain_queue(services)
    assert paused["ok"] and campaign_state(services, campaign_id) == "paused"
    before = len(sent.calls)
    assert before < 300
    waiting = Counter(m.error_code for m in rows(services, campaign_id) if m.status == "skipped")
    assert waiting["campaign_paused"] == 100 - before  # the first page, logged, not sent yet

    with session_scope(services.sessions) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert not campaigns.pause(session, campaign, clock.now())  # already paused
        assert campaigns.resume(session, campaign, clock.now())
    handing_on.after = None
    for _ in range(3):
        tick.tick(services, clock)
        drain_queue(services, max_jobs=2)
        clock.advance(timedelta(seconds=1))
    with session_scope(services.sessions) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert campaigns.cancel(session, campaign, clock.now())
    drain_queue(services)
    tick.tick(services, clock)
    drain_queue(services)

    assert campaign_state(services, campaign_id) == "cancelled"
    sent_to = Counter(sms.to for sms in sent.calls)
    assert set(sent_to.values()) == {1}
    logged = rows(services, campaign_id)
    by_status = Counter(m.status for m in logged)
    assert by_status["sent"] == len(sent_to)
    assert by_status["queued"] == 0 and by_status["sending"] == 0
    assert {m.error_code for m in logged if m.status == "skipped"} <= {"campaign_cancelled"}


def test_the_estimate_counts_segments_with_the_opt_out_line_and_recent_prices(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    sent: type[ScriptedProvider],
) -> None:
    config = store.load(tenant, fresh=True)
    with session_scope(services.sessions) as session:
        for n, price in enumerate(["0.04", "0.06"]):
            session.add(
                Message(
                    tenant_id=tenant.id,
                    dedupe_key=f"priced-{n}",
                    event="ORDER_CREATED",
                    recipient_type="customer",
                    phone="+48601000001",
                    body="x",
                    segments=2,
                    status="delivered",
                    price=Decimal(price),
                    currency="PLN",
                )
            )
    with services.sessions() as session:
        found = campaigns.estimate(
            session, tenant.id, "Zniżka 20% dla Ciebie 🎉", config, "https://a.b"
        )
    assert found.encoding == "UCS-2" and found.segments == 1
    assert found.text.endswith("\nSTOP? Reply STOP")
    answer = found.as_json(1000)
    assert answer["cost"] == [{"currency": "PLN", "per_segment": "0.02500", "total": "25.00"}]
    with pytest.raises(Exception, match="template"):
        with services.sessions() as session:
            campaigns.estimate(session, tenant.id, "{{ order.number }}", config, "https://a.b")


def test_runner_names_the_campaign_handler() -> None:
    assert runner.handler_for("campaign") is running.carry_out


def test_paused_while_a_page_is_read_hands_nothing_on(
    services: Services,
    tenant: TenantRecord,
    sent: type[ScriptedProvider],
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    numbers = [f"+4860170{n:04d}" for n in range(80)]
    campaign_id = new_campaign(services, tenant, clock, numbers=numbers)
    real = rule_messages.log_rows  # what running calls; patched there below

    def paused_meanwhile(session: Any, *args: Any) -> Any:
        with session_scope(services.sessions) as other:
            campaign = other.get(Campaign, campaign_id)
            assert campaign is not None and campaigns.pause(other, campaign, clock.now())
        return real(session, *args)

    monkeypatch.setattr(running, "log_rows", paused_meanwhile)
    tick.tick(services, clock)
    drain_queue(services)
    assert sent.calls == []
    logged = rows(services, campaign_id)
    assert Counter((m.status, m.error_code) for m in logged) == {("skipped", "campaign_paused"): 80}


def test_dry_run_logs_campaign_texts_without_sending_them(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    sent: type[ScriptedProvider],
    clock: ManualClock,
) -> None:
    config = store.load(tenant, fresh=True)
    dry = config.settings.dry_run.model_copy(update={"enabled": True, "number": "+48601000000"})
    configure(store, tenant, settings=config.settings.model_copy(update={"dry_run": dry}))
    campaign_id = new_campaign(services, tenant, clock, numbers=["+48601700001", "+48601700002"])
    assert run_until_done(services, clock, campaign_id) == "done"
    assert sent.calls == []
    assert {(m.status, m.error_code) for m in rows(services, campaign_id)} == {
        ("skipped", "dry_run")
    }


def test_quiet_hours_hold_campaign_texts_until_they_end(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    sent: type[ScriptedProvider],
    clock: ManualClock,
) -> None:
    local = clock.now().astimezone(ZoneInfo("Europe/Warsaw"))  # Polish numbers' zone
    window = QuietHours(
        enabled=True,
        start=f"{(local - timedelta(hours=1)):%H:%M}",
        end=f"{(local + timedelta(hours=1)):%H:%M}",
    )
    config = store.load(tenant, fresh=True)
    configure(store, tenant, settings=config.settings.model_copy(update={"quiet_hours": window}))
    numbers = [f"+4860190{n:04d}" for n in range(30)]
    campaign_id = new_campaign(services, tenant, clock, numbers=numbers)
    for _ in range(3):
        tick.tick(services, clock)
        drain_queue(services)
        clock.advance(timedelta(seconds=5))
    assert sent.calls == []
    assert campaign_state(services, campaign_id) == "sending"

    clock.advance(timedelta(hours=1, minutes=5))
    assert run_until_done(services, clock, campaign_id) == "done"
    assert Counter(sms.to for sms in sent.calls) == Counter(numbers)
