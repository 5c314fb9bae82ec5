"""Carrying out a batch of due runs shop by shop: what every message-sending handler shares.

A batch may hold runs of several shops. Each shop's runs are handed, with its
installation and configuration, to the handler's own function, which returns
an outcome per run and the log rows to send; an uninstalled shop's runs are
closed, and Saleor down for one shop puts only that shop's runs back to wait.
The sendable rows of the whole batch are sent together at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.errors import RetryableError
from saleor_sms_app.messages.dispatching import send_event_messages
from saleor_sms_app.messages.send_cache import send_cache
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant_by_id
from saleor_sms_app.scheduler.runner import retry_outcome
from saleor_sms_app.scheduler.runs import RunOutcome
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.services import Services

#: (services, tenant, its configuration, its runs, now) → (outcome per run id, message ids to send)
TenantHandler = Callable[
    [Services, TenantRecord, AppConfig, list[ScheduledRun], datetime],
    tuple[dict[int, RunOutcome], list[int]],
]


def carry_out_per_tenant(
    services: Services, runs: Sequence[ScheduledRun], now: datetime, handle: TenantHandler
) -> dict[int, RunOutcome]:
    """``handle`` each shop's runs of the batch; an outcome per run id."""
    by_tenant: dict[int, list[ScheduledRun]] = {}
    for run in runs:
        by_tenant.setdefault(run.tenant_id, []).append(run)
    outcomes: dict[int, RunOutcome] = {}
    to_send: list[int] = []
    for tenant_id, batch in by_tenant.items():
        tenant = get_tenant_by_id(services, tenant_id)
        if tenant is None or not tenant.is_installed:
            gone = RunOutcome(
                RunState.CLOSED, "app_uninstalled", "The app was removed from this Saleor"
            )
            outcomes.update({r.id: gone for r in batch})
            continue
        try:
            config = send_cache(services).config(services, tenant)
            done, queued = handle(services, tenant, config, batch, now)
        except RetryableError as exc:
            outcomes.update({r.id: retry_outcome(r, now, exc.code, exc.message) for r in batch})
            continue
        outcomes.update(done)
        to_send += queued
    send_event_messages(services, to_send)
    return outcomes
