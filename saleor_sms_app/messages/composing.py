"""From an accepted Saleor webhook to rows in the message log.

:func:`process_event` fetches the order fresh, picks the rules, and writes one
``messages`` row per rule × recipient. Each row's ``dedupe_key`` is derived
from the event occurrence, the rule and the recipient, and rows are inserted
with ``ON CONFLICT DO NOTHING`` on the per-tenant unique key
(:func:`~saleor_sms_app.messages.log.insert_messages`): a redelivered webhook,
a re-run job, or two workers at once can never log a message twice, and only
a logged ``queued`` row is ever sent. Messages that must not go out (no phone,
invalid number, opted out, template error, rule switched off) are logged
``skipped``/``failed`` with the reason. The ``queued`` ones are handed to
:func:`~saleor_sms_app.messages.dispatching.send_event_messages`. One message's
row is composed in :mod:`saleor_sms_app.messages.rule_messages`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from saleor_sms_app.automations.quiet_hours import quiet_until
from saleor_sms_app.automations.rules import Match, matching_rules
from saleor_sms_app.checkouts.reminders import close_for_placed_order
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import NotFound
from saleor_sms_app.message_templates.links import LinkCollector, store_links
from saleor_sms_app.message_templates.order_tokens import order_context
from saleor_sms_app.messages.dispatching import send_event_messages
from saleor_sms_app.messages.keys import (
    message_dedupe_key,
    no_rule_key,
    occurrence_key,
    run_dedupe_key,
)
from saleor_sms_app.messages.log import insert_message
from saleor_sms_app.messages.notices import (
    FULFILLMENT_CREATED,
    SHIPPED_TEXT_WAIT_SECONDS,
    Notices,
)
from saleor_sms_app.messages.rule_messages import (
    Occasion,
    compose_checked,
    order_columns,
    rule_columns,
)
from saleor_sms_app.messages.send_jobs import enqueue_send
from saleor_sms_app.messages.texts import not_sent
from saleor_sms_app.models import Message, MessageStatus, RecipientType
from saleor_sms_app.observability.logs import bind
from saleor_sms_app.saleor.events import RULE_EVENTS
from saleor_sms_app.saleor.orders import fetch_order
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant, saleor_client
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK, Clock
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventResult:
    """What one webhook became: ids of new rows and of rows (new or old) queued to send."""

    created: list[int]
    queued: list[int]


#: Why a webhook logged no message (one ``skipped`` row per order and event).
NO_RULE = "No rule for this event"
NO_RULE_MATCHES = "No rule for this event matches this order (its conditions)"


def process_event(
    services: Services,
    saleor_api_url: str,
    event: str,
    payload: str,
    dedupe_key: str,
    clock: Clock = SYSTEM_CLOCK,
) -> EventResult:
    """Log every message this webhook calls for and queue the sendable ones.

    Raises :class:`RetryableError` (Saleor down) so the job is retried; an
    uninstalled tenant or a vanished order is nothing to do. An event no rule
    is for (or whose rules' conditions the order does not meet) is logged once
    per order as ``skipped``, so the merchant sees why nothing was sent. A
    configuration we cannot read raises its permanent error so the failed job
    shows why.
    """
    # Fresh: the token must be the current install's, not a cached one a reinstall replaced.
    tenant = get_tenant(services, saleor_api_url, fresh=True)
    if tenant is None:
        log.info("webhook for %s ignored: the app is not installed there", saleor_api_url)
        return EventResult([], [])
    bind(tenant=tenant.id, event=event)
    if event not in RULE_EVENTS:
        return EventResult([], [])
    try:
        body = json.loads(payload)
    except ValueError:
        log.error("webhook %s for tenant %s is not JSON; nothing sent", event, tenant.id)
        return EventResult([], [])
    body = body if isinstance(body, dict) else {}
    order_ref = body.get("order")
    order_ref = order_ref if isinstance(order_ref, Mapping) else {}
    order_id = order_ref.get("id")
    if not order_id:
        log.error("webhook %s for tenant %s names no order; nothing sent", event, tenant.id)
        return EventResult([], [])
    if event == "ORDER_CREATED":
        close_for_placed_order(services, tenant.id, order_ref, clock.now())

    config = ConfigStore(services).load(tenant)
    if not any(rule.event == event for rule in config.rules):
        # Nothing to fetch the order for: the webhook's own order fields suffice.
        return _log_no_rule(services, tenant, event, order_ref, NO_RULE)
    try:
        snapshot = fetch_order(saleor_client(services, tenant), str(order_id))
    except NotFound:
        log.warning("order %s of tenant %s no longer exists; nothing sent", order_id, tenant.id)
        return EventResult([], [])

    fulfillment = body.get("fulfillment")
    fulfillment_id = str(fulfillment.get("id") or "") if isinstance(fulfillment, Mapping) else ""
    notify = body.get("notifyCustomer")
    notify_customer = notify if isinstance(notify, bool) else None
    matches = matching_rules(config, event, snapshot.order, notify_customer=notify_customer)
    if not matches:
        return _log_no_rule(services, tenant, event, snapshot.order, NO_RULE_MATCHES)
    context = order_context(
        snapshot.order,
        shop_name=snapshot.shop_name,
        fulfillment_id=fulfillment_id or None,
        phone_metadata_key=config.settings.phone_metadata_key,
    )
    now = clock.now()
    base = {
        "tenant_id": tenant.id,
        "event": event,
        **order_columns(snapshot.order, order_id),
        # The clock's time, which the marketing caps count back from.
        "created_at": now,
    }
    created: list[int] = []
    to_send: list[int] = []
    held: list[int] = []
    with session_scope(services.sessions) as session:
        notices = Notices(
            session,
            tenant_id=tenant.id,
            event=event,
            payload=body,
            order=snapshot.order,
            fulfillment_id=fulfillment_id,
            config=config,
        )
        occurrence = occurrence_key(event, body, dedupe_key, tracking_number=notices.number)
        # A delayed rule becomes a scheduled run composed when it is due; the
        # rest are composed and logged now.
        later = [m for m in matches if m.rule.enabled and m.rule.delay_minutes > 0]
        if later:
            occasion = Occasion(event, occurrence, fulfillment_id or None, notify_customer)
            schedule_rule_runs(session, tenant.id, snapshot.order, later, occasion, clock.now())
        compose = partial(compose_checked, session, tenant.id, config, now, snapshot.order, context)
        for match in (m for m in matches if m not in later):
            for recipient in match.recipients:
                own_key = message_dedupe_key(occurrence, match.rule.id, recipient)
                links = LinkCollector(services.settings.short_link_base)
                row = {**rule_columns(match, recipient), **compose(match, recipient, links)}
                if row["status"] == MessageStatus.QUEUED.value and row["marketing"]:
                    quiet_end = quiet_until(row["phone"], config.settings, now)
                    if quiet_end is not None:
                        # Not now: a run for the rule, due when the recipient's
                        # quiet hours end, composes it then (the same key).
                        occasion = Occasion(
                            event, occurrence, fulfillment_id or None, notify_customer
                        )
                        schedule_rule_runs(
                            session, tenant.id, snapshot.order, [match], occasion, now, quiet_end
                        )
                        continue
                if notices.number_removed():
                    row.update(
                        not_sent(
                            MessageStatus.SKIPPED,
                            "no_tracking_number",
                            "The fulfilment has no tracking number now (it was removed)",
                        )
                    )
                stand_in = notices.stand_in(match, recipient)
                if stand_in is not None:
                    shipped_links = LinkCollector(services.settings.short_link_base)
                    shipped = {
                        **rule_columns(stand_in, recipient),
                        **compose(stand_in, recipient, shipped_links),
                    }
                    if shipped["status"] == MessageStatus.QUEUED.value:
                        row = {**shipped, "event": FULFILLMENT_CREATED}
                        links = shipped_links
                    else:
                        stand_in = None
                shared = notices.shared_key(recipient, row, own_key)
                row = {**base, **row, "dedupe_key": shared or own_key}
                new_id = insert_message(session, row)
                if new_id is not None:
                    store_links(session, tenant.id, new_id, links.made)
                    created.append(new_id)
                    if row["status"] == MessageStatus.QUEUED.value:
                        (held if stand_in is not None else to_send).append(new_id)
                    continue
                existing = session.scalar(
                    select(Message).where(
                        Message.tenant_id == tenant.id, Message.dedupe_key == row["dedupe_key"]
                    )
                )
                if existing is None:  # pragma: no cover - a row a conflict found cannot vanish
                    continue
                if notices.skip_held(row, existing):
                    continue
                # A stand-in meeting the shipped text itself (logged meanwhile by
                # FULFILLMENT_CREATED on another worker) has nothing to add.
                note = notices.already_texted(row, existing) if stand_in is None else None
                if note is not None:
                    note_id = insert_message(session, {**row, **note, "dedupe_key": own_key})
                    created += [note_id] if note_id is not None else []
                elif existing.status == MessageStatus.QUEUED.value:
                    # Logged by an earlier run (or the other webhook of this
                    # shipment); if not sent yet, send it now (only a
                    # ``queued`` row can be claimed, so never twice).
                    to_send.append(existing.id)
    send_event_messages(services, to_send)
    for message_id in held:
        enqueue_send(services, message_id, after_seconds=SHIPPED_TEXT_WAIT_SECONDS)
    return EventResult(created, to_send + held)


def _log_no_rule(
    services: Services, tenant: TenantRecord, event: str, order: Mapping[str, Any], reason: str
) -> EventResult:
    """One ``skipped`` row per order and event saying why the webhook texted nobody."""
    columns = order_columns(order, order.get("id"))
    row = {
        "tenant_id": tenant.id,
        "event": event,
        **columns,
        "dedupe_key": no_rule_key(event, columns["order_id"]),
        "recipient_type": RecipientType.NOBODY.value,
        **not_sent(MessageStatus.SKIPPED, "no_rule", reason),
    }
    with session_scope(services.sessions) as session:
        new_id = insert_message(session, row)
    return EventResult([new_id] if new_id is not None else [], [])


def schedule_rule_runs(
    session: Session,
    tenant_id: int,
    order: Mapping[str, Any],
    matches: list[Match],
    occasion: Occasion,
    now: datetime,
    due_at: datetime | None = None,
) -> list[int]:
    """A pending run per delayed rule instead of messages now; ids of the new runs.

    The run is due ``delay_minutes`` after now (or at ``due_at``: when the
    recipient's quiet hours end, for a rule held by them); with a "send no later than"
    window it expires that long after its due time. Its messages are composed
    when it runs, on the order as it is then, with the same de-duplication
    keys an instant rule would have used.
    """
    new: list[int] = []
    for match in matches:
        rule = match.rule
        due = due_at or now + timedelta(minutes=rule.delay_minutes)
        window = rule.send_window
        run_id = runs.schedule(
            session,
            tenant_id=tenant_id,
            kind="rule",
            dedupe_key=run_dedupe_key(occasion.occurrence, rule.id),
            due_at=due,
            now=now,
            send_before=due + window if window else None,
            rule_id=rule.id,
            rule_name=rule.name,
            event=occasion.event,
            order_id=str(order.get("id") or ""),
            order_number=str(order.get("number") or "") or None,
            payload={**occasion.as_payload(), "channel": order_columns(order, "")["channel"]},
        )
        if run_id is not None:
            new.append(run_id)
    return new
