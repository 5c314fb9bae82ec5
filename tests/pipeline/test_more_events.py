"""The events added with the checkout reminders, end to end over real HTTP: the stand-in
Saleor delivers signed webhooks built from the app's own subscriptions (validated against the
3.23 schema) to the running app, whose jobs text through the sandbox provider."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from saleor_sms_app.config.model import QuietHours
from saleor_sms_app.config.reminders import CheckoutReminders
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.models import Message
from saleor_sms_app.scheduler import tick
from saleor_sms_app.scheduler.clock import ManualClock
from saleor_sms_app.scheduler.tables import ScheduledRun
from tests.conftest import drain_queue
from tests.pipeline.conftest import configure
from tests.pipeline.test_notices import deliver, rows, texts

NEW_RULES = (
    "customer-order-partly-paid",
    "customer-order-expired",
    "customer-shipment-cancelled",
    "customer-shipment-approved",
)


def switch_on_new_rules(installed: Any) -> None:
    store = ConfigStore(installed.app.services)
    config = store.load(installed.tenant, fresh=True)
    rules = [r.model_copy(update={"enabled": r.enabled or r.id in NEW_RULES}) for r in config.rules]
    configure(store, installed.tenant, rules=rules)


def test_a_partial_payment_is_texted_and_the_full_one_once(installed: Any) -> None:
    saleor, services = installed.saleor, installed.app.services
    switch_on_new_rules(installed)
    order = saleor.make_order(number=801)  # 32.00 USD
    deliver(installed, saleor.pay(order, 10.0))
    assert [t for t in texts(services) if "801" in t] == [
        "Saleor e-commerce: we have received a payment for order 801. "
        "The rest of 32.00 USD is still to be paid."
    ]
    deliver(installed, saleor.pay(order, 22.0))
    paid = [t for t in texts(services) if "801" in t]
    assert len(paid) == 2 and "we have received your payment for order 801" in paid[1]
    # ORDER_PAID of the full payment: the partly-paid rule's "send only if" fails, nothing sent.
    (last,) = [r for r in rows(services, "ORDER_PAID") if r.status == "skipped"]
    assert last.error_code == "no_rule"


def test_shipment_approved_honours_notify_customer_and_cancelled_is_texted(
    installed: Any,
) -> None:
    saleor, services = installed.saleor, installed.app.services
    switch_on_new_rules(installed)
    order = saleor.make_order(number=802)
    first = saleor.fulfil_awaiting_approval(order)
    deliver(installed, saleor.approve_fulfillment(order, first, notify_customer=False))
    assert [t for t in texts(services) if "802" in t] == []
    (skipped,) = rows(services, "FULFILLMENT_APPROVED")
    assert skipped.status == "skipped"
    second = saleor.fulfil_awaiting_approval(order)
    deliver(installed, saleor.approve_fulfillment(order, second))
    deliver(installed, saleor.cancel_fulfillment(order, second))
    assert [t for t in texts(services) if "802" in t] == [
        "Saleor e-commerce: your order 802 is approved for shipping and being packed.",
        "Saleor e-commerce: a shipment of your order 802 was cancelled. "
        "We will text you when it ships again.",
    ]


def test_an_expired_order_is_texted(installed: Any) -> None:
    saleor, services = installed.saleor, installed.app.services
    switch_on_new_rules(installed)
    order = saleor.make_order(number=803, status="UNCONFIRMED")
    deliver(installed, saleor.expire(order))
    assert any("803 was not paid in time and has expired" in t for t in texts(services))


def test_the_new_rules_are_off_until_ticked(installed: Any) -> None:
    saleor, services = installed.saleor, installed.app.services
    order = saleor.make_order(number=804, status="UNCONFIRMED")
    deliver(installed, saleor.expire(order))
    assert [t for t in texts(services) if "804" in t] == []
    (row,) = rows(services, "ORDER_EXPIRED")
    assert (row.status, row.rule_id) == ("skipped", "customer-order-expired")


def test_a_checkout_webhook_over_http_schedules_reminders_that_a_tick_sends(
    installed: Any,
) -> None:
    saleor, services = installed.saleor, installed.app.services
    store = ConfigStore(services)
    # Quiet hours off: the webhook schedules on the real clock, and a reminder is a
    # marketing text that the default 21:00-08:00 of the number's zone would hold
    # (this failed whenever the suite ran after 21:00 in New York).
    settings = store.load(installed.tenant, fresh=True).settings.model_copy(
        update={
            "checkout_reminders": CheckoutReminders(enabled=True),
            "quiet_hours": QuietHours(enabled=False),
        }
    )
    configure(store, installed.tenant, settings=settings)
    checkout, created = saleor.start_checkout(metadata={"sms_marketing_consent": "true"})
    deliver(installed, created)
    with services.sessions() as session:
        found = list(session.scalars(select(ScheduledRun).order_by(ScheduledRun.id)))
    assert [(r.kind, r.order_id) for r in found] == [("checkout", checkout["id"])] * 2
    later = ManualClock()
    later.advance(timedelta(hours=1, minutes=1))
    assert tick.tick(services, later).claimed == 1
    drain_queue(services)
    with services.sessions() as session:
        (text,) = session.scalars(select(Message).where(Message.event == "CHECKOUT_CREATED"))
    assert text.status == "sent"
    # No storefront URL for the channel: the link token is empty, the rest is there.
    assert "you left 2 x Apple Juice in your cart (6.00 USD)" in text.body
