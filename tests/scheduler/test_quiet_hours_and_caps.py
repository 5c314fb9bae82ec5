"""Quiet hours, marketing caps and texts per language through the real pipeline.

Webhook job → rows or a scheduled run → tick → batched re-check → the sandbox
provider; real Redis, database and loopback Saleor; the time is a clock the
test moves (START is 12:00 UTC: 13:00 in Warsaw, 07:00 in Washington).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from saleor_sms_app.config.model import Recipients, Rule
from saleor_sms_app.models import Message
from tests.conftest import drain_queue
from tests.pipeline.conftest import configure
from tests.scheduler.test_delayed_rules import (
    REMIND,
    Shop,
    enable,
    event,
    runs_of,
    shop,
    tick_and_drain,
    worker_clock,
)

__all__ = ["shop", "worker_clock"]

WARSAW = "+48601234567"
WASHINGTON = "+12025550123"


def offer(**fields: object) -> Rule:
    return Rule.model_validate(
        {
            "id": "offer",
            "name": "Offer",
            "event": "ORDER_CREATED",
            "recipients": Recipients(customer=True),
            "template": "Hi {{ customer.first_name }}, 10% off",
            "marketing": True,
            **fields,
        }
    )


def sent_by(shop: Shop, rule_id: str) -> list[Message]:
    with shop.services.sessions() as session:
        return list(
            session.scalars(select(Message).where(Message.rule_id == rule_id).order_by(Message.id))
        )


def test_an_instant_marketing_text_waits_for_the_recipients_quiet_hours_to_end(
    shop: Shop,
) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    configure(store, tenant, rules=[offer()])
    # 07:00 in Washington: quiet until 08:00 there (13:00 UTC); 13:00 in Warsaw: not quiet.
    late, awake = saleor.make_order(phone=WASHINGTON), saleor.make_order(phone=WARSAW)
    event(services, saleor, clock, "ORDER_CREATED", late)
    event(services, saleor, clock, "ORDER_CREATED", awake)
    drain_queue(services)
    (held,) = runs_of(services)
    assert [m.phone for m in sent_by(shop, "offer")] == [WARSAW]
    assert (held.state, held.order_id) == ("pending", late["id"])
    assert held.due_at.replace(tzinfo=None) == (clock.now() + timedelta(hours=1)).replace(
        tzinfo=None
    )

    clock.advance(timedelta(minutes=59))
    assert tick_and_drain(services, clock) == 0
    clock.advance(timedelta(minutes=1))
    assert tick_and_drain(services, clock) == 1
    assert [(m.phone, m.status) for m in sent_by(shop, "offer")] == [
        (WARSAW, "sent"),
        (WASHINGTON, "sent"),
    ]
    assert runs_of(services)[0].state == "done"


def test_a_transactional_rule_sends_at_any_hour(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    rule = offer(marketing=False)  # an instant order rule: transactional unless unticked
    assert rule.transactional
    configure(store, tenant, rules=[rule])
    event(services, saleor, clock, "ORDER_CREATED", saleor.make_order(phone=WASHINGTON))
    drain_queue(services)
    assert [m.status for m in sent_by(shop, "offer")] == ["sent"]
    assert runs_of(services) == []


def test_a_delayed_run_due_in_quiet_hours_moves_to_their_end_and_keeps_its_window(
    shop: Shop,
) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    # Due at 14:00 UTC + 7 h = 21:00 UTC = 22:00 in Warsaw (quiet until 08:00 = 07:00 UTC);
    # its 60-minute "send no later than" window counts from there, not from 21:00.
    enable(store, tenant, REMIND, delay_minutes=9 * 60, send_no_later_than_minutes=60)
    event(services, saleor, clock, "ORDER_CREATED", saleor.make_order(phone=WARSAW))
    clock.advance(timedelta(hours=9))
    assert tick_and_drain(services, clock) == 1
    (run,) = runs_of(services)
    assert (run.state, run.reason_code) == ("pending", "quiet_hours")
    assert sent_by(shop, REMIND) == []
    clock.advance(timedelta(hours=10, minutes=30))  # 07:30 UTC, inside the window from 07:00
    assert tick_and_drain(services, clock) == 1
    assert [m.status for m in sent_by(shop, REMIND)] == ["sent"]
    assert runs_of(services)[0].state == "done"


def test_the_daily_cap_skips_marketing_texts_and_never_counts_transactional_ones(
    shop: Shop,
) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    config = store.load(tenant, fresh=True)
    news = offer(id="news", name="News", marketing=False)  # transactional
    configure(
        store,
        tenant,
        rules=[offer(), news],
        settings=config.settings.model_copy(
            update={"marketing_cap_per_day": 2, "marketing_cap_per_week": 3}
        ),
    )
    for _ in range(3):
        event(services, saleor, clock, "ORDER_CREATED", saleor.make_order(phone=WARSAW))
        drain_queue(services)
    texts = sent_by(shop, "offer")
    assert [m.status for m in texts] == ["sent", "sent", "skipped"]
    assert texts[2].error_code == "marketing_cap"
    assert "2 marketing texts in the last 24 hours (the cap is 2)" in (texts[2].error_text or "")
    assert [m.status for m in sent_by(shop, "news")] == ["sent"] * 3
    assert [m.marketing for m in sent_by(shop, "news")] == [False] * 3
    # A day later the daily cap has room again, the weekly one (3) has one more.
    clock.advance(timedelta(hours=24, minutes=1))
    for _ in range(2):
        event(services, saleor, clock, "ORDER_CREATED", saleor.make_order(phone=WARSAW))
        drain_queue(services)
    later = sent_by(shop, "offer")[3:]
    assert [(m.status, m.error_code) for m in later] == [
        ("sent", None),
        ("skipped", "marketing_cap"),
    ]
    assert "in the last 7 days (the cap is 3)" in (later[1].error_text or "")


def test_the_orders_language_picks_the_text(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    configure(
        store,
        tenant,
        rules=[offer(marketing=False, templates={"PL": "Cześć {{ customer.first_name }}"})],
    )
    for language in ("PL_PL", "EN_US"):
        order = saleor.make_order(phone=WARSAW, language=language, first_name="Ola")
        event(services, saleor, clock, "ORDER_CREATED", order)
    drain_queue(services)
    assert [m.body for m in sent_by(shop, "offer")] == ["Cześć Ola", "Hi Ola, 10% off"]
