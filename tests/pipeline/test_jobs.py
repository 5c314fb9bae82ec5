"""The worker jobs with a real Redis, a real database and the loopback Saleor."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rq import Retry
from sqlalchemy import select

from saleor_sms_app.config.model import (
    DryRun,
    ProviderConfig,
    Recipients,
    Rule,
    RuleConditions,
    ShopSettings,
)
from saleor_sms_app.config.store import CONFIG_KEY, ConfigStore
from saleor_sms_app.consent.suppressions import suppress
from saleor_sms_app.errors import SaleorUnavailable
from saleor_sms_app.jobs import handle_webhook, send_message
from saleor_sms_app.messages import composing, dispatching, send_jobs
from saleor_sms_app.models import Message, MessageAttempt, Suppression
from saleor_sms_app.saleor.tenants import TenantRecord, uninstall
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.pipeline.conftest import ScriptedProvider, configure
from tests.providers.conftest import log_message
from tests.standin.saleor import SaleorStandin, fulfillment


def webhook(event: str, order: dict[str, Any], **fields: Any) -> tuple[str, str]:
    """(payload, dedupe_key) as the web layer hands them to the job."""
    body = {
        "__typename": "".join(p.capitalize() for p in event.split("_")),
        "issuedAt": fields.pop("issued_at", datetime.now(UTC).isoformat()),
        "version": "3.23.28",
        "order": {
            "id": order["id"],
            "number": order["number"],
            "status": order["status"],
            "channel": {"slug": order["channel"]["slug"]},
        },
        **fields,
    }
    payload = json.dumps(body)
    return payload, hashlib.sha256(f"x\n{event}\n{payload}".encode()).hexdigest()


def run(saleor: SaleorStandin, event: str, order: dict[str, Any], **fields: Any) -> list[int]:
    payload, key = webhook(event, order, **fields)
    return handle_webhook(saleor.api_url, event, payload, key)


def outbox(services: Services) -> list[dict[str, Any]]:
    path: Path = services.settings.sandbox_outbox
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def messages(services: Services) -> list[Message]:
    with services.sessions() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def attempts(services: Services, message_id: int) -> list[MessageAttempt]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(MessageAttempt)
                .where(MessageAttempt.message_id == message_id)
                .order_by(MessageAttempt.id)
            )
        )


def by_rule(services: Services) -> dict[str, Message]:
    return {f"{m.rule_id}/{m.recipient_type}": m for m in messages(services)}


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
            Rule(
                id="cust",
                name="Customer",
                event="ORDER_CREATED",
                recipients=Recipients(customer=True),
                template="Hi {{ customer.first_name }}",
            ),
            Rule(
                id="off",
                name="Off rule",
                enabled=False,
                event="ORDER_CREATED",
                recipients=Recipients(staff=True),
                template="x",
            ),
            Rule(
                id="meta",
                name="Needs metadata",
                event="ORDER_CREATED",
                recipients=Recipients(numbers=["+12025550100"]),
                template="Note: {{ order.metadata.gift_note }}",
            ),
            Rule(
                id="gift",
                name="Only for gifts",
                event="ORDER_CREATED",
                recipients=Recipients(numbers=["+12025550101"]),
                template="{% if order.metadata.get('gift') %}Gift order{% endif %}",
            ),
            Rule(
                id="other-channel",
                name="Other channel",
                event="ORDER_CREATED",
                conditions=RuleConditions(channels=["channel-pln"]),
                recipients=Recipients(customer=True),
                template="x",
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


def _scripted_config(store: ConfigStore, tenant: TenantRecord, *providers: ProviderConfig) -> None:
    configure(store, tenant, providers=list(providers))


def test_a_temporary_provider_error_is_retried_until_it_works(
    services: Services,
    saleor: SaleorStandin,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
) -> None:
    _scripted_config(store, tenant, ProviderConfig(id="s", type="scripted"))
    scripted.script = ["temporary", "temporary", "ok"]
    # The webhook's job sends at once; after the first failure the row says why it waits.
    run(saleor, "ORDER_CREATED", saleor.make_order())
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert customer.status == "queued"
    assert (customer.error_text or "").startswith("Waiting to retry: scripted")
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert (customer.status, customer.provider_message_id) == ("sent", "scripted-3")
    assert (customer.price, customer.currency, customer.segments) == (Decimal("0.0075"), "USD", 2)
    assert customer.sent_at is not None
    assert customer.error_code is None and customer.error_text is None
    assert [(a.status, a.error_code, a.temporary) for a in attempts(services, customer.id)] == [
        ("failed", "503", True),
        ("failed", "503", True),
        ("queued", None, None),
    ]


def test_a_temporary_error_that_persists_fails_after_the_last_retry(
    services: Services,
    saleor: SaleorStandin,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
) -> None:
    _scripted_config(store, tenant, ProviderConfig(id="s", type="scripted"))
    scripted.script = ["temporary"] * 10
    run(saleor, "ORDER_CREATED", saleor.make_order())
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert (customer.status, customer.error_code) == ("failed", "provider_unavailable")
    assert len(scripted.calls) == 1 + len(send_jobs.SEND_RETRY_INTERVALS)
    assert len(attempts(services, customer.id)) == len(scripted.calls)


@pytest.mark.parametrize("answer", ["permanent", "opted_out"])
def test_a_permanent_provider_error_is_recorded_not_retried(
    services: Services,
    saleor: SaleorStandin,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    answer: str,
) -> None:
    _scripted_config(store, tenant, ProviderConfig(id="s", type="scripted"))
    scripted.script = [answer]
    order = saleor.make_order(phone="+12025550177")
    run(saleor, "ORDER_CREATED", order)
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert customer.status == "failed" and len(scripted.calls) == 1
    with services.sessions() as session:
        suppressed = session.scalars(select(Suppression.phone)).all()
    if answer == "opted_out":
        assert (customer.error_code, customer.error_hint) == (
            "opted_out",
            "The customer opted out.",
        )
        assert suppressed == ["+12025550177"]
    else:
        assert (customer.error_code, customer.error_hint) == (
            "invalid_sender",
            "Register the sender name.",
        )
        assert suppressed == []


def test_failover_to_the_next_provider_for_the_channel(
    services: Services,
    saleor: SaleorStandin,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
) -> None:
    _scripted_config(
        store,
        tenant,
        ProviderConfig(id="other", type="scripted", channels=["channel-pln"]),
        ProviderConfig(id="off", type="scripted", enabled=False),
        ProviderConfig(id="s", type="scripted"),
        ProviderConfig(id="backup", type="sandbox"),
    )
    scripted.script = ["temporary"]
    run(saleor, "ORDER_CREATED", saleor.make_order())
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert (customer.status, customer.provider_id, customer.provider) == (
        "sent",
        "backup",
        "sandbox",
    )
    assert [a.provider_id for a in attempts(services, customer.id)] == ["s", "backup"]


def test_no_provider_for_the_channel_fails_with_a_hint(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord, store: ConfigStore
) -> None:
    _scripted_config(
        store, tenant, ProviderConfig(id="pl", type="sandbox", channels=["channel-pln"])
    )
    run(saleor, "ORDER_CREATED", saleor.make_order())
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert (customer.status, customer.error_code) == ("failed", "no_provider")
    assert customer.error_hint


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
            Rule(
                id="staff",
                name="Staff",
                event="ORDER_CREATED",
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


def _set_status(services: Services, message_id: int, status: str, **values: Any) -> None:
    with services.sessions() as session, session.begin():
        message = session.get(Message, message_id)
        assert message is not None
        message.status = status
        for name, value in values.items():
            setattr(message, name, value)


def test_a_message_being_sent_by_another_worker_is_left_to_it(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    message_id = log_message(services, tenant.id)
    _set_status(services, message_id, "sending")  # claimed by another worker
    assert send_message(message_id) == "sending"
    assert dispatching.send_messages(services, [message_id, message_id]) == {"sending": 2}
    assert outbox(services) == []
    _set_status(services, message_id, "queued")  # that worker gave it back
    assert send_message(message_id) == "sent" and len(outbox(services)) == 1
    assert send_message(message_id) == "sent" and len(outbox(services)) == 1


def test_two_workers_on_the_same_messages_send_each_once(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    ids = [log_message(services, tenant.id, body=f"Order {i} shipped") for i in range(6)]
    results: list[dict[str, int]] = []
    threads = [
        threading.Thread(target=lambda: results.append(dispatching.send_messages(services, ids)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outbox(services)) == 6
    assert sorted(line["reference"] for line in outbox(services)) == sorted(str(i) for i in ids)
    assert sum(r.get("sent", 0) + r.get("sending", 0) for r in results) == 4 * 6


def test_a_send_interrupted_by_a_dead_worker_is_marked_unknown_not_sent_again(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    stale, fresh = log_message(services, tenant.id), log_message(services, tenant.id)
    _set_status(
        services,
        stale,
        "sending",
        updated_at=datetime.now(UTC) - timedelta(seconds=dispatching.SEND_LOCK_SECONDS + 5),
    )
    _set_status(services, fresh, "sending")
    assert dispatching.release_stale_sends(services) == 1
    statuses = {m.id: m for m in messages(services)}
    assert statuses[stale].status == "unknown"
    assert statuses[stale].error_code == "send_interrupted"
    assert statuses[fresh].status == "sending"
    assert send_message(stale) == "unknown" and outbox(services) == []


def test_the_worker_marks_interrupted_sends_when_it_starts(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    stale = log_message(services, tenant.id)
    _set_status(
        services,
        stale,
        "sending",
        updated_at=datetime.now(UTC) - timedelta(seconds=dispatching.SEND_LOCK_SECONDS + 5),
    )
    drain_queue(services)  # an SmsWorker: RQ's maintenance runs as it starts
    assert [(m.status, m.error_code) for m in messages(services)] == [
        ("unknown", "send_interrupted")
    ]


def test_the_worker_uses_the_configured_age_and_a_timeout_sized_grace(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    """``SEND_LOCK_SECONDS`` and ``JOB_TIMEOUT`` (the chaos suite shortens both) are
    what the worker's maintenance and RQ's abandoned-job check go by."""
    from saleor_sms_app.worker import SmsWorker

    services.settings = services.settings.with_overrides(job_timeout=10, send_lock_seconds=15)
    older = log_message(services, tenant.id)
    _set_status(services, older, "sending", updated_at=datetime.now(UTC) - timedelta(seconds=20))
    drain_queue(services)
    assert [m.status for m in messages(services)] == ["unknown"]

    worker = SmsWorker([services.queue], connection=services.redis)
    job = services.queue.enqueue("operator.truth", job_timeout=10)
    assert worker.get_heartbeat_ttl(job) == 20  # RQ alone would give 10 + 60
    job = services.queue.enqueue("operator.truth", job_timeout=180)
    assert worker.get_heartbeat_ttl(job) == 240  # the default is unchanged
