"""Existing installs get the webhooks of a new version without a reinstall.

The plan is checked on plain data; everything else runs against the loopback
Saleor, which delivers events only to the webhooks it registered and answers
the app's ``app { webhooks }`` and webhook mutations after validating them
against the real schema.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from rq.registry import ScheduledJobRegistry

from saleor_sms_app import cli
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.jobs import sync_webhooks
from saleor_sms_app.models import Tenant
from saleor_sms_app.saleor.manifest import build_manifest, webhooks_marker
from saleor_sms_app.saleor.webhook_sync import (
    SaleorWebhook,
    WantedWebhook,
    enqueue_due_syncs,
    plan_changes,
    sync_tenant,
    tenants_to_sync,
)
from saleor_sms_app.services import Services
from tests.conftest import TEST_SECRET_KEY, drain_queue
from tests.pipeline.test_notices import deliver, run_jobs_due_in, shipped, texts, tracking
from tests.standin.fixtures import Installed
from tests.standin.saleor.stock import make_variant, warehouse

APP = "https://sms.example.com"
TRACKING = "FULFILLMENT_TRACKING_NUMBER_UPDATED"


def want(event: str, name: str | None = None, query: str = "q") -> WantedWebhook:
    return WantedWebhook(name or f"SMS: {event}", (event,), query, f"{APP}/api/webhooks/{event}")


def have(id: str, w: WantedWebhook, **changes: Any) -> SaleorWebhook:
    fields: dict[str, Any] = {
        "id": id,
        "name": w.name,
        "async_events": w.events,
        "sync_events": (),
        "target_url": w.target_url,
        "query": w.query,
        "is_active": True,
    }
    fields.update(changes)
    return SaleorWebhook(**fields)


# --------------------------------------------------------------------------- the plan


def test_the_plan_creates_what_is_missing_updates_what_changed_deletes_what_is_unwanted() -> None:
    created, paid, refunded = (
        want("ORDER_CREATED"),
        want("ORDER_FULLY_PAID"),
        want("ORDER_REFUNDED"),
    )
    tracking_number = want(TRACKING)
    existing = [
        have("W1", created),
        have("W2", paid, target_url="https://old.example.com/api/webhooks/ORDER_FULLY_PAID"),
        have("W3", refunded, query="old refund query"),
        have("W4", want("ORDER_NOTE_ADDED")),
    ]
    plan = plan_changes([created, paid, refunded, tracking_number], existing, APP)
    assert [(c.action, c.name, c.webhook_id, c.fields) for c in plan] == [
        ("create", tracking_number.name, None, ()),
        ("update", paid.name, "W2", ("targetUrl",)),
        ("update", refunded.name, "W3", ("query",)),
        ("delete", "SMS: ORDER_NOTE_ADDED", "W4", ()),
    ]


def test_a_renamed_label_updates_the_webhook_of_that_event_rather_than_adding_one() -> None:
    new = want("ORDER_CREATED", name="SMS: Order placed")
    plan = plan_changes([new], [have("W1", want("ORDER_CREATED", name="SMS: Order created"))], APP)
    assert [(c.action, c.webhook_id, c.fields) for c in plan] == [("update", "W1", ("name",))]


def test_webhooks_that_are_not_the_apps_own_are_never_planned() -> None:
    created = want("ORDER_CREATED")
    by_hand = have(
        "W9", created, name="ERP export", target_url="https://erp.example.com/saleor-orders"
    )
    plan = plan_changes([created], [by_hand], APP)
    # Not matched either: the app's own webhook is created beside it.
    assert [(c.action, c.webhook_id) for c in plan] == [("create", None)]


def test_a_second_webhook_for_one_event_is_deleted_and_a_switched_off_one_stays_off() -> None:
    created = want("ORDER_CREATED")
    existing = [have("W1", created, is_active=False), have("W2", created)]
    plan = plan_changes([created], existing, APP)
    assert [(c.action, c.webhook_id) for c in plan] == [("delete", "W2")]


def test_the_marker_changes_with_the_webhooks_not_only_the_version() -> None:
    assert webhooks_marker(APP) == webhooks_marker(APP)
    assert webhooks_marker(APP) != webhooks_marker("https://new.example")


# --------------------------------------------------------------------------- against Saleor


def old_manifest(app_url: str) -> dict[str, Any]:
    """What the version before the tracking-number texts registered: no tracking webhook,
    refund subscriptions without ``totalRefunded``, and one event it no longer wants."""
    manifest = build_manifest(app_url)
    webhooks = [w for w in manifest["webhooks"] if w["asyncEvents"] != [TRACKING]]
    for webhook in webhooks:
        if "totalRefunded" in webhook["query"]:
            webhook["query"] = re.sub(r"totalRefunded \{[^}]*\}", "", webhook["query"])
            assert "totalRefunded {" not in webhook["query"]
    webhooks.append(
        {
            "name": "SMS: Order metadata updated",
            "asyncEvents": ["ORDER_METADATA_UPDATED"],
            "query": "subscription { event { ... on OrderMetadataUpdated { order { id } } } }",
            "targetUrl": app_url + "/api/webhooks/order_metadata_updated",
            "isActive": True,
        }
    )
    return {**manifest, "webhooks": webhooks}


def foreign_webhooks(installed: Installed) -> list[dict[str, Any]]:
    """One webhook added to this app by hand, one of another app."""
    saleor = installed.saleor
    assert saleor.app_id is not None
    query = "subscription { event { ... on OrderCreated { order { id } } } }"
    by_hand = saleor.webhook_registry.add(
        saleor.app_id,
        name="ERP export",
        async_events=["ORDER_CREATED"],
        target_url="https://erp.example.com/orders",
        query=query,
    )
    other_app = saleor.webhook_registry.add(
        "QXBwOjk5",
        name="SMS: Order placed",
        async_events=["ORDER_CREATED"],
        target_url="https://other-app.example.com/api/webhooks/order_created",
        query=query,
    )
    return [dict(by_hand), dict(other_app)]


def registered(installed: Installed) -> list[tuple[str, tuple[str, ...], str, str]]:
    saleor = installed.saleor
    return sorted(
        (
            w["name"],
            tuple(e["eventType"] for e in w["asyncEvents"]),
            w["subscriptionQuery"],
            w["targetUrl"],
        )
        for w in saleor.webhook_registry.of_app(saleor.app_id)
        if w["name"] != "ERP export"
    )


def manifest_webhooks(app_url: str) -> list[tuple[str, tuple[str, ...], str, str]]:
    return sorted(
        (w["name"], tuple(w["asyncEvents"]), w["query"], w["targetUrl"])
        for w in build_manifest(app_url)["webhooks"]
    )


def synced_marker(services: Services, tenant_id: int) -> str | None:
    with services.sessions() as session:
        row = session.get(Tenant, tenant_id)
        assert row is not None
        return row.webhooks_synced


OLD_MARKER = "0.0.9-0123456789ab"


def installed_by_old_version(installed: Installed, marker: str | None = OLD_MARKER) -> None:
    """Saleor holds the old manifest's webhooks; the tenant row says the old version
    (or, ``None``, nothing: a row the migration added the column to)."""
    installed.saleor.manifest = old_manifest(installed.app.url)
    with installed.app.services.sessions.begin() as session:
        row = session.get(Tenant, installed.tenant.id)
        assert row is not None
        row.webhooks_synced = marker


def test_an_event_added_by_a_new_version_reaches_an_old_install_after_the_sync(
    installed: Installed,
) -> None:
    saleor, services = installed.saleor, installed.app.services
    # Saleor registered the old version's webhooks; the row is still marked current,
    # so the worker that runs the jobs below does not sync yet.
    saleor.manifest = old_manifest(installed.app.url)
    foreign = foreign_webhooks(installed)
    order = saleor.make_order(number=701)
    deliver(installed, saleor.fulfil(order))
    fulfillment_id = order["fulfillments"][0]["id"]

    # Before: Saleor has no tracking webhook, so nothing is sent and nothing texted.
    before = saleor.update_tracking(order, fulfillment_id, "PKG-1")
    assert [event for event, _ in before] == ["ORDER_UPDATED"]
    deliver(installed, before)
    assert texts(services) == [shipped(701)]
    assert b"totalRefunded" not in saleor.event_payload("ORDER_REFUNDED", order)

    # The new version's worker starts: its maintenance queues the sync and runs it.
    installed_by_old_version(installed)
    saleor.manifest = old_manifest(installed.app.url)  # the same webhooks again, new ids
    foreign = foreign_webhooks(installed)
    drain_queue(services)
    assert registered(installed) == manifest_webhooks(installed.app.url)
    assert [w for w in saleor.webhook_registry.webhooks.values() if w["name"] == "ERP export"] == [
        foreign[0]
    ]
    assert saleor.webhook_registry.webhooks[foreign[1]["id"]] == foreign[1]
    assert synced_marker(services, installed.tenant.id) == webhooks_marker(installed.app.url)

    # After: the tracking number changed again reaches the app and is texted.
    after = saleor.update_tracking(order, fulfillment_id, "PKG-2")
    assert [event for event, _ in after] == [TRACKING, "ORDER_UPDATED"]
    deliver(installed, after)
    assert texts(services) == [shipped(701), tracking(701, "PKG-2")]
    assert b"totalRefunded" in saleor.event_payload("ORDER_REFUNDED", order)


#: What this version subscribes to that the one before did not.
CHECKOUT_AND_STOCK_VERSION_EVENTS = {
    "ORDER_PAID",
    "ORDER_EXPIRED",
    "FULFILLMENT_CANCELED",
    "FULFILLMENT_APPROVED",
    "CHECKOUT_CREATED",
    "CHECKOUT_UPDATED",
    "PRODUCT_VARIANT_OUT_OF_STOCK",
    "PRODUCT_VARIANT_BACK_IN_STOCK",
    "PRODUCT_VARIANT_STOCK_UPDATED",
}


def test_checkout_stock_and_new_order_events_reach_an_install_from_before_them(
    installed: Installed,
) -> None:
    saleor, services = installed.saleor, installed.app.services
    manifest = build_manifest(installed.app.url)
    before = [
        w
        for w in manifest["webhooks"]
        if w["asyncEvents"][0] not in CHECKOUT_AND_STOCK_VERSION_EVENTS
    ]
    saleor.manifest = {**manifest, "webhooks": before}
    with services.sessions.begin() as session:
        row = session.get(Tenant, installed.tenant.id)
        assert row is not None
        row.webhooks_synced = OLD_MARKER
    assert saleor.start_checkout()[1] == []  # Saleor has no checkout webhook for the app yet

    drain_queue(services)  # the worker's maintenance queues the sync and runs it

    assert saleor.webhook_registry.events_of(saleor.app_id) >= CHECKOUT_AND_STOCK_VERSION_EVENTS
    assert [e for e, _ in saleor.start_checkout()[1]] == ["CHECKOUT_CREATED"]
    variant, where = make_variant(), warehouse()
    assert [e for e, _ in saleor.set_stock(variant, where, 0)] == [
        "PRODUCT_VARIANT_STOCK_UPDATED",
        "PRODUCT_VARIANT_OUT_OF_STOCK",
    ]
    assert synced_marker(services, installed.tenant.id) == webhooks_marker(installed.app.url)


def test_a_second_run_changes_nothing_and_is_not_even_queued(installed: Installed) -> None:
    saleor, services = installed.saleor, installed.app.services
    installed_by_old_version(installed)
    first = sync_tenant(services, installed.tenant)
    assert len(first.applied) == 4 and first.complete  # tracking, 2 refunds, expired
    ids = sorted(saleor.webhook_registry.webhooks)
    mutations_before = saleor.count("/graphql/")

    second = sync_tenant(services, installed.tenant)
    assert (second.plan, second.applied) == ([], [])
    assert sorted(saleor.webhook_registry.webhooks) == ids
    assert saleor.count("/graphql/") == mutations_before + 1  # the list, nothing else
    assert tenants_to_sync(services, second.marker) == []
    assert enqueue_due_syncs(services) == 0


def test_an_install_is_recorded_as_synced_and_its_webhooks_are(installed: Installed) -> None:
    services = installed.app.services
    assert synced_marker(services, installed.tenant.id) == webhooks_marker(installed.app.url)
    assert enqueue_due_syncs(services) == 0
    report = sync_tenant(services, installed.tenant, dry_run=True)
    assert report.plan == []


def test_a_tenant_from_before_the_migration_is_synced(installed: Installed) -> None:
    installed_by_old_version(installed, marker=None)
    assert enqueue_due_syncs(installed.app.services) == 1


def test_a_dry_run_reports_the_plan_and_changes_nothing(installed: Installed) -> None:
    saleor, services = installed.saleor, installed.app.services
    installed_by_old_version(installed)
    before = {k: dict(v) for k, v in saleor.webhook_registry.webhooks.items()}
    report = sync_tenant(services, installed.tenant, dry_run=True)
    assert sorted(c.describe() for c in report.plan) == [
        "create 'SMS: Tracking number added or changed'",
        "delete 'SMS: Order metadata updated'",
        "update 'SMS: Order fully refunded' (query)",
        "update 'SMS: Order refunded (partly or fully)' (query)",
    ]
    assert report.applied == []
    assert saleor.webhook_registry.webhooks == before
    assert synced_marker(services, installed.tenant.id) == OLD_MARKER


def test_saleor_down_is_retried_and_the_retry_finishes_the_sync(
    installed: Installed, caplog: pytest.LogCaptureFixture
) -> None:
    saleor, services = installed.saleor, installed.app.services
    installed_by_old_version(installed)
    # The worker's start-up maintenance reads each shop's configuration (message
    # retention); read and cached here, so the one failure is the sync's.
    ConfigStore(services).load(installed.tenant)
    saleor.fail_next("/graphql/", status=502)
    assert enqueue_due_syncs(services) == 1
    with caplog.at_level(logging.WARNING):
        drain_queue(services)
    assert "will be retried: Saleor answered 502" in caplog.text
    assert TRACKING not in saleor.webhook_registry.events_of(saleor.app_id)
    assert len(ScheduledJobRegistry(queue=services.queue)) == 1
    # Another worker's maintenance meanwhile does not queue it twice.
    assert enqueue_due_syncs(services) == 0

    assert len(run_jobs_due_in(services, 61)) == 1
    assert registered(installed) == manifest_webhooks(installed.app.url)
    assert synced_marker(services, installed.tenant.id) == webhooks_marker(installed.app.url)


def test_saleor_refusing_the_token_is_logged_not_raised_and_not_recorded(
    installed: Installed, caplog: pytest.LogCaptureFixture
) -> None:
    saleor, services = installed.saleor, installed.app.services
    installed_by_old_version(installed)
    saleor.fail_next("/graphql/", status=401)
    with caplog.at_level(logging.WARNING):
        result = sync_webhooks(installed.tenant.id)
    assert result.startswith("failed: Saleor refused the app token (401)")
    assert "webhook sync of " + saleor.api_url + " failed" in caplog.text
    assert synced_marker(services, installed.tenant.id) == OLD_MARKER
    assert len(ScheduledJobRegistry(queue=services.queue)) == 0


def test_a_change_saleor_refuses_is_reported_and_the_others_still_go(
    installed: Installed, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = installed.app.services
    installed_by_old_version(installed)
    # A subscription Saleor's schema rejects: the create is refused with Saleor's field error.
    from saleor_sms_app.saleor import webhook_sync

    real = webhook_sync.wanted_webhooks

    def broken(app_url: str) -> list[WantedWebhook]:
        return [
            WantedWebhook(w.name, w.events, "subscription { nope }", w.target_url)
            if w.events == (TRACKING,)
            else w
            for w in real(app_url)
        ]

    monkeypatch.setattr(webhook_sync, "wanted_webhooks", broken)
    report = sync_tenant(services, installed.tenant)
    [(change, reason)] = report.failed
    assert change.action == "create"
    assert reason.startswith(
        "Saleor refused to create 'SMS: Tracking number added or changed': query: "
    )
    assert len(report.applied) == 3
    assert synced_marker(services, installed.tenant.id) == OLD_MARKER


def test_the_cli_syncs_every_installed_shop_or_only_reports_with_dry_run(
    installed: Installed,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    saleor, services = installed.saleor, installed.app.services
    installed_by_old_version(installed)
    settings = services.settings
    for name, value in {
        "APP_URL": installed.app.url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "REDIS_URL": settings.redis_url,
        "DATABASE_URL": settings.database_url,
    }.items():
        monkeypatch.setenv(name, value)

    assert cli.main(["sync-webhooks", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"{saleor.api_url}: would: create 'SMS: Tracking number added or changed'" in out
    assert TRACKING not in saleor.webhook_registry.events_of(saleor.app_id)

    assert cli.main(["sync-webhooks"]) == 0
    assert f"{saleor.api_url}: did: create" in capsys.readouterr().out
    assert registered(installed) == manifest_webhooks(installed.app.url)
    assert cli.main(["sync-webhooks"]) == 0
    assert f"{saleor.api_url}: did: nothing to change" in capsys.readouterr().out


def test_the_standin_refuses_a_webhook_of_another_app(installed: Installed) -> None:
    saleor = installed.saleor
    _, other_app = foreign_webhooks(installed)
    for document, variables in (
        ("mutation D($id: ID!) { webhookDelete(id: $id) { errors { field code } } }", {}),
        (
            "mutation U($id: ID!, $in: WebhookUpdateInput!)"
            " { webhookUpdate(id: $id, input: $in) { errors { field code } } }",
            {"in": {"name": "SMS: mine now"}},
        ),
    ):
        result = saleor.execute_graphql(document, {"id": other_app["id"], **variables})
        (root,) = result["data"].values()
        assert [e["field"] for e in root["errors"]] == ["id"]
    assert saleor.webhook_registry.webhooks[other_app["id"]] == other_app


def test_the_migration_keeps_every_tenant_and_marks_them_for_a_sync(
    tmp_path: Path, services: Services
) -> None:
    """A database at 0003 with tenants (one uninstalled) upgrades without losing a row;
    the installed one is then due for a sync, the uninstalled one is not."""
    from sqlalchemy import create_engine, text

    from saleor_sms_app.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(url, "0003")
    engine = create_engine(url)
    with engine.begin() as conn:
        for n, token in ((1, "gAAAA-token"), (2, None)):
            conn.execute(
                text(
                    "INSERT INTO tenants (id, saleor_api_url, saleor_domain, app_id,"
                    " token_encrypted, jwks, saleor_version, installed_at, updated_at)"
                    " VALUES (:id, :url, 'shop', 'QXBwOjE=', :token, '{}', '3.23',"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": n, "url": f"https://shop{n}.example/graphql/", "token": token},
            )
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, webhooks_synced FROM tenants ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, None), (2, None)]

    old_db = Services.build(services.settings.with_overrides(database_url=url))
    try:
        assert tenants_to_sync(old_db, webhooks_marker(APP)) == [1]
    finally:
        old_db.close()
