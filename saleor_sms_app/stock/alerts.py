"""Stock webhooks → alerts → one staff text per 10 minutes (the scheduler's ``stock_digest``).

PRODUCT_VARIANT_OUT_OF_STOCK and PRODUCT_VARIANT_BACK_IN_STOCK are alerts
when ticked in Settings. PRODUCT_VARIANT_STOCK_UPDATED is a "low stock" alert
once per crossing: :class:`~.models.StockLevel` flips ``low`` to true in one
conditional upsert, so only the webhook that crosses the threshold alerts
(also with two workers), and rising to the threshold again re-arms it.

An alert is a ``stock_alerts`` row. The first one with no digest pending
schedules a ``stock_digest`` run 10 minutes later; that run takes every alert
not taken yet and texts the staff numbers one message listing them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import func

from saleor_sms_app.automations.per_tenant import carry_out_per_tenant
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import insert_once, session_scope
from saleor_sms_app.errors import InvalidPhoneNumber
from saleor_sms_app.message_templates.links import LinkCollector
from saleor_sms_app.messages.keys import stock_digest_key
from saleor_sms_app.messages.rule_messages import Composed, log_rows
from saleor_sms_app.messages.texts import compose_text, not_sent
from saleor_sms_app.models import MessageStatus, RecipientType
from saleor_sms_app.observability.logs import bind
from saleor_sms_app.recipients.phones import staff_phone
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK, Clock
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.services import Services
from saleor_sms_app.stock.models import StockAlert, StockLevel

log = logging.getLogger(__name__)

#: Alerts within this long of the first are gathered into one text.
GATHER = timedelta(minutes=10)
#: Lines listed in one text; the rest are counted ("and 4 more").
MAX_LINES = 8
KIND = "stock_digest"
_LABELS = {
    "out_of_stock": "out of stock",
    "back_in_stock": "back in stock",
    "low_stock": "low stock",
}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def variant_label(variant: Mapping[str, Any]) -> str:
    product = str(_mapping(variant.get("product")).get("name") or "")
    name = str(variant.get("name") or "")
    sku = str(variant.get("sku") or "")
    label = f"{product} / {name}" if product and name and name != product else product or name
    return (f"{label} ({sku})" if sku else label)[:255] or str(variant.get("id") or "")


def available(variant: Mapping[str, Any], warehouse_id: str) -> int | None:
    """Stock in the warehouse minus what orders hold (None when the body has no such stock)."""
    for stock in variant.get("stocks") or []:
        if _mapping(_mapping(stock).get("warehouse")).get("id") == warehouse_id:
            return int(stock.get("quantity") or 0) - int(stock.get("quantityAllocated") or 0)
    return None


def process_stock_event(
    services: Services,
    saleor_api_url: str,
    event: str,
    payload: str,
    clock: Clock = SYSTEM_CLOCK,
) -> int | None:
    """Record the alert this webhook is (if any); the id of the new alert row."""
    tenant = get_tenant(services, saleor_api_url, fresh=True)
    if tenant is None:
        return None
    bind(tenant=tenant.id, event=event)
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    variant = _mapping(body.get("productVariant") if isinstance(body, dict) else None)
    warehouse = _mapping(body.get("warehouse") if isinstance(body, dict) else None)
    if not variant.get("id"):
        return None
    settings = ConfigStore(services).load(tenant).settings.stock_alerts
    variant_id, warehouse_id = str(variant["id"]), str(warehouse.get("id") or "")
    quantity = available(variant, warehouse_id)
    now = clock.now()
    with session_scope(services.sessions) as session:
        if event == "PRODUCT_VARIANT_STOCK_UPDATED":
            if settings.low_stock_threshold is None or quantity is None:
                return None
            low = quantity < settings.low_stock_threshold
            if not _crossed(session, tenant.id, variant_id, warehouse_id, low, quantity, now):
                return None
            kind = "low_stock"
        elif event == "PRODUCT_VARIANT_OUT_OF_STOCK" and settings.out_of_stock:
            kind = "out_of_stock"
        elif event == "PRODUCT_VARIANT_BACK_IN_STOCK" and settings.back_in_stock:
            kind = "back_in_stock"
        else:
            return None
        alert = StockAlert(
            tenant_id=tenant.id,
            kind=kind,
            variant_id=variant_id,
            variant_label=variant_label(variant),
            warehouse_name=str(warehouse.get("name") or "")[:255],
            quantity=quantity,
            created_at=now,
        )
        session.add(alert)
        session.flush()
        _schedule_digest(session, tenant.id, alert.id, now)
        return alert.id


def _crossed(
    session: Session,
    tenant_id: int,
    variant_id: str,
    warehouse_id: str,
    low: bool,
    quantity: int,
    now: datetime,
) -> bool:
    """Record where the stock stands; True only for the change from not low to low."""
    levels = cast(Table, StockLevel.__table__)
    where = (
        (levels.c.tenant_id == tenant_id)
        & (levels.c.variant_id == variant_id)
        & (levels.c.warehouse_id == warehouse_id)
    )
    if session.execute(select(levels.c.id).where(where)).first() is None:
        inserted = insert_once(
            session,
            StockLevel,
            {
                "tenant_id": tenant_id,
                "variant_id": variant_id,
                "warehouse_id": warehouse_id,
                "low": low,
                "quantity": quantity,
                "updated_at": now,
            },
            ["tenant_id", "variant_id", "warehouse_id"],
        )
        if inserted is not None:
            return low
    # Flip in one conditional UPDATE: of two workers, one sees the row change.
    changed = session.execute(
        update(levels)
        .where(where, levels.c.low == (not low))
        .values(low=low, quantity=quantity, updated_at=now)
    )
    return low and bool(getattr(changed, "rowcount", 0))


def _schedule_digest(session: Session, tenant_id: int, alert_id: int, now: datetime) -> None:
    """A digest run 10 minutes from now, unless one is pending (it will take this alert)."""
    pending = session.scalar(
        select(func.count())
        .select_from(ScheduledRun)
        .where(
            ScheduledRun.tenant_id == tenant_id,
            ScheduledRun.kind == KIND,
            ScheduledRun.state == RunState.PENDING.value,
        )
    )
    if pending:
        return
    runs.schedule(
        session,
        tenant_id=tenant_id,
        kind=KIND,
        dedupe_key=stock_digest_key("run", alert_id),
        due_at=now + GATHER,
        now=now,
        rule_id="stock-alerts",
        rule_name="Staff: stock alerts",
        event="PRODUCT_VARIANT_STOCK_UPDATED",
    )


def digest_text(alerts: Sequence[StockAlert]) -> str:
    """One staff text listing the alerts (the first :data:`MAX_LINES`, then a count)."""
    lines = [
        f"- {a.variant_label}"
        + (f" @ {a.warehouse_name}" if a.warehouse_name else "")
        + f": {_LABELS.get(a.kind, a.kind)}"
        + (f" ({a.quantity} left)" if a.kind == "low_stock" and a.quantity is not None else "")
        for a in alerts[:MAX_LINES]
    ]
    more = len(alerts) - MAX_LINES
    if more > 0:
        lines.append(f"and {more} more")
    return f"Stock alerts ({len(alerts)}):\n" + "\n".join(lines)


def carry_out(
    services: Services, due: Sequence[ScheduledRun], now: datetime
) -> dict[int, runs.RunOutcome]:
    """Gather each shop's waiting alerts into one text per staff number."""
    return carry_out_per_tenant(services, due, now, _digests_for_tenant)


