"""The webhook job, with a real Redis, a real database and the loopback Saleor: which
messages an order event logs and sends, each once, and why the others are skipped."""

from __future__ import annotations

import threading

import pytest
from rq import Retry

from saleor_sms_app.config.model import DryRun, Recipients, RuleConditions, ShopSettings
from saleor_sms_app.config.store import CONFIG_KEY, ConfigStore
from saleor_sms_app.consent.suppressions import suppress
from saleor_sms_app.errors import SaleorUnavailable
from saleor_sms_app.jobs import handle_webhook, send_message
from saleor_sms_app.messages import composing, send_jobs
from saleor_sms_app.saleor.tenants import TenantRecord, uninstall
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.pipeline.conftest import configure
from tests.pipeline.support import attempts, by_rule, messages, outbox, rule, run, webhook
from tests.standin.saleor import SaleorStandin, fulfillment


def test_order_created_with_defaults_texts_the_customer_and_explains_the_staff_skip(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    order = saleor.make_order(number=42, phone="+48 601 234 567", country_code="PL")
    run(saleor, "ORDER_CREATED", order)
    drain_queue(services)

    rows = by_rule(services)
    customer = rows["customer-order-confirmation/customer"]
    assert customer.status == "sent" and customer.phone == "+48601234567"
    assert customer.body == (
        "Sklep Testowy: thank you for your order 42 (32.00 USD). We will text you when it ships."
    )
    assert customer.provider == "sandbox" and customer.provider_message_id
    assert customer.segments == 1 and customer.encoding == "GSM-7"
    assert (customer.order_id, customer.order_number, customer.channel) == (
        order["id"],
        "42",
        "default-channel",
    )
    staff = rows["staff-new-order/staff"]
    assert (staff.status, staff.error_code) == ("skipped", "no_staff_numbers")
    assert len(rows) == 2

    (line,) = outbox(services)
    assert (line["to"], line["body"], line["reference"]) == (
        "+48601234567",
        customer.body,
        str(customer.id),
    )
    (attempt,) = attempts(services, customer.id)
    assert (attempt.provider, attempt.status, attempt.error_code) == ("sandbox", "sent", None)


def test_redelivery_and_rerun_never_log_or_send_twice(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    order = saleor.make_order()
    payload, key = webhook("ORDER_CREATED", order)
    first = handle_webhook(saleor.api_url, "ORDER_CREATED", payload, key)
    drain_queue(services)
    assert len(first) == 2

    # The same delivery again (RQ re-run, or Saleor redelivering the same body) ...
    assert handle_webhook(saleor.api_url, "ORDER_CREATED", payload, key) == []
    # ... and even a second ORDER_CREATED for the same order with another timestamp.
    assert run(saleor, "ORDER_CREATED", order, issued_at="2030-01-01T00:00:00+00:00") == []
    drain_queue(services)
    # Sending a message again by hand does nothing either.
    assert send_message(first[0]) == "sent"
    assert len(outbox(services)) == 1
    assert len(messages(services)) == 2


def test_two_workers_on_the_same_webhook_log_each_message_once(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    order = saleor.make_order()
    payload, key = webhook("ORDER_CREATED", order)
    ConfigStore(services).load(tenant)  # warm the cache so both start together
    results: list[list[int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(
                composing.process_event(
                    services, saleor.api_url, "ORDER_CREATED", payload, key
                ).created
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, 2]
    drain_queue(services)
    assert len(messages(services)) == 2 and len(outbox(services)) == 1


def test_messages_that_cannot_go_out_are_logged_with_the_reason(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord, store: ConfigStore
) -> None:
    suppress_phone = "+12025550199"
    with services.sessions.begin() as session:
        suppress(session, tenant.id, suppress_phone, reason="manual", source="manual")
    configure(
        store,
        tenant,
        settings=ShopSettings(staff_numbers=["202-555-0142"], staff_country="US"),
        rules=[
            rule("Customer", id="cust", template="Hi {{ customer.first_name }}"),
            rule("Off rule", id="off", enabled=False, recipients=Recipients(staff=True)),
            rule(
                "Needs metadata",
                id="meta",
                recipients=Recipients(numbers=["+12025550100"]),
                template="Note: {{ order.metadata.gift_note }}",
            ),
            rule(
                "Only for gifts",
                id="gift",
                recipients=Recipients(numbers=["+12025550101"]),
                template="{% if order.metadata.get('gift') %}Gift order{% endif %}",
            ),
            rule(
                "Other channel",
                id="other-channel",
                conditions=RuleConditions(channels=["channel-pln"]),
            ),
        ],
    )
    no_phone = saleor.make_order(phone=None)
    bad_phone = saleor.make_order(phone="12345")
    opted_out = saleor.make_order(phone=suppress_phone)
    for order in (no_phone, bad_phone, opted_out):
        run(saleor, "ORDER_CREATED", order)
    drain_queue(services)

    rows = {(m.order_id, m.rule_id): m for m in messages(services)}
    assert len(rows) == 12  # 3 orders x (customer, off, metadata, gift); other channel never
    skipped = rows[(no_phone["id"], "cust")]
    assert (skipped.status, skipped.error_code, skipped.phone) == ("skipped", "no_phone", "")
    invalid = rows[(bad_phone["id"], "cust")]
    assert (invalid.status, invalid.error_code, invalid.phone) == (
        "skipped",
        "invalid_number",
        "12345",
    )
    assert "not a valid number for US" in (invalid.error_text or "")
    opted = rows[(opted_out["id"], "cust")]
    assert (opted.status, opted.error_code, opted.body) == ("skipped", "opted_out", "Hi Jane")
    off = rows[(no_phone["id"], "off")]
    assert (off.status, off.error_code, off.phone) == ("skipped", "rule_disabled", "")
    template = rows[(no_phone["id"], "meta")]
    assert (template.status, template.error_code) == ("failed", "template_error")
    assert "gift_note" in (template.error_text or "")
    empty = rows[(no_phone["id"], "gift")]
    assert (empty.status, empty.error_code, empty.phone) == (
        "skipped",
        "empty_message",
        "+12025550101",
    )
    assert outbox(services) == []


def test_dry_run_sends_to_the_test_number(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord, store: ConfigStore
) -> None:
    configure(
        store, tenant, settings=ShopSettings(dry_run=DryRun(enabled=True, number="+48500100200"))
    )
    run(saleor, "ORDER_CREATED", saleor.make_order(phone="+12025550123"))
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert (customer.status, customer.phone) == ("sent", "+48500100200")
    assert customer.error_hint == "Dry run: sent to the test number instead of +12025550123"
    assert [line["to"] for line in outbox(services)] == ["+48500100200"]


def test_fulfillment_uses_its_tracking_number_and_honours_notify_customer(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    order = saleor.make_order(number=7, tracking_numbers=["OLD-1"])
    shipped = fulfillment(tracking_number="PKG-777", number=2)
    order["fulfillments"].append(shipped)
    run(
        saleor, "FULFILLMENT_CREATED", order, fulfillment={"id": shipped["id"]}, notifyCustomer=True
    )
    quiet = fulfillment(tracking_number="PKG-888", number=3)
    order["fulfillments"].append(quiet)
    run(saleor, "FULFILLMENT_CREATED", order, fulfillment={"id": quiet["id"]}, notifyCustomer=False)
    drain_queue(services)
    sent, silent = messages(services)
    assert sent.status == "sent"
    assert sent.body == "Sklep Testowy: your order 7 is on its way. Tracking number: PKG-777"
    assert (silent.status, silent.error_code) == ("skipped", "customer_not_notified")
    assert len(outbox(services)) == 1


def test_a_saleor_outage_retries_the_webhook_job(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    order = saleor.make_order()
    payload, key = webhook("ORDER_CREATED", order)
    with pytest.raises(SaleorUnavailable):
        saleor.fail_next(status=503)
        handle_webhook(saleor.api_url, "ORDER_CREATED", payload, key)
    assert messages(services) == []

    saleor.fail_next(status=502)
    services.queue.enqueue(
        "saleor_sms_app.jobs.handle_webhook",
        saleor.api_url,
        "ORDER_CREATED",
        payload,
        key,
        job_id=f"webhook-{key}",
        retry=Retry(max=2, interval=0),
    )
    drain_queue(services)
    assert by_rule(services)["customer-order-confirmation/customer"].status == "sent"


def test_uninstalled_tenants_and_vanished_orders_are_ignored(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    order = saleor.make_order()
    gone = dict(order, id="T3JkZXI6bm9uZQ==")
    assert run(saleor, "ORDER_CREATED", gone) == []
    uninstall(services, saleor.api_url)
    assert run(saleor, "ORDER_CREATED", order) == []
    assert messages(services) == [] and CONFIG_KEY not in saleor.app_private_metadata


def test_the_webhook_job_sends_its_messages_itself_and_queues_only_the_overflow(
    services: Services,
    saleor: SaleorStandin,
    tenant: TenantRecord,
    store: ConfigStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(saleor, "ORDER_CREATED", saleor.make_order(phone="+48 601 234 567", country_code="PL"))
    assert len(outbox(services)) == 1 and services.queue.count == 0

    configure(
        store,
        tenant,
        settings=ShopSettings(staff_numbers=["+48601000001", "+48601000002"]),
        rules=[
            rule(
                "Staff",
                id="staff",
                recipients=Recipients(staff=True),
                template="Order {{ order.number }}",
            )
        ],
    )
    monkeypatch.setattr(send_jobs, "SEND_BATCH_SIZE", 1)
    run(saleor, "ORDER_CREATED", saleor.make_order())
    assert len(outbox(services)) == 2  # the first staff number, at once
    assert services.queue.count == 1  # the other, in a send job
    drain_queue(services)
    staff_texts = [line["to"] for line in outbox(services)][1:]
    assert sorted(staff_texts) == ["+48601000001", "+48601000002"]
