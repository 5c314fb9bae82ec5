"""Shipping, tracking-number, paid and refund texts as a real Saleor 3.23 sends their webhooks.

The loopback Saleor applies the mutation (``fulfil``, ``update_tracking``,
``refund``, ``mark_paid``) and emits the webhooks Saleor emits for it, signed,
over real HTTP into the live app; the worker runs the jobs. Time is moved by
asking RQ's scheduler for the jobs due later, never by sleeping.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from saleor_sms_app.config.model import RuleConditions
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.jobs import handle_webhook
from saleor_sms_app.messages.notices import SHIPPED_TEXT_WAIT_SECONDS
from saleor_sms_app.models import Message
from saleor_sms_app.queueing import dedupe_key
from saleor_sms_app.saleor.manifest import build_manifest
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.pipeline.conftest import configure
from tests.pipeline.support import outbox, rule
from tests.standin.saleor import SaleorStandin

SHOP = "Saleor e-commerce"
PHONE = "+12025550123"


def shipped(number: int | str, tracking: str = "") -> str:
    text = f"{SHOP}: your order {number} is on its way."
    return text + (f" Tracking number: {tracking}" if tracking else "")


def tracking(number: int | str, tracking_number: str) -> str:
    return f"{SHOP}: tracking number for your order {number}: {tracking_number}"


def texts(services: Services) -> list[str]:
    """Bodies the sandbox provider was handed for the customer, in order."""
    return [sms["body"] for sms in outbox(services) if sms["to"] == PHONE]


def rows(services: Services, event: str | None = None) -> list[Message]:
    with services.sessions() as session:
        query = select(Message).order_by(Message.id)
        if event:
            query = query.where(Message.event == event)
        return list(session.scalars(query))


def run_jobs_due_in(services: Services, seconds: int) -> list[str]:
    """Move RQ's clock ``seconds`` ahead: run the scheduled jobs due by then."""
    registry = ScheduledJobRegistry(queue=services.queue)
    due = registry.get_jobs_to_schedule(int(time.time()) + seconds)
    for job_id in due:
        job = services.queue.fetch_job(job_id)
        assert job is not None
        registry.remove(job)
        services.queue.enqueue_job(job)
    drain_queue(services)
    return [str(job_id) for job_id in due]


def deliver(installed: Any, deliveries: list[tuple[str, bytes]]) -> None:
    for response in installed.saleor.deliver(installed.app.url, deliveries):
        assert response.status_code == 200, response.text
    drain_queue(installed.app.services)


@pytest.mark.parametrize("order_of_webhooks", ["as Saleor sends them", "reversed"])
def test_fulfilling_with_a_tracking_number_sends_one_shipped_text_with_it(
    installed: Any, order_of_webhooks: str
) -> None:
    saleor, services = installed.saleor, installed.app.services
    order = saleor.make_order(number=501)
    deliveries = saleor.fulfil(order, tracking_number="PKG-1")
    events = [event for event, _ in deliveries]
    assert events == [
        "FULFILLMENT_TRACKING_NUMBER_UPDATED",
        "ORDER_UPDATED",
        "FULFILLMENT_CREATED",
        "ORDER_FULFILLED",
    ]
    if order_of_webhooks == "reversed":
        deliveries.reverse()
    deliver(installed, deliveries)

    assert texts(services) == [shipped(501, "PKG-1")]
    # Whatever the tracking webhook held back is sent by now and never again.
    run_jobs_due_in(services, SHIPPED_TEXT_WAIT_SECONDS + 1)
    assert texts(services) == [shipped(501, "PKG-1")]
    customer = [m for m in rows(services) if m.recipient_type == "customer"]
    sent = [m for m in customer if m.status == "sent"]
    assert [(m.rule_name, m.body) for m in sent] == [
        ("Customer: order shipped", shipped(501, "PKG-1"))
    ]


