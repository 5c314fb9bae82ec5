"""Daily sends carried out by the durable scheduler: each occurrence once, missed days recorded.

Real Redis (queue, pacer), the real database, the loopback Saleor with
customers, a scripted provider; ticks and jobs run in this process and the
time is a clock the test moves (a restart is the next tick finding the rows).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from saleor_sms_app.anniversaries import running
from saleor_sms_app.anniversaries import store as daily
from saleor_sms_app.anniversaries.tables import DailySend, DailySendDay, daily_rule_id
from saleor_sms_app.campaigns import running as campaign_running
from saleor_sms_app.config.model import ProviderConfig, QuietHours
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.models import Message
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.scheduler import tick
from saleor_sms_app.scheduler.clock import ManualClock
from saleor_sms_app.scheduler.tables import ScheduledRun
from saleor_sms_app.services import Services
from tests.campaigns.conftest import AddCustomer
from tests.conftest import drain_queue
from tests.pipeline.conftest import ScriptedProvider, configure

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture(autouse=True)
def moved_clock(monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> None:
    def wait(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    monkeypatch.setattr(running, "TIMING", campaign_running.Timing(clock, wait, 1000.0))


def setup_shop(store_: ConfigStore, tenant: TenantRecord) -> None:
    configure(
        store_,
        tenant,
        providers=[ProviderConfig(id="main", type="scripted")],
        settings=store_.load(tenant, fresh=True).settings.model_copy(
            update={
                "default_country": "PL",
                "opt_out_line": "STOP? Reply STOP",
                "quiet_hours": QuietHours(enabled=False),
                "shop_time_zone": "Europe/Warsaw",
            }
        ),
    )


def new_send(
    services: Services, store_: ConfigStore, tenant: TenantRecord, clock: ManualClock, **body: Any
) -> int:
    fields = {
        "name": "Birthday",
        "hour": 9,
        "source": "birthday",
        "date_key": "birthday",
        "template": "Happy birthday {{ customer.first_name }}! -15% today",
        **body,
    }
    values = daily.checked(fields, store_.load(tenant, fresh=True), "https://app.example")
    with session_scope(services.sessions) as session:
        send, created = daily.create(
            session,
            tenant.id,
            "key-" + fields["name"],
            values,
            "owner@example.com",
            WARSAW,
            clock.now(),
        )
        assert created
        return send.id


def run_due(services: Services, clock: ManualClock, rounds: int = 5) -> None:
    """Ticks a minute apart (a run whose texts are still going out looks again a minute later)."""
    for _ in range(rounds):
        tick.tick(services, clock)
        drain_queue(services)
        clock.advance(running.LOOK_AGAIN)


def logged(services: Services, send_id: int) -> list[Message]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(Message)
                .where(Message.rule_id == daily_rule_id(send_id))
                .order_by(Message.id)
            )
        )


def runs_of(services: Services) -> list[tuple[str, str, str | None]]:
    with services.sessions() as session:
        return [
            (r.dedupe_key, r.state, r.reason_code)
            for r in session.scalars(
                select(ScheduledRun)
                .where(ScheduledRun.kind == "daily_send")
                .order_by(ScheduledRun.id)
            )
        ]


def test_birthdays_are_texted_at_the_hour_once_each_and_29_february_on_the_28th(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    setup_shop(store, tenant)
    clock.set(datetime(2027, 2, 28, 6, 0, tzinfo=UTC))  # 07:00 in Warsaw, a non-leap year
    add_customer("+48601000001", first_name="Ala", metadata={"birthday": "1990-02-28"})
    add_customer("+48601000002", first_name="Bolek", metadata={"birthday": "02-28"})
    add_customer("+48601000003", first_name="Leap", metadata={"birthday": "1992-02-29"})
    add_customer("+48601000004", first_name="March", metadata={"birthday": "1990-03-01"})
    add_customer("+48601000005", first_name="Bad", metadata={"birthday": "31-02"})
    add_customer(
        "+48601000006", first_name="NoConsent", consent=False, metadata={"birthday": "02-28"}
    )
    add_customer("+48601000007", first_name="NoKey")
    send_id = new_send(services, store, tenant, clock)

    run_due(services, clock)
    assert scripted.calls == []  # 09:00 has not come yet

    clock.set(datetime(2027, 2, 28, 8, 0, tzinfo=UTC))  # 09:00 in Warsaw
    run_due(services, clock)
    texted = Counter(sms.to for sms in scripted.calls)
    assert texted == {"+48601000001": 1, "+48601000002": 1, "+48601000003": 1}
    ala = next(sms for sms in scripted.calls if sms.to == "+48601000001")
    assert ala.body == "Happy birthday Ala! -15% today\nSTOP? Reply STOP"
    rows = logged(services, send_id)
    assert Counter((m.status, m.error_code) for m in rows) == {
        ("sent", None): 3,
        ("skipped", "no_consent"): 1,
    }
    assert {m.rule_name for m in rows} == {"Daily send: Birthday"} and all(
        m.marketing for m in rows
    )
    with services.sessions() as session:
        day = session.scalar(select(DailySendDay).where(DailySendDay.day == date(2027, 2, 28)))
        assert day is not None and day.bad_dates == 1 and day.occurrences == 4
    keys = runs_of(services)
    assert keys[0][:2] == (f"daily:{send_id}:2027-02-28", "done")
    with services.sessions() as session:
        done = session.scalar(select(ScheduledRun).where(ScheduledRun.state == "done"))
        assert done is not None
        summary = "4 occurrences logged; 1 customer's date is not a date (left out)"
        assert done.reason_text == summary
    assert keys[1][:2] == (f"daily:{send_id}:2027-03-01", "pending")

    # A restart, or a second worker carrying out the same day again: nothing new.
    with session_scope(services.sessions) as session:
        state = session.scalar(select(DailySendDay).where(DailySendDay.day == date(2027, 2, 28)))
        assert state is not None
        state.cursor, state.read_done = None, False
    running.advance(services, send_id, date(2027, 2, 28), running.TIMING)
    drain_queue(services)
    assert len(scripted.calls) == 3 and len(logged(services, send_id)) == 4

    # The next day at 09:00 (the chain made its run): 1 March's birthday, nobody else.
    clock.set(datetime(2027, 3, 1, 8, 0, tzinfo=UTC))
    run_due(services, clock)
    assert Counter(sms.to for sms in scripted.calls)["+48601000004"] == 1
    assert len(scripted.calls) == 4


def test_a_day_missed_while_the_app_was_down_is_sent_late_that_day_else_skipped(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    setup_shop(store, tenant)
    clock.set(datetime(2027, 3, 10, 6, 0, tzinfo=UTC))
    add_customer("+48601000010", metadata={"birthday": "03-10"})
    add_customer("+48601000011", metadata={"birthday": "03-11"})
    add_customer("+48601000012", metadata={"birthday": "03-12"})
    add_customer("+48601000013", metadata={"birthday": "03-13"})
    send_id = new_send(services, store, tenant, clock)

    # Down from 07:00 on 10 March until 08:00 (local) on 12 March, before that day's hour.
    clock.set(datetime(2027, 3, 12, 7, 0, tzinfo=UTC))
    run_due(services, clock)
    assert scripted.calls == []
    missed = [m for m in logged(services, send_id) if m.error_code == running.MISSED_CODE]
    assert sorted(m.phone for m in missed) == ["+48601000010", "+48601000011"]
    assert all(m.status == "skipped" and m.error_text == running.MISSED_TEXT for m in missed)
    states = {key: (state, code) for key, state, code in runs_of(services)}
    assert states[f"daily:{send_id}:2027-03-10"] == ("done", "missed_day")
    assert states[f"daily:{send_id}:2027-03-11"] == ("done", "missed_day")
    assert states[f"daily:{send_id}:2027-03-12"] == ("pending", None)

    # 12 March at 09:00: on time again.
    clock.set(datetime(2027, 3, 12, 8, 0, tzinfo=UTC))
    run_due(services, clock)
    assert [sms.to for sms in scripted.calls] == ["+48601000012"]

    # Down on 13 March from 08:00 to 22:00 local: the hour passed, the day did not: sent late.
    clock.set(datetime(2027, 3, 13, 21, 0, tzinfo=UTC))
    run_due(services, clock)
    assert [sms.to for sms in scripted.calls] == ["+48601000012", "+48601000013"]
    # Carried out again later (a restart), none of them is texted or logged twice.
    assert Counter(m.phone for m in logged(services, send_id)).most_common(1)[0][1] == 1


def test_n_months_after_joining_from_31_january_and_days_after_the_last_order(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    setup_shop(store, tenant)
    clock.set(datetime(2027, 2, 28, 6, 0, tzinfo=UTC))
    # Joined 31 January and 28 January (both: one month later is 28 February), not 27 January;
    # 30 Jan 23:30 UTC is 31 January in Warsaw.
    add_customer("+48601000020", joined=datetime(2027, 1, 31, 12, tzinfo=UTC))
    add_customer("+48601000021", joined=datetime(2027, 1, 28, 10, tzinfo=UTC))
    add_customer("+48601000022", joined=datetime(2027, 1, 27, 10, tzinfo=UTC))
    add_customer("+48601000023", joined=datetime(2027, 1, 30, 23, 30, tzinfo=UTC))
    # Last order 30 days ago (and an older one), and one who ordered again since.
    add_customer(
        "+48601000024",
        orders=[datetime(2027, 1, 29, 12, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)],
    )
    add_customer(
        "+48601000025",
        orders=[datetime(2027, 1, 29, 12, tzinfo=UTC), datetime(2027, 2, 20, tzinfo=UTC)],
    )
    new_send(
        services,
        store,
        tenant,
        clock,
        name="Month",
        source="joined",
        offset_amount=1,
        offset_unit="months",
        template="Hi {{ customer.first_name }}",
    )
    new_send(
        services,
        store,
        tenant,
        clock,
        name="Come back",
        source="last_order",
        offset_amount=30,
        offset_unit="days",
        template="We miss you",
    )

    clock.set(datetime(2027, 2, 28, 8, 0, tzinfo=UTC))
    run_due(services, clock)
    assert sorted(sms.to for sms in scripted.calls) == [
        "+48601000020",
        "+48601000021",
        "+48601000023",
        "+48601000024",
    ]


def test_switching_off_closes_the_pending_run_and_saving_moves_it_to_the_new_hour(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    setup_shop(store, tenant)
    clock.set(datetime(2027, 2, 28, 6, 0, tzinfo=UTC))
    add_customer("+48601000030", metadata={"birthday": "02-28"})
    send_id = new_send(services, store, tenant, clock)
    config = store.load(tenant, fresh=True)
    with session_scope(services.sessions) as session:
        send = session.get(DailySend, send_id)
        assert send is not None
        body = {**daily.send_json(session, send), "hour": 15}
        daily.update(
            session, send, daily.checked(body, config, "https://a.example"), WARSAW, clock.now()
        )
    with services.sessions() as session:
        due = session.scalar(select(ScheduledRun.due_at).where(ScheduledRun.kind == "daily_send"))
        assert due is not None and due.replace(tzinfo=UTC) == datetime(2027, 2, 28, 14, tzinfo=UTC)
    clock.set(datetime(2027, 2, 28, 8, 0, tzinfo=UTC))
    run_due(services, clock)
    assert scripted.calls == []  # 09:00 is not the hour any more
    with session_scope(services.sessions) as session:
        send = session.get(DailySend, send_id)
        assert send is not None
        body = {**daily.send_json(session, send), "enabled": False}
        daily.update(
            session, send, daily.checked(body, config, "https://a.example"), WARSAW, clock.now()
        )
    clock.set(datetime(2027, 2, 28, 13, 0, tzinfo=UTC))
    run_due(services, clock)
    assert scripted.calls == []
    assert runs_of(services)[0][1:] == ("closed", "switched_off")

    # Switched on again before 15:00: the day is back (its run reopened, not a second one).
    with session_scope(services.sessions) as session:
        send = session.get(DailySend, send_id)
        assert send is not None
        body = {**daily.send_json(session, send), "enabled": True}
        daily.update(
            session, send, daily.checked(body, config, "https://a.example"), WARSAW, clock.now()
        )
    clock.set(datetime(2027, 2, 28, 14, 0, tzinfo=UTC))
    run_due(services, clock)
    assert [sms.to for sms in scripted.calls] == ["+48601000030"]
    assert [key for key, _, _ in runs_of(services)] == [
        f"daily:{send_id}:2027-02-28",
        f"daily:{send_id}:2027-03-01",
    ]


def test_quiet_hours_hold_the_days_texts_until_they_end(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    setup_shop(store, tenant)
    config = store.load(tenant, fresh=True)
    window = QuietHours(enabled=True, start="21:00", end="08:00")
    configure(store, tenant, settings=config.settings.model_copy(update={"quiet_hours": window}))
    clock.set(datetime(2027, 2, 28, 5, 0, tzinfo=UTC))
    add_customer("+48601000040", metadata={"birthday": "02-28"})
    send_id = new_send(services, store, tenant, clock, hour=7)

    clock.set(datetime(2027, 2, 28, 6, 0, tzinfo=UTC))  # 07:00 in Warsaw: quiet until 08:00
    run_due(services, clock)
    assert scripted.calls == []
    assert [m.status for m in logged(services, send_id)] == ["queued"]
    assert runs_of(services)[0][1:] == ("pending", "sending")

    clock.set(datetime(2027, 2, 28, 7, 1, tzinfo=UTC))  # 08:01 in Warsaw
    run_due(services, clock)
    assert [sms.to for sms in scripted.calls] == ["+48601000040"]
    assert runs_of(services)[0][1] == "done"
