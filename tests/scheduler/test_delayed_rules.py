"""Delayed rules end to end: webhook → pending run → tick → batched re-check → SMS, once.

Real Redis, real database, the loopback Saleor (real HTTP, real schema) and the
sandbox provider; the time is a clock the test moves.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from saleor_sms_app.automations.ready_made import REMIND_TO_PAY
from saleor_sms_app.config.model import Recipients, Rule, SendOnlyIf
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.messages import composing
from saleor_sms_app.models import Message
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.scheduler import runner, tick
from saleor_sms_app.scheduler.clock import ManualClock
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.pipeline.conftest import configure
from tests.pipeline.support import outbox
from tests.standin.saleor import SaleorStandin

REMIND = "automation-remind-to-pay"


@pytest.fixture(autouse=True)
def worker_clock(monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> None:
    """The jobs the worker runs read the time from the clock the test moves."""
    real = runner.run_scheduled
    monkeypatch.setattr(
        runner, "run_scheduled", lambda services, ids, _clock=clock: real(services, ids, clock)
    )


@dataclass
class Shop:
    """The app installed in the loopback Saleor, with its store and the clock the test moves."""

    services: Services
    saleor: SaleorStandin
    tenant: TenantRecord
    store: ConfigStore
    clock: ManualClock

    def parts(self) -> tuple[Services, SaleorStandin, TenantRecord, ConfigStore, ManualClock]:
        return self.services, self.saleor, self.tenant, self.store, self.clock


@pytest.fixture
def shop(
    services: Services,
    saleor: SaleorStandin,
    tenant: TenantRecord,
    store: ConfigStore,
    clock: ManualClock,
) -> Shop:
    return Shop(services, saleor, tenant, store, clock)


def enable(store: ConfigStore, tenant: TenantRecord, rule_id: str, **changes: Any) -> Rule:
    config = store.load(tenant, fresh=True)
    rules = [
        r.model_copy(update={"enabled": True, **changes}) if r.id == rule_id else r
        for r in config.rules
    ]
    saved = configure(store, tenant, rules=rules)
    found = saved.rule(rule_id)
    assert found is not None
    return found


def event(
    services: Services,
    saleor: SaleorStandin,
    clock: ManualClock,
    name: str,
    order: dict[str, Any],
    **fields: Any,
) -> composing.EventResult:
    body = {"order": {"id": order["id"], "number": order["number"]}, **fields}
    payload = json.dumps(body)
    key = hashlib.sha256(f"{name}\n{payload}".encode()).hexdigest()
    return composing.process_event(services, saleor.api_url, name, payload, key, clock)


def runs_of(services: Services) -> list[ScheduledRun]:
    with services.sessions() as session:
        return list(session.scalars(select(ScheduledRun).order_by(ScheduledRun.id)))


def messages_of(services: Services, rule_id: str = REMIND) -> list[Message]:
    with services.sessions() as session:
        return list(
            session.scalars(select(Message).where(Message.rule_id == rule_id).order_by(Message.id))
        )


def reminders_sent(services: Services) -> list[dict[str, Any]]:
    """What the sandbox provider was handed for the reminder (the instant rules send too)."""
    return [sms for sms in outbox(services) if "is waiting for payment" in sms["body"]]


def tick_and_drain(services: Services, clock: ManualClock) -> int:
    claimed = tick.tick(services, clock).claimed
    drain_queue(services)
    return claimed


def test_remind_to_pay_waits_two_hours_then_texts_once(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    enable(store, tenant, REMIND)
    order = saleor.make_order(number=7, phone="+48601234567", country_code="PL")
    event(services, saleor, clock, "ORDER_CREATED", order)
    event(services, saleor, clock, "ORDER_CREATED", order)  # Saleor redelivers
    drain_queue(services)
    (run,) = runs_of(services)
    assert (run.state, run.rule_id, run.order_number) == ("pending", REMIND, "7")
    assert messages_of(services) == []

    clock.advance(timedelta(minutes=119))
    assert tick_and_drain(services, clock) == 0
    clock.advance(timedelta(minutes=1))
    assert tick_and_drain(services, clock) == 1
    (message,) = messages_of(services)
    assert message.status == "sent" and message.phone == "+48601234567"
    assert message.body.startswith("Sklep Testowy: your order 7 (32.00 USD) is waiting")
    assert [m["body"] for m in reminders_sent(services)] == [message.body]
    assert runs_of(services)[0].state == "done"
    assert REMIND_TO_PAY.startswith("{{ shop.name }}")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"chargeStatus": "FULL"}, "payment (charge) status is FULL"),
        ({"status": "CANCELED"}, "cancelled"),
    ],
)
def test_an_order_that_no_longer_matches_closes_the_run_with_the_reason(
    shop: Shop, change: dict[str, str], reason: str
) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    enable(store, tenant, REMIND)
    order = saleor.make_order()
    event(services, saleor, clock, "ORDER_CREATED", order)
    order.update(change)  # paid, or cancelled, in Saleor meanwhile
    clock.advance(timedelta(hours=3))
    tick_and_drain(services, clock)
    (run,) = runs_of(services)
    assert (run.state, run.reason_code) == ("closed", "no_longer_matches")
    assert reason in (run.reason_text or "")
    assert messages_of(services) == [] and reminders_sent(services) == []


def test_a_deleted_order_closes_the_run(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    enable(store, tenant, REMIND)
    order = saleor.make_order()
    event(services, saleor, clock, "ORDER_CREATED", order)
    del saleor.orders[order["id"]]
    clock.advance(timedelta(hours=2))
    tick_and_drain(services, clock)
    (run,) = runs_of(services)
    assert (run.state, run.reason_code) == ("closed", "order_deleted")
    assert reminders_sent(services) == []


def test_an_already_paid_order_schedules_nothing(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    enable(store, tenant, REMIND)
    order = saleor.make_order(payment_status="FULLY_CHARGED")
    event(services, saleor, clock, "ORDER_CREATED", order)
    assert runs_of(services) == []


def test_a_run_due_while_the_app_was_down_is_sent_inside_the_window_else_expires(
    shop: Shop,
) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    enable(store, tenant, REMIND, send_no_later_than_minutes=60)
    inside, outside = saleor.make_order(number=1), saleor.make_order(number=2)
    event(services, saleor, clock, "ORDER_CREATED", outside)
    clock.advance(timedelta(minutes=90))
    event(services, saleor, clock, "ORDER_CREATED", inside)
    # The app is down for the next 2 h 30 min. When it is back, order 2's run (due at
    # 2 h) is 2 h late, past its 60-minute window; order 1's (due at 3 h 30) is 30 min
    # late, still inside.
    clock.advance(timedelta(hours=2, minutes=30))
    tick_and_drain(services, clock)
    by_order = {r.order_number: r for r in runs_of(services)}
    assert by_order["1"].state == "done"
    assert (by_order["2"].state, by_order["2"].reason_code) == ("expired", "expired")
    assert "past the rule's send-no-later-than window of 60 minutes" in (
        by_order["2"].reason_text or ""
    )
    rows = {m.order_number: m for m in messages_of(services)}
    assert rows["1"].status == "sent"
    assert (rows["2"].status, rows["2"].error_code) == ("skipped", "expired")
    assert len(reminders_sent(services)) == 1


def test_saleor_down_at_send_time_waits_and_sends_once_later(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    enable(store, tenant, REMIND)
    order = saleor.make_order()
    event(services, saleor, clock, "ORDER_CREATED", order)
    clock.advance(timedelta(hours=2))
    saleor.fail_next(status=502, times=1)
    tick_and_drain(services, clock)
    (run,) = runs_of(services)
    assert (run.state, run.reason_code) == ("pending", "saleor_unavailable")
    assert messages_of(services) == []
    clock.advance(runner.RETRY_BACKOFF[0])
    assert tick_and_drain(services, clock) == 1
    assert runs_of(services)[0].state == "done"
    assert len(messages_of(services)) == 1 and len(reminders_sent(services)) == 1


def test_a_run_carried_out_again_after_a_crash_sends_nothing_twice(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    enable(store, tenant, REMIND)
    event(services, saleor, clock, "ORDER_CREATED", saleor.make_order())
    clock.advance(timedelta(hours=2))
    tick_and_drain(services, clock)
    # As if the worker died after sending but before marking the run done.
    with session_scope(services.sessions) as session:
        session.execute(
            update(ScheduledRun).values(state=RunState.RUNNING.value, claimed_at=clock.now())
        )
    clock.advance(timedelta(minutes=11))
    assert tick.sweep(services, clock) == 1
    assert tick_and_drain(services, clock) == 1
    assert runs_of(services)[0].state == "done"
    assert len(messages_of(services)) == 1 and len(reminders_sent(services)) == 1


def test_due_runs_are_re_checked_100_orders_per_call(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    enable(store, tenant, REMIND)
    for _ in range(150):
        event(services, saleor, clock, "ORDER_CREATED", saleor.make_order())
    before = saleor.count(operation="OrdersForSms")
    clock.advance(timedelta(hours=2))
    assert tick_and_drain(services, clock) == 150
    assert saleor.count(operation="OrdersForSms") - before == 2
    assert {m.status for m in messages_of(services)} == {"sent"}
    assert len(messages_of(services)) == 150 == len(reminders_sent(services))


def test_a_removed_or_switched_off_rule_closes_its_runs(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    enable(store, tenant, REMIND)
    event(services, saleor, clock, "ORDER_CREATED", saleor.make_order())
    enable(store, tenant, REMIND, enabled=False)
    clock.advance(timedelta(hours=2))
    tick_and_drain(services, clock)
    (run,) = runs_of(services)
    assert (run.state, run.reason_code) == ("closed", "rule_disabled")


def test_an_instant_rule_checks_send_only_if_too(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    rule = Rule(
        id="paid-only",
        name="Paid orders only",
        event="ORDER_CREATED",
        recipients=Recipients(customer=True),
        template="Paid, thanks",
        send_only_if=SendOnlyIf(charge_statuses=["FULL"]),
    )
    configure(store, tenant, rules=[rule])
    event(services, saleor, clock, "ORDER_CREATED", saleor.make_order())
    event(
        services, saleor, clock, "ORDER_CREATED", saleor.make_order(payment_status="FULLY_CHARGED")
    )
    drain_queue(services)
    assert [m.body for m in messages_of(services, "paid-only")] == ["Paid, thanks"]
    assert runs_of(services) == []