def _digests_for_tenant(
    services: Services,
    tenant: TenantRecord,
    config: AppConfig,
    due: list[ScheduledRun],
    now: datetime,
) -> tuple[dict[int, runs.RunOutcome], list[int]]:
    outcomes: dict[int, runs.RunOutcome] = {}
    to_send: list[int] = []
    with session_scope(services.sessions) as session:
        for run in due:
            alerts = _take_alerts(session, tenant.id, run.id)
            if not alerts:
                outcomes[run.id] = runs.RunOutcome(
                    RunState.CLOSED, "nothing_to_send", "Another digest sent these alerts"
                )
                continue
            rows = _digest_rows(config, run, alerts, services.settings.short_link_base)
            to_send += log_rows(session, tenant.id, rows, config.settings, now)[1]
            outcomes[run.id] = runs.RunOutcome(RunState.DONE)
    return outcomes, to_send


def _take_alerts(session: Session, tenant_id: int, run_id: int) -> list[StockAlert]:
    """Mark the tenant's waiting alerts as this run's and return all of this run's.

    A run carried out again (a crash after taking them) finds its own alerts.
    """
    session.execute(
        update(StockAlert)
        .where(StockAlert.tenant_id == tenant_id, StockAlert.run_id.is_(None))
        .values(run_id=run_id)
    )
    return list(
        session.scalars(
            select(StockAlert).where(StockAlert.run_id == run_id).order_by(StockAlert.id)
        )
    )


def _digest_rows(
    config: AppConfig, run: ScheduledRun, alerts: list[StockAlert], link_base: str
) -> list[Composed]:
    settings = config.settings
    text = digest_text(alerts)
    base = {
        "tenant_id": run.tenant_id,
        "event": run.event or "PRODUCT_VARIANT_STOCK_UPDATED",
        "order_id": None,
        "order_number": None,
        "channel": None,
        "rule_id": run.rule_id,
        "rule_name": run.rule_name,
        "recipient_type": RecipientType.STAFF.value,
    }
    rows: list[Composed] = []
    if not settings.staff_numbers:
        fields = not_sent(
            MessageStatus.SKIPPED,
            "no_staff_numbers",
            "No staff numbers are set in Settings",
            body=text,
        )
        rows.append(
            Composed(
                {**base, "dedupe_key": stock_digest_key("nobody", run.id), **fields},
                LinkCollector(link_base),
            )
        )
        return rows
    for raw in settings.staff_numbers:
        links = LinkCollector(link_base)
        try:
            phone = staff_phone(raw, settings)
        except InvalidPhoneNumber as exc:
            fields = not_sent(MessageStatus.SKIPPED, "invalid_number", exc.message, phone=raw)
            rows.append(
                Composed({**base, "dedupe_key": stock_digest_key(raw, run.id), **fields}, links)
            )
            continue
        fields = compose_text(
            settings,
            phone,
            "{{ text }}",
            {"text": text},
            links,
            marketing=False,
            fix_hint="",
        )
        rows.append(
            Composed({**base, "dedupe_key": stock_digest_key(phone, run.id), **fields}, links)
        )
    return rows
