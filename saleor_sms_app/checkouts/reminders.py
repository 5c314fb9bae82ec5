"""Abandoned-checkout reminders: CHECKOUT_CREATED/UPDATED → scheduled runs → texts.

A checkout whose owner gave marketing consent and that has a phone gets one
``scheduled_runs`` row (kind ``checkout``) per reminder step of Settings, due
that long after the checkout's last change; each later webhook of the checkout
moves the still-pending steps on (the shopper is still busy). A checkout
without phone or consent is logged ``skipped`` once with the reason.

When steps are due (:func:`carry_out`, the scheduler's ``checkout`` handler),
one call fetches up to 100 checkouts and one call the orders placed since from
the same checkout, email or phone. An order ends the sequence: the run and the
checkout's later steps are closed with that reason. A checkout gone without an
order, consent withdrawn or the phone removed closes the run too. Otherwise
the text is a marketing one (opt-out line, do-not-text list) logged with a
key per checkout and step, so a run carried out twice texts once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from saleor_sms_app.automations.per_tenant import carry_out_per_tenant
from saleor_sms_app.automations.quiet_hours import QUIET_HOURS, past_send_window, quiet_until
from saleor_sms_app.checkouts.fetching import (
    email_spellings,
    fetch_checkouts,
    orders_from_checkouts,
)
from saleor_sms_app.checkouts.texts import (
    checkout_context,
    checkout_email,
    checkout_phone,
    has_consent,
)
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.config.reminders import MAX_REMINDER_STEPS
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import InvalidPhoneNumber
from saleor_sms_app.message_templates.links import LinkCollector
from saleor_sms_app.messages.keys import checkout_key
from saleor_sms_app.messages.log import insert_message
from saleor_sms_app.messages.rule_messages import Composed, log_rows
from saleor_sms_app.messages.texts import compose_text, not_sent
from saleor_sms_app.models import MessageStatus, RecipientType
from saleor_sms_app.observability.logs import bind
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant, saleor_client
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK, Clock, as_utc
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

#: A reminder due while the app was down is still sent this long after its due time.
SEND_WINDOW = timedelta(hours=6)
KIND = "checkout"


def _closed(code: str, text: str) -> runs.RunOutcome:
    return runs.RunOutcome(RunState.CLOSED, code, text)


def _parse_time(value: Any, default: datetime) -> datetime:
    try:
        return as_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        return default


def process_checkout_event(
    services: Services,
    saleor_api_url: str,
    event: str,
    payload: str,
    clock: Clock = SYSTEM_CLOCK,
) -> list[int]:
    """Schedule (or move on) a checkout's reminders; ids of new runs.

    Nothing happens while reminders are switched off. A checkout without
    lines is not reminded of; without phone or consent it is logged skipped.
    """
    tenant = get_tenant(services, saleor_api_url, fresh=True)
    if tenant is None:
        return []
    bind(tenant=tenant.id, event=event)
    try:
        body = json.loads(payload)
    except ValueError:
        return []
    checkout = body.get("checkout") if isinstance(body, dict) else None
    if not isinstance(checkout, dict) or not checkout.get("id"):
        log.error("webhook %s for tenant %s names no checkout; nothing scheduled", event, tenant.id)
        return []
    config = ConfigStore(services).load(tenant)
    settings = config.settings.checkout_reminders
    if not settings.enabled or not checkout.get("lines"):
        return []
    checkout_id = str(checkout["id"])
    channel = str((checkout.get("channel") or {}).get("slug") or "") or None
    skip = _skip_reason(checkout, config)
    now = clock.now()
    with session_scope(services.sessions) as session:
        if isinstance(skip, tuple):
            code, text = skip
            insert_message(
                session,
                {
                    "tenant_id": tenant.id,
                    "event": event,
                    "order_id": None,
                    "order_number": None,
                    "channel": channel,
                    "dedupe_key": checkout_key("skip", checkout_id, code),
                    "rule_name": "Checkout reminders",
                    "recipient_type": RecipientType.CUSTOMER.value,
                    **not_sent(MessageStatus.SKIPPED, code, text),
                },
            )
            return []
        changed = _parse_time(checkout.get("updatedAt"), now)
        steps = settings.steps
        new: list[int] = []
        moved: dict[str, tuple[datetime, datetime | None]] = {}
        for i, step in enumerate(steps):
            due = max(changed, now) + timedelta(minutes=step.delay_minutes)
            key = checkout_key("run", checkout_id, i)
            run_id = runs.schedule(
                session,
                tenant_id=tenant.id,
                kind=KIND,
                dedupe_key=key,
                due_at=due,
                now=now,
                send_before=due + SEND_WINDOW,
                rule_id=f"checkout-reminder-{i + 1}",
                rule_name=f"Checkout reminder {i + 1} of {len(steps)}",
                event=event,
                order_id=checkout_id,
                # No email or phone here: they are read from the checkout at send time,
                # so a pending run holds no personal data to erase.
                payload={"step": i, "channel": channel},
            )
            if run_id is None:
                moved[key] = (due, due + SEND_WINDOW)
            else:
                new.append(run_id)
        runs.reschedule_pending(session, tenant.id, moved)
    return new


def _skip_reason(checkout: Mapping[str, Any], config: AppConfig) -> tuple[str, str] | str:
    """The checkout's E.164 phone, or (code, reason) why it gets no reminder."""
    key = config.settings.checkout_reminders.consent_metadata_key
    try:
        phone = checkout_phone(checkout, config.settings)
    except InvalidPhoneNumber as exc:
        return "invalid_number", exc.message
    if phone is None:
        return "no_phone", "The checkout has no phone number (shipping or billing address)"
    if not has_consent(checkout, key):
        return (
            "no_consent",
            f"No marketing consent: neither the checkout nor its customer has the metadata key "
            f"{key!r}",
        )
    return phone