def test_a_tracking_number_added_or_changed_later_is_one_more_text_each(
    installed: Any,
) -> None:
    saleor, services = installed.saleor, installed.app.services
    order = saleor.make_order(number=502)
    deliver(installed, saleor.fulfil(order))
    assert texts(services) == [shipped(502)]
    fulfillment_id = order["fulfillments"][0]["id"]

    added = saleor.update_tracking(order, fulfillment_id, "PKG-2")
    assert [event for event, _ in added] == ["FULFILLMENT_TRACKING_NUMBER_UPDATED", "ORDER_UPDATED"]
    deliver(installed, added)
    assert texts(services) == [shipped(502), tracking(502, "PKG-2")]

    # Saved again with the same number: nothing new. Changed: one more text.
    deliver(installed, saleor.update_tracking(order, fulfillment_id, "PKG-2"))
    deliver(installed, saleor.update_tracking(order, fulfillment_id, "PKG-3"))
    assert run_jobs_due_in(services, SHIPPED_TEXT_WAIT_SECONDS + 1) == []
    assert texts(services) == [shipped(502), tracking(502, "PKG-2"), tracking(502, "PKG-3")]


def test_a_number_the_shipped_text_carried_then_changed_is_texted_again_once(
    installed: Any,
) -> None:
    saleor, services = installed.saleor, installed.app.services
    order = saleor.make_order(number=503)
    deliver(installed, saleor.fulfil(order, tracking_number="PKG-1"))
    fulfillment_id = order["fulfillments"][0]["id"]
    deliver(installed, saleor.update_tracking(order, fulfillment_id, "PKG-9"))
    run_jobs_due_in(services, SHIPPED_TEXT_WAIT_SECONDS + 1)
    assert texts(services) == [shipped(503, "PKG-1"), tracking(503, "PKG-9")]


def test_the_log_says_why_the_tracking_rule_sent_nothing(installed: Any) -> None:
    saleor, services = installed.saleor, installed.app.services
    order = saleor.make_order(number=504)
    deliveries = saleor.fulfil(order, tracking_number="PKG-4")
    deliveries.reverse()  # the shipped text first, then the tracking webhook
    deliver(installed, deliveries)
    (note,) = [
        m
        for m in rows(services, "FULFILLMENT_TRACKING_NUMBER_UPDATED")
        if m.recipient_type == "customer"
    ]
    assert (note.rule_name, note.status, note.error_code) == (
        "Customer: tracking number",
        "skipped",
        "tracking_number_already_texted",
    )
    assert "PKG-4" in (note.error_text or "")


@pytest.mark.parametrize("order_of_webhooks", ["as Saleor sends them", "reversed"])
def test_notify_customer_unticked_keeps_the_number_from_the_customer(
    installed: Any, order_of_webhooks: str
) -> None:
    saleor, services = installed.saleor, installed.app.services
    order = saleor.make_order(number=505)
    deliveries = saleor.fulfil(order, tracking_number="PKG-5", notify_customer=False)
    if order_of_webhooks == "reversed":
        deliveries.reverse()
    deliver(installed, deliveries)
    run_jobs_due_in(services, SHIPPED_TEXT_WAIT_SECONDS + 1)
    assert texts(services) == []
    codes = {m.error_code for m in rows(services) if m.recipient_type == "customer"}
    assert "customer_not_notified" in codes


def test_a_tracking_webhook_without_its_shipment_sends_the_shipped_text_after_the_wait(
    installed: Any,
) -> None:
    """A fulfilment made before the app was installed: FULFILLMENT_CREATED never comes."""
    saleor, services = installed.saleor, installed.app.services
    order = saleor.make_order(number=506)
    deliveries = saleor.fulfil(order, tracking_number="PKG-6")
    deliver(installed, [d for d in deliveries if d[0] == "FULFILLMENT_TRACKING_NUMBER_UPDATED"])
    assert texts(services) == []
    assert run_jobs_due_in(services, SHIPPED_TEXT_WAIT_SECONDS - 5) == []
    assert len(run_jobs_due_in(services, SHIPPED_TEXT_WAIT_SECONDS + 1)) == 1
    assert texts(services) == [shipped(506, "PKG-6")]


