"""Abandoned-checkout reminders end to end: checkout webhook → pending steps → tick → batched
re-check (checkouts and orders, two GraphQL calls) → marketing SMS, or the sequence closed.

Real Redis, real database, the loopback Saleor (its checkouts and webhooks run the app's
real subscriptions over the real 3.23 schema) and the sandbox provider; the clock is moved.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from saleor_sms_app.checkouts import reminders
from saleor_sms_app.config.model import ShopSettings
from saleor_sms_app.config.reminders import CheckoutReminders, ReminderStep
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.messages import composing
from saleor_sms_app.models import Message
from saleor_sms_app.saleor.manifest import build_manifest
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.pipeline.conftest import configure
from tests.scheduler.test_delayed_rules import Shop, runs_of, shop, tick_and_drain, worker_clock

__all__ = ["shop", "worker_clock"]

CONSENT = {"sms_marketing_consent": "yes"}
URL = "https://shop.example.com/checkout?token={checkout.token}"


@pytest.fixture(autouse=True)
def subscribed(shop: Shop) -> None:
    """The app's manifest webhooks registered in the stand-in, so it sends checkout events."""
    shop.saleor.manifest = build_manifest("https://sms.example.com")


def switch_on(store: ConfigStore, tenant: TenantRecord, **changes: Any) -> None:
    current = store.load(tenant, fresh=True).settings
    settings = current.model_copy(
        update={
            "checkout_reminders": CheckoutReminders(
                enabled=True, storefront_urls={"default-channel": URL}, **changes
            )
        }
    )
    configure(store, tenant, settings=ShopSettings.model_validate(settings.model_dump()))


def deliver(shop: Shop, deliveries: list[tuple[str, bytes]]) -> list[int]:
    new: list[int] = []
    for event, body in deliveries:
        new += reminders.process_checkout_event(
            shop.services, shop.saleor.api_url, event, body.decode(), shop.clock
        )
    return new


def reminder_messages(services: Services) -> list[Message]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(Message).where(Message.event.like("CHECKOUT_%")).order_by(Message.id)
            )
        )


