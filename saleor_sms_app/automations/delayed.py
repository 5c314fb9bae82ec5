"""Carrying out delayed rules: the scheduler's ``rule`` runs.

A batch of due runs (up to 100, :data:`~saleor_sms_app.scheduler.tick.RUN_BATCH_SIZE`)
is carried out with one GraphQL call per tenant and 100 orders
(:func:`saleor_sms_app.saleor.orders.fetch_orders`), never one call per run. Each run
then ends one way:

- ``expired``: due while the app was down and now past the rule's "send no
  later than" window; its messages are logged ``skipped`` (``expired``);
- ``closed``: the rule was removed or switched off, the app uninstalled, the
  order deleted, or the order no longer meets the rule's "send only if"
  conditions (the reason says which);
- ``done``: its messages were logged (and the sendable ones sent) exactly as an
  instant rule's, with the same de-duplication keys, so a run carried out
  twice logs and sends nothing twice;
- back to ``pending`` with backoff when Saleor cannot be reached, or due when
  the recipient's quiet hours end (:mod:`~saleor_sms_app.automations.quiet_hours`:
  a rule that is not transactional texts nobody inside them; the recipients
  outside them are texted now).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from saleor_sms_app.automations.conditions import failing_condition
from saleor_sms_app.automations.per_tenant import carry_out_per_tenant
from saleor_sms_app.automations.quiet_hours import QUIET_HOURS, past_send_window, quiet_until
from saleor_sms_app.automations.rules import Match, Recipient, customer_allowed, recipients
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.db import session_scope
from saleor_sms_app.messages.rule_messages import Composed, Occasion, compose_rows, log_rows
from saleor_sms_app.models import MessageStatus
from saleor_sms_app.saleor.orders import OrderSnapshot, fetch_orders
from saleor_sms_app.saleor.tenants import TenantRecord, saleor_client
from saleor_sms_app.scheduler.clock import as_utc
from saleor_sms_app.scheduler.runs import RunOutcome
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.services import Services


def _closed(code: str, text: str) -> RunOutcome:
    return RunOutcome(RunState.CLOSED, code, text)


def _outside_quiet_hours(
    composed: list[Composed], config: AppConfig, now: datetime
) -> tuple[list[Composed], datetime | None]:
    """The rows to log now, and when the first held recipient's quiet hours end.

    A marketing text (the rule is not transactional) to a recipient inside
    quiet hours is not logged now; the run comes back when they end and
    composes it again, under the same key, while rows already logged are not
    logged twice.
    """
    now_rows: list[Composed] = []
    ends: list[datetime] = []
    for item in composed:
        row = item.row
        if row["status"] == MessageStatus.QUEUED.value and row["marketing"]:
            end = quiet_until(row["phone"], config.settings, now)
            if end is not None:
                ends.append(end)
                continue
        now_rows.append(item)
    return now_rows, min(ends) if ends else None


def carry_out(
    services: Services, runs: Sequence[ScheduledRun], now: datetime
) -> dict[int, RunOutcome]:
    """Re-check and send a batch of due ``rule`` runs; an outcome per run id."""
    return carry_out_per_tenant(services, runs, now, _carry_out_for_tenant)


def _carry_out_for_tenant(
    services: Services,
    tenant: TenantRecord,
    config: AppConfig,
    runs: list[ScheduledRun],
    now: datetime,
) -> tuple[dict[int, RunOutcome], list[int]]:
    outcomes: dict[int, RunOutcome] = {}
    expired: list[ScheduledRun] = []
    live: list[ScheduledRun] = []
    for run in runs:
        rule = config.rule(run.rule_id or "")
        if rule is None:
            outcomes[run.id] = _closed("rule_removed", "The rule was deleted before it was due")
        elif not rule.enabled:
            outcomes[run.id] = _closed("rule_disabled", f"The rule {rule.name!r} is switched off")
        elif past_send_window(run, rule.send_window, now):
            expired.append(run)
        else:
            live.append(run)
    orders = (
        fetch_orders(saleor_client(services, tenant), [r.order_id or "" for r in live])
        if live
        else {}
    )
    rows: list[Composed] = []
    with session_scope(services.sessions) as session:
        for run in expired:
            rule = config.rule(run.rule_id or "")
            assert rule is not None
            late = as_utc(now) - as_utc(run.due_at)
            reason = (
                f"Due {as_utc(run.due_at):%Y-%m-%d %H:%M} UTC while the app was not running; "
                f"{int(late.total_seconds() // 60)} minutes late is past the rule's "
                f"send-no-later-than window of {rule.send_no_later_than_minutes} minutes"
            )
            skipped = tuple(
                Recipient(r.type, r.number, "expired", reason) for r in recipients(rule, config)
            )
            order = {
                "id": run.order_id,
                "number": run.order_number,
                "channel": {"slug": run.payload.get("channel")},
            }
            rows += compose_rows(
                tenant,
                config,
                OrderSnapshot(order=order, shop_name=""),
                [Match(rule, skipped)],
                Occasion.from_payload(run.event or "", run.payload),
                services.settings.short_link_base,
            )
            outcomes[run.id] = RunOutcome(RunState.EXPIRED, "expired", reason)
        for run in live:
            rule = config.rule(run.rule_id or "")
            assert rule is not None
            snapshot = orders.get(run.order_id or "")
            if snapshot is None:
                outcomes[run.id] = _closed(
                    "order_deleted",
                    "Saleor no longer has the order (deleted, or hidden from the app)",
                )
                continue
            failing = failing_condition(rule.send_only_if, snapshot.order)
            if failing is not None:
                outcomes[run.id] = _closed("no_longer_matches", f"Not sent: {failing}")
                continue
            occasion = Occasion.from_payload(run.event or "", run.payload)
            allow = customer_allowed(occasion.event, occasion.notify_customer)
            people = tuple(recipients(rule, config, notify_customer=allow))
            composed = compose_rows(
                tenant,
                config,
                snapshot,
                [Match(rule, people)],
                occasion,
                services.settings.short_link_base,
            )
            now_rows, quiet_end = _outside_quiet_hours(composed, config, now)
            rows += now_rows
            outcomes[run.id] = (
                RunOutcome(RunState.DONE)
                if quiet_end is None
                else RunOutcome(
                    RunState.PENDING,
                    QUIET_HOURS,
                    f"Waiting for the recipient's quiet hours to end "
                    f"({quiet_end:%Y-%m-%d %H:%M} UTC)",
                    retry_at=quiet_end,
                )
            )
        # Every run's messages in a few statements: the batch's one transaction.
        _, to_send = log_rows(session, tenant.id, rows, config.settings, now)
    return outcomes, to_send