def test_two_workers_taking_both_webhooks_at_once_send_one_text(
    services: Services, saleor: SaleorStandin, tenant: Any
) -> None:
    """Both jobs run side by side (a barrier starts them together), ten shipments in a row."""
    saleor.manifest = build_manifest("http://127.0.0.1:9")  # what the app subscribed to
    saleor.shop_name = SHOP
    for round_number in range(10):
        order = saleor.make_order(number=600 + round_number)
        deliveries = [
            d
            for d in saleor.fulfil(order, tracking_number=f"PKG-6{round_number}")
            if d[0] in ("FULFILLMENT_CREATED", "FULFILLMENT_TRACKING_NUMBER_UPDATED")
        ]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def work(
            event: str,
            body: bytes,
            barrier: threading.Barrier = barrier,
            errors: list[BaseException] = errors,
        ) -> None:
            try:
                barrier.wait()
                payload = body.decode()
                handle_webhook(
                    saleor.api_url, event, payload, dedupe_key(saleor.api_url, event, body)
                )
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=d) for d in deliveries]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        run_jobs_due_in(services, SHIPPED_TEXT_WAIT_SECONDS + 1)
        bodies = [b for b in texts(services) if f"order {600 + round_number} " in b]
        assert bodies == [shipped(600 + round_number, f"PKG-6{round_number}")]


def test_a_full_refund_is_one_text_and_partial_refunds_one_each(installed: Any) -> None:
    saleor, services = installed.saleor, installed.app.services
    refunded = f"{SHOP}: we have refunded your order 507. "
    order = saleor.make_order(number=507)
    deliver(installed, saleor.mark_paid(order))
    paid = f"{SHOP}: we have received your payment for order 507 (32.00 USD). Thank you!"
    assert texts(services) == [paid]

    full = saleor.refund(order, 32.0)
    assert [event for event, _ in full] == [
        "ORDER_REFUNDED",
        "ORDER_UPDATED",
        "ORDER_FULLY_REFUNDED",
    ]
    deliver(installed, full)
    assert [t.startswith(refunded) for t in texts(services)] == [False, True]

    other = saleor.make_order(number=508)
    deliver(installed, saleor.refund(other, 10.0))
    deliver(installed, saleor.refund(other, 22.0))
    assert len([t for t in texts(services) if "order 508." in t]) == 2


def test_a_merchant_rule_for_the_full_refund_too_still_means_one_text_per_refund(
    installed: Any,
) -> None:
    saleor, services = installed.saleor, installed.app.services
    configure(
        ConfigStore(services),
        installed.tenant,
        rules=[
            rule(event, event, id=f"refund-{event}", template=f"{event} {{{{ order.number }}}}")
            for event in ("ORDER_REFUNDED", "ORDER_FULLY_REFUNDED")
        ],
    )
    order = saleor.make_order(number=509)
    deliver(installed, saleor.refund(order, 32.0))
    assert len([t for t in texts(services) if t.endswith(" 509")]) == 1


def test_an_event_no_rule_is_for_is_logged_once_per_order_without_asking_saleor(
    installed: Any,
) -> None:
    saleor, services = installed.saleor, installed.app.services
    order = saleor.make_order(number=510)
    fetches = saleor.count(operation="OrderForSms")
    for _ in range(3):  # three different ORDER_UPDATED deliveries for one order
        deliver(installed, [("ORDER_UPDATED", saleor.event_payload("ORDER_UPDATED", order))])
    (row,) = rows(services, "ORDER_UPDATED")
    assert (row.status, row.error_code, row.error_text, row.recipient_type) == (
        "skipped",
        "no_rule",
        "No rule for this event",
        "nobody",
    )
    assert (row.order_id, row.order_number, row.channel) == (
        order["id"],
        "510",
        "default-channel",
    )
    assert saleor.count(operation="OrderForSms") == fetches
    # Another order gets its own row.
    deliver(
        installed,
        [("ORDER_UPDATED", saleor.event_payload("ORDER_UPDATED", saleor.make_order()))],
    )
    assert len(rows(services, "ORDER_UPDATED")) == 2


def test_rules_whose_conditions_the_order_misses_are_logged_as_such(installed: Any) -> None:
    saleor, services = installed.saleor, installed.app.services
    configure(
        ConfigStore(services),
        installed.tenant,
        rules=[
            rule(
                "PL only",
                "ORDER_CANCELLED",
                id="pl-only",
                conditions=RuleConditions(channels=["channel-pln"]),
            )
        ],
    )
    order = saleor.make_order(number=511)
    deliver(installed, [("ORDER_CANCELLED", saleor.event_payload("ORDER_CANCELLED", order))])
    (row,) = rows(services, "ORDER_CANCELLED")
    assert (row.status, row.error_code) == ("skipped", "no_rule")
    assert row.error_text == "No rule for this event matches this order (its conditions)"
    assert texts(services) == []