def test_a_consenting_checkout_is_reminded_after_an_hour_once(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    checkout, created = saleor.start_checkout(metadata=CONSENT, phone="+48601234567")
    assert [e for e, _ in created] == ["CHECKOUT_CREATED"]
    assert len(deliver(shop, created)) == 2
    assert deliver(shop, created) == []  # Saleor redelivers: nothing new
    first, second = runs_of(services)
    assert (first.kind, first.state, first.order_id) == ("checkout", "pending", checkout["id"])
    assert first.due_at.replace(tzinfo=None) == (clock.now() + timedelta(hours=1)).replace(
        tzinfo=None
    )
    assert second.rule_name == "Checkout reminder 2 of 2"

    clock.advance(timedelta(minutes=59))
    assert tick_and_drain(services, clock) == 0
    clock.advance(timedelta(minutes=1))
    assert tick_and_drain(services, clock) == 1
    (message,) = reminder_messages(services)
    assert message.status == "sent" and message.phone == "+48601234567"
    assert "2 x Apple Juice" in message.body and "(6.00 USD)" in message.body
    assert f"https://shop.example.com/checkout?token={checkout['token']}" in message.body
    assert message.body.endswith("\nReply STOP to opt out")
    assert [r.state for r in runs_of(services)] == ["done", "pending"]


def test_an_order_from_the_checkout_closes_the_sequence_with_the_reason(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    checkout, created = saleor.start_checkout(metadata=CONSENT)
    deliver(shop, created)
    clock.advance(timedelta(minutes=30))
    order, _ = saleor.complete_checkout(checkout, created=clock.now())
    clock.advance(timedelta(minutes=30))
    tick_and_drain(services, clock)
    first, second = runs_of(services)
    assert (first.state, first.reason_code) == ("closed", "order_placed")
    assert f"Order #{order['number']} was placed" in (first.reason_text or "")
    # The later step is closed at once, not left to fire a day later.
    assert (second.state, second.reason_code) == ("closed", "order_placed")
    assert reminder_messages(services) == []


def test_the_order_webhook_closes_the_checkouts_reminders_at_once(shop: Shop) -> None:
    """ORDER_CREATED carries the order's ``checkoutId`` (subscription built from the
    real schema): the checkout's waiting reminders are closed when the webhook is
    handled, not left pending on the Scheduled screen until they are due."""
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    checkout, created = saleor.start_checkout(metadata=CONSENT)
    deliver(shop, created)
    clock.advance(timedelta(minutes=10))
    order, placed = saleor.complete_checkout(checkout, created=clock.now())
    ((event, body),) = placed
    assert json.loads(body)["order"]["checkoutId"] == checkout["id"]
    key = hashlib.sha256(body).hexdigest()
    composing.process_event(services, saleor.api_url, event, body.decode(), key, clock)
    first, second = runs_of(services)
    assert [(r.state, r.reason_code) for r in (first, second)] == [("closed", "order_placed")] * 2
    assert f"Order #{order['number']} was placed" in (first.reason_text or "")
    clock.advance(timedelta(days=2))
    tick_and_drain(services, clock)
    assert reminder_messages(services) == []


def test_an_order_with_the_same_email_elsewhere_stops_the_reminders(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    _, created = saleor.start_checkout(metadata=CONSENT, email="ann@example.com")
    deliver(shop, created)
    # Ann ordered from another device's checkout; this one is still there.
    saleor.make_order(email="ann@example.com", phone=None, created=clock.now())
    clock.advance(timedelta(hours=1))
    tick_and_drain(services, clock)
    assert [r.reason_code for r in runs_of(services)] == ["order_placed", "order_placed"]
    assert reminder_messages(services) == []


def test_an_email_typed_with_capitals_still_finds_the_order(shop: Shop) -> None:
    """Found walking a real Saleor 3.23: it keeps a checkout's and an order's email as typed
    and its ``userEmail`` filter is case-sensitive, so asking with the email lowercased missed
    the order Eve placed from another checkout and she was reminded of a cart she had bought."""
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    _, created = saleor.start_checkout(metadata=CONSENT, email="Eve.Walk@Example.COM")
    deliver(shop, created)
    saleor.make_order(email="Eve.Walk@Example.COM", phone=None, created=clock.now())
    clock.advance(timedelta(hours=1))
    tick_and_drain(services, clock)
    assert [r.reason_code for r in runs_of(services)] == ["order_placed", "order_placed"]
    assert reminder_messages(services) == []


def test_a_deleted_checkout_closes_the_run(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    checkout, created = saleor.start_checkout(metadata=CONSENT)
    deliver(shop, created)
    del saleor.checkouts[checkout["id"]]
    clock.advance(timedelta(hours=1))
    tick_and_drain(services, clock)
    assert runs_of(services)[0].reason_code == "checkout_gone"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"metadata": CONSENT, "phone": None}, "no_phone"),
        ({"metadata": {}}, "no_consent"),
        ({"metadata": {"sms_marketing_consent": "no"}}, "no_consent"),
        # Read as campaigns read the same key: only true/yes/1 or a date is consent.
        ({"metadata": {"sms_marketing_consent": "maybe later"}}, "no_consent"),
    ],
)
def test_a_checkout_without_phone_or_consent_is_logged_skipped(
    shop: Shop, kwargs: dict[str, Any], code: str
) -> None:
    services, saleor, tenant, store, _ = shop.parts()
    switch_on(store, tenant)
    _, created = saleor.start_checkout(**kwargs)
    assert deliver(shop, created) == [] and runs_of(services) == []
    deliver(shop, created)
    (row,) = reminder_messages(services)
    assert (row.status, row.error_code) == ("skipped", code)