def carry_out(
    services: Services, due: Sequence[ScheduledRun], now: datetime
) -> dict[int, runs.RunOutcome]:
    """Re-check and text a batch of due reminder steps; an outcome per run id."""
    return carry_out_per_tenant(services, due, now, _carry_out_for_tenant)


def close_for_placed_order(
    services: Services, tenant_id: int, order: Mapping[str, Any], now: datetime
) -> int:
    """ORDER_CREATED from a checkout (its ``checkoutId``) closes the checkout's
    waiting reminders at once, so the Scheduled screen does not show them pending
    until their due time; how many. An order matched only by email or phone (from
    another checkout) is still found when a reminder is due.
    """
    checkout_id = str(order.get("checkoutId") or "")
    if not checkout_id:
        return 0
    text = f"Order #{order.get('number')} was placed; the reminders stop"
    keys = [checkout_key("run", checkout_id, i) for i in range(MAX_REMINDER_STEPS)]
    with session_scope(services.sessions) as session:
        return runs.close_pending(session, tenant_id, keys, "order_placed", text, now)


def _ending_order(
    run: ScheduledRun, owner: tuple[str, str], orders: list[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """An order placed since ``run`` was scheduled from its checkout, or with the
    checkout's ``owner`` (email, E.164 phone)."""
    since = as_utc(run.created_at)
    email, phone = owner
    for order in orders:
        if _parse_time(order.get("created"), since) < since:
            continue
        phones = {
            str((order.get(a) or {}).get("phone") or "")
            for a in ("billingAddress", "shippingAddress")
        }
        if (
            order.get("checkoutId") == run.order_id
            or (email and str(order.get("userEmail") or "").lower() == email.lower())
            or (phone and phone in phones)
        ):
            return order
    return None


def _owner(checkout: Mapping[str, Any], config: AppConfig) -> tuple[str, str]:
    """(email as typed, E.164 phone) of the checkout as it is now; "" for what it lacks."""
    try:
        phone = checkout_phone(checkout, config.settings) or ""
    except InvalidPhoneNumber:
        phone = ""
    return checkout_email(checkout), phone


def _carry_out_for_tenant(
    services: Services,
    tenant: TenantRecord,
    config: AppConfig,
    due: list[ScheduledRun],
    now: datetime,
) -> tuple[dict[int, runs.RunOutcome], list[int]]:
    settings = config.settings.checkout_reminders
    outcomes: dict[int, runs.RunOutcome] = {}
    live: list[ScheduledRun] = []
    for run in due:
        step = int(str(run.payload.get("step") or 0))
        if not settings.enabled:
            outcomes[run.id] = _closed("reminders_off", "Checkout reminders are switched off")
        elif step >= len(settings.steps):
            outcomes[run.id] = _closed("step_removed", "This reminder step was removed")
        elif past_send_window(run, SEND_WINDOW, now):
            outcomes[run.id] = runs.RunOutcome(
                RunState.EXPIRED,
                "expired",
                f"Due {as_utc(run.due_at):%Y-%m-%d %H:%M} UTC while the app was not running",
            )
        else:
            live.append(run)
    if not live:
        return outcomes, []
    client = saleor_client(services, tenant)
    found = fetch_checkouts(client, [r.order_id or "" for r in live])
    owners = {cid: _owner(c, config) for cid, c in found.by_id.items() if c is not None}
    orders = orders_from_checkouts(
        client,
        min(as_utc(r.created_at) for r in live),
        [r.order_id or "" for r in live],
        [spelling for email, _ in owners.values() for spelling in email_spellings(email)],
        [phone for _, phone in owners.values() if phone],
    )
    rows: list[Composed] = []
    ended: dict[str, str] = {}
    for run in live:
        checkout_id = run.order_id or ""
        order = _ending_order(run, owners.get(checkout_id, ("", "")), orders)
        checkout = found.by_id.get(checkout_id)
        if order is not None:
            text = f"Order #{order.get('number')} was placed; the reminders stop"
            ended[checkout_id] = text
            outcomes[run.id] = _closed("order_placed", text)
            continue
        if checkout is None:
            outcomes[run.id] = _closed(
                "checkout_gone", "Saleor no longer has the checkout (completed or deleted)"
            )
            continue
        skip = _skip_reason(checkout, config)
        if isinstance(skip, tuple):
            outcomes[run.id] = _closed(skip[0], f"Not sent: {skip[1]}")
            continue
        if not checkout.get("lines"):
            outcomes[run.id] = _closed("empty_checkout", "The checkout is empty now")
            continue
        quiet_end = quiet_until(skip, config.settings, now)
        if quiet_end is not None:
            # A reminder is marketing: it waits for the recipient's quiet hours to end.
            outcomes[run.id] = runs.RunOutcome(
                RunState.PENDING,
                QUIET_HOURS,
                f"Waiting for the recipient's quiet hours to end ({quiet_end:%Y-%m-%d %H:%M} UTC)",
                retry_at=quiet_end,
            )
            continue
        step = int(str(run.payload.get("step") or 0))
        links = LinkCollector(services.settings.short_link_base)
        context = checkout_context(checkout, shop_name=found.shop_name, config=config)
        fields = compose_text(
            config.settings,
            skip,
            settings.steps[step].template,
            context,
            links,
            marketing=True,
            fix_hint="Fix the checkout reminder's text in the app's Settings.",
        )
        row = {
            "tenant_id": tenant.id,
            "event": run.event or "CHECKOUT_UPDATED",
            "order_id": None,
            "order_number": None,
            "channel": context["channel"]["slug"] or None,
            "dedupe_key": checkout_key("text", checkout_id, step),
            "rule_id": run.rule_id,
            "rule_name": run.rule_name,
            "recipient_type": RecipientType.CUSTOMER.value,
            "marketing": True,  # counted towards the number's marketing caps
            **fields,
        }
        rows.append(Composed(row, links))
        outcomes[run.id] = runs.RunOutcome(RunState.DONE)
    with session_scope(services.sessions) as session:
        for checkout_id, text in ended.items():
            keys = [checkout_key("run", checkout_id, i) for i in range(MAX_REMINDER_STEPS)]
            runs.close_pending(session, tenant.id, keys, "order_placed", text, now)
        _, to_send = log_rows(session, tenant.id, rows, config.settings, now)
    return outcomes, to_send
