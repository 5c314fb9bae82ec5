"""Bring the webhooks Saleor holds for the app in line with the running app's manifest.

Saleor registers the manifest's webhooks once, at install, and keeps them: an
event (or a subscription field) a later version adds never reaches a shop that
installed an earlier one, and reinstalling would delete the configuration kept
in Saleor's private metadata. So the app does what Saleor's app-sdk calls a
webhook migration, with its own app token: list its webhooks
(``app { webhooks }``), compare them with the manifest, and create, update and
delete until they match.

What is the app's own: only webhooks of this app are listed at all, and among
them only those named like the manifest names them (:data:`WEBHOOK_NAME_PREFIX`)
or pointing at this deployment's webhook routes are touched; a webhook someone
added to the app by hand stays exactly as it is. A wanted webhook is matched
by name first, then by its event (a label renamed in a new version updates the
old webhook rather than duplicating it). A webhook the merchant switched off is
updated but left off.

Idempotent: a second run finds nothing to change. The tenant row records the
manifest's marker (:func:`~saleor_sms_app.saleor.manifest.webhooks_marker`:
app version + a fingerprint of the webhooks) at install, when Saleor has just
registered exactly those, and after a complete sync; the worker queues
:func:`saleor_sms_app.jobs.sync_webhooks` for every installed tenant whose
marker differs (:func:`enqueue_due_syncs`, from the worker's maintenance), so
each shop is synced once per version (and per ``APP_URL``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import or_, select, update

from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import PermanentError, QueueUnavailable, RetryableError, SmsAppError
from saleor_sms_app.models import Tenant
from saleor_sms_app.saleor.client import SaleorClient, SaleorGraphQLError
from saleor_sms_app.saleor.manifest import (
    WEBHOOK_NAME_PREFIX,
    WEBHOOK_PATH_PREFIX,
    build_manifest,
    webhooks_marker,
)
from saleor_sms_app.saleor.tenants import (
    TenantRecord,
    get_tenant_by_id,
    installed,
    saleor_client,
)
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

#: Seconds between tries of a sync job whose Saleor did not answer.
SYNC_RETRY_INTERVALS: list[int] = [60, 300, 1800, 3600]
#: A tenant is queued at most once in this many seconds per manifest, however many
#: workers run maintenance; a sync that failed for good is tried again after it.
SYNC_GATE_SECONDS = 3600

Action = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class WantedWebhook:
    """One webhook of the manifest: what Saleor should hold."""

    name: str
    events: tuple[str, ...]
    query: str
    target_url: str


@dataclass(frozen=True)
class SaleorWebhook:
    """One webhook Saleor holds for the app, as ``AppWebhooks`` lists it."""

    id: str
    name: str
    async_events: tuple[str, ...]
    sync_events: tuple[str, ...]
    target_url: str
    query: str
    is_active: bool


@dataclass(frozen=True)
class Change:
    """One step of the plan; ``fields`` names what an update changes."""

    action: Action
    name: str
    webhook_id: str | None = None
    wanted: WantedWebhook | None = None
    fields: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.action == "update":
            return f"update {self.name!r} ({', '.join(self.fields)})"
        return f"{self.action} {self.name!r}"


@dataclass
class SyncReport:
    """What one tenant's sync found and did."""

    saleor_api_url: str
    marker: str
    dry_run: bool
    plan: list[Change] = field(default_factory=list)
    applied: list[Change] = field(default_factory=list)
    #: Changes Saleor refused, with its reason; the marker is not recorded then.
    failed: list[tuple[Change, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failed and len(self.applied) == len(self.plan)


# --------------------------------------------------------------------------- the plan


def wanted_webhooks(app_url: str) -> list[WantedWebhook]:
    """The manifest's webhooks for a deployment at ``app_url``, as the manifest builds them."""
    return [
        WantedWebhook(
            name=w["name"],
            events=tuple(w["asyncEvents"]),
            query=w["query"],
            target_url=w["targetUrl"],
        )
        for w in build_manifest(app_url)["webhooks"]
    ]


def is_ours(webhook: SaleorWebhook, app_url: str) -> bool:
    """Named as the manifest names webhooks, or aimed at this deployment's webhook routes."""
    return webhook.name.startswith(WEBHOOK_NAME_PREFIX) or webhook.target_url.startswith(
        app_url.rstrip("/") + WEBHOOK_PATH_PREFIX
    )


def _differences(have: SaleorWebhook, want: WantedWebhook) -> tuple[str, ...]:
    fields: list[str] = []
    if have.name != want.name:
        fields.append("name")
    if set(have.async_events) != set(want.events) or have.sync_events:
        fields.append("events")
    if have.query != want.query:
        fields.append("query")
    if have.target_url != want.target_url:
        fields.append("targetUrl")
    return tuple(fields)


def plan_changes(
    wanted: list[WantedWebhook], existing: list[SaleorWebhook], app_url: str
) -> list[Change]:
    """Creates, then updates, then deletes: new events flow before old webhooks go.

    Webhooks not :func:`is_ours` are neither matched nor deleted. Two of ours
    for one event (a half-finished earlier run, a manual copy): the first is
    kept, the other deleted.
    """
    unmatched = [w for w in existing if is_ours(w, app_url)]
    creates: list[Change] = []
    updates: list[Change] = []
    for want in wanted:
        match = next((w for w in unmatched if w.name == want.name), None) or next(
            (w for w in unmatched if set(w.async_events) == set(want.events)), None
        )
        if match is None:
            creates.append(Change("create", want.name, wanted=want))
            continue
        unmatched.remove(match)
        fields = _differences(match, want)
        if fields:
            updates.append(Change("update", want.name, match.id, want, fields))
    deletes = [Change("delete", w.name, w.id) for w in unmatched]
    return creates + updates + deletes


# --------------------------------------------------------------------------- talking to Saleor


def list_webhooks(client: SaleorClient) -> list[SaleorWebhook]:
    """The webhooks Saleor holds for the app the client's token belongs to."""
    app = client.execute("AppWebhooks").get("app")
    if not isinstance(app, dict):
        raise SaleorGraphQLError("Saleor did not return the app for the app token")
    return [
        SaleorWebhook(
            id=w["id"],
            name=w.get("name") or "",
            async_events=tuple(e["eventType"] for e in w.get("asyncEvents") or []),
            sync_events=tuple(e["eventType"] for e in w.get("syncEvents") or []),
            target_url=w.get("targetUrl") or "",
            query=w.get("subscriptionQuery") or "",
            is_active=bool(w.get("isActive")),
        )
        for w in app.get("webhooks") or []
    ]


def _input(want: WantedWebhook) -> dict[str, Any]:
    return {
        "name": want.name,
        "asyncEvents": list(want.events),
        "syncEvents": [],
        "query": want.query,
        "targetUrl": want.target_url,
    }


def apply_change(client: SaleorClient, change: Change) -> None:
    """Run one step; raise classified (retry: Saleor down or busy; permanent: refused)."""
    if change.action == "create":
        assert change.wanted is not None
        variables: dict[str, Any] = {"input": {**_input(change.wanted), "isActive": True}}
        document, root = "CreateAppWebhook", "webhookCreate"
    elif change.action == "update":
        assert change.wanted is not None
        variables = {"id": change.webhook_id, "input": _input(change.wanted)}
        document, root = "UpdateAppWebhook", "webhookUpdate"
    else:
        variables = {"id": change.webhook_id}
        document, root = "DeleteAppWebhook", "webhookDelete"
    result = client.execute(document, variables).get(root) or {}
    errors = result.get("errors") or []
    if any(e.get("code") == "DELETE_FAILED" for e in errors):
        # Saleor deactivated it but a delivery is in flight; deleting later works.
        raise RetryableError(
            f"Saleor could not delete webhook {change.name!r} yet: a delivery is in progress",
            code="saleor_webhook_busy",
        )
    if errors or result.get("webhook") is None:
        messages = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors)
        raise SaleorGraphQLError(
            f"Saleor refused to {change.describe()}: {messages or 'no webhook returned'}",
            details=errors or None,
        )


def sync_tenant(services: Services, tenant: TenantRecord, *, dry_run: bool = False) -> SyncReport:
    """Plan and (unless ``dry_run``) apply one tenant's changes; record the marker when done.

    A change Saleor refuses is reported and the others still go; Saleor not
    answering (:class:`RetryableError`) stops the run and propagates, so the
    job is retried; what was applied stays applied and the next run plans the rest.
    """
    app_url = services.settings.app_url
    wanted = wanted_webhooks(app_url)
    report = SyncReport(tenant.saleor_api_url, webhooks_marker(app_url), dry_run)
    client = saleor_client(services, tenant)
    report.plan = plan_changes(wanted, list_webhooks(client), app_url)
    if dry_run:
        return report
    for change in report.plan:
        try:
            apply_change(client, change)
        except PermanentError as exc:
            log.warning("webhook sync of %s: %s", tenant.saleor_api_url, exc.message)
            report.failed.append((change, exc.message))
            continue
        log.info("webhook sync of %s: %s", tenant.saleor_api_url, change.describe())
        report.applied.append(change)
    if report.complete:
        _record_marker(services, tenant.id, report.marker)
    return report


def _record_marker(services: Services, tenant_id: int, marker: str) -> None:
    with session_scope(services.sessions) as session:
        session.execute(update(Tenant).where(Tenant.id == tenant_id).values(webhooks_synced=marker))


# --------------------------------------------------------------------------- when it runs


def run_sync_job(services: Services, tenant_id: int) -> str:
    """The job's body: one tenant, never raising a permanent failure (it is logged).

    Returns what happened, for RQ's result and the tests. A retryable failure is
    logged and raised so RQ tries again with the job's ``Retry``.
    """
    tenant = get_tenant_by_id(services, tenant_id)
    if tenant is None or not tenant.is_installed:
        return "not installed"
    try:
        report = sync_tenant(services, tenant)
    except RetryableError as exc:
        log.warning("webhook sync of %s will be retried: %s", tenant.saleor_api_url, exc.message)
        raise
    except SmsAppError as exc:
        log.warning("webhook sync of %s failed: %s", tenant.saleor_api_url, exc.message)
        return f"failed: {exc.message}"
    if report.failed:
        return "failed: " + "; ".join(reason for _, reason in report.failed)
    return f"synced {report.marker}: {len(report.applied)} change(s)"


def tenants_to_sync(services: Services, marker: str | None) -> list[int]:
    """Installed tenants whose webhooks were not brought in line with ``marker``
    (``None``: every installed tenant)."""
    query = select(Tenant.id).where(installed())
    if marker is not None:
        query = query.where(or_(Tenant.webhooks_synced.is_(None), Tenant.webhooks_synced != marker))
    with services.sessions() as session:
        return list(session.scalars(query.order_by(Tenant.id)))


def enqueue_due_syncs(services: Services) -> int:
    """Queue a sync job for every tenant not synced with this manifest; how many were queued.

    Run by the worker's maintenance: at start, so a deploy reaches every shop at
    once, then every 10 minutes, which tries a shop whose sync failed again once
    :data:`SYNC_GATE_SECONDS` passed (an install records its marker itself). The job id is
    ``webhook-sync-<tenant>-<marker>`` and a Redis ``SET NX EX`` gate keeps
    several workers from queueing the same tenant twice.
    """
    marker = webhooks_marker(services.settings.app_url)
    queued = 0
    for tenant_id in tenants_to_sync(services, marker):
        # RQ job ids allow letters, digits, "_" and "-" only (the version has dots).
        job_id = f"webhook-sync-{tenant_id}-{re.sub(r'[^A-Za-z0-9_-]', '_', marker)}"
        try:
            if not services.redis.set(f"sms:{job_id}", "1", nx=True, ex=SYNC_GATE_SECONDS):
                continue
            services.queue.enqueue(
                "saleor_sms_app.jobs.sync_webhooks",
                tenant_id,
                job_id=job_id,
                retry=Retry(max=len(SYNC_RETRY_INTERVALS), interval=SYNC_RETRY_INTERVALS),
                description=f"bring the Saleor webhooks of tenant {tenant_id} up to {marker}",
            )
        except RedisError as exc:
            raise QueueUnavailable(f"webhook syncs not queued: Redis: {exc}") from exc
        queued += 1
    return queued