def test_consent_on_the_customer_and_a_billing_phone_are_enough(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    _, created = saleor.start_checkout(
        registered=True, user_metadata=CONSENT, phone=None, billing_phone="+12025550199"
    )
    assert len(deliver(shop, created)) == 2
    assert runs_of(services)[0].payload == {"step": 0, "channel": "default-channel"}
    clock.advance(timedelta(hours=1))
    tick_and_drain(services, clock)
    (message,) = reminder_messages(services)
    assert (message.status, message.phone) == ("sent", "+12025550199")


def test_due_reminders_are_rechecked_in_two_calls_whatever_their_number(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    for i in range(5):
        _, created = saleor.start_checkout(metadata=CONSENT, email=f"s{i}@example.com")
        deliver(shop, created)
    before = len(saleor.requests)
    clock.advance(timedelta(hours=1))
    assert tick_and_drain(services, clock) == 5
    queries = [json.loads(r.body)["query"] for r in saleor.requests[before:]]
    assert sum("CheckoutsForSms" in q for q in queries) == 1
    assert sum("OrdersFromCheckouts" in q for q in queries) == 1
    assert len(reminder_messages(services)) == 5


def test_reminders_switched_off_schedule_nothing(shop: Shop) -> None:
    services, saleor, *_ = shop.parts()
    _, created = saleor.start_checkout(metadata=CONSENT)
    assert deliver(shop, created) == [] and reminder_messages(services) == []


def test_an_order_with_the_same_phone_stops_the_reminders(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    _, created = saleor.start_checkout(metadata=CONSENT, phone="+48601234567", email="a@x.io")
    deliver(shop, created)
    saleor.make_order(email="other@x.io", phone="+48601234567", created=clock.now())
    clock.advance(timedelta(hours=1))
    tick_and_drain(services, clock)
    assert runs_of(services)[0].reason_code == "order_placed"


def test_an_order_from_before_the_checkout_does_not_stop_it(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    saleor.make_order(email="ann@example.com", created=clock.now() - timedelta(days=3))
    _, created = saleor.start_checkout(metadata=CONSENT, email="ann@example.com")
    deliver(shop, created)
    clock.advance(timedelta(hours=1))
    tick_and_drain(services, clock)
    assert [r.state for r in runs_of(services)] == ["done", "pending"]
    assert len(reminder_messages(services)) == 1


def test_saleor_down_at_send_time_retries_the_reminder_later_and_sends_once(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    _, created = saleor.start_checkout(metadata=CONSENT)
    deliver(shop, created)
    clock.advance(timedelta(hours=1))
    saleor.fail_next(status=503)
    tick_and_drain(services, clock)
    first = runs_of(services)[0]
    assert first.state == "pending" and first.attempts == 1
    clock.advance(timedelta(minutes=1))
    tick_and_drain(services, clock)
    assert runs_of(services)[0].state == "done"
    assert len(reminder_messages(services)) == 1


def test_a_later_change_moves_the_pending_reminders_on(shop: Shop) -> None:
    services, saleor, tenant, store, clock = shop.parts()
    switch_on(store, tenant)
    checkout, created = saleor.start_checkout(metadata=CONSENT)
    deliver(shop, created)
    clock.advance(timedelta(minutes=40))  # the shopper is still typing their address
    assert deliver(shop, saleor.change_checkout(checkout)) == []
    clock.advance(timedelta(minutes=30))
    assert tick_and_drain(services, clock) == 0  # 70 minutes after creation, 30 after the change
    clock.advance(timedelta(minutes=30))
    assert tick_and_drain(services, clock) == 1


def test_a_reminder_due_in_quiet_hours_waits_for_their_end(shop: Shop) -> None:
    """A reminder is a marketing text: at 22:00 in Warsaw it waits until 08:00 there."""
    services, saleor, tenant, store, clock = shop.parts()
    template = "Your cart is waiting: {{ checkout.url }}"
    # START is 12:00 UTC; 9 hours later is 21:00 UTC, 22:00 in Warsaw (quiet until 07:00 UTC).
    switch_on(store, tenant, steps=[ReminderStep(delay_minutes=9 * 60, template=template)])
    _, created = saleor.start_checkout(metadata=CONSENT, phone="+48601234567")
    assert len(deliver(shop, created)) == 1
    clock.advance(timedelta(hours=9))
    assert tick_and_drain(services, clock) == 1
    (run,) = runs_of(services)
    assert (run.state, run.reason_code) == ("pending", "quiet_hours")
    assert reminder_messages(services) == []
    clock.advance(timedelta(hours=9, minutes=59))  # 06:59 UTC: still quiet
    assert tick_and_drain(services, clock) == 0
    clock.advance(timedelta(minutes=1))
    assert tick_and_drain(services, clock) == 1
    (message,) = reminder_messages(services)
    assert message.status == "sent"
    assert runs_of(services)[0].state == "done"
