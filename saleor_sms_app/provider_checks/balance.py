"""Provider balances and the low-balance alert, once per crossing.

:func:`check_balances` asks every enabled provider of a tenant that has a
balance API for its balance and remembers it in ``balance_states``. When a
balance drops below the tenant's ``low_balance_threshold`` the staff numbers
get one SMS and the dashboard shows a warning (:func:`low_balance_warnings`);
the alert fires again only after the balance has gone back above the
threshold and dropped again. "Once" holds across workers: the crossing is
claimed with one conditional UPDATE, so two checks at once cannot both alert.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saleor_sms_app.config.model import AppConfig, ProviderConfig, ShopSettings
from saleor_sms_app.config.store import ConfigStore, load_provider
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import InvalidPhoneNumber
from saleor_sms_app.messages.log import insert_message
from saleor_sms_app.messages.send_jobs import enqueue_send
from saleor_sms_app.models import BalanceState, Message, MessageStatus, RecipientType, utcnow
from saleor_sms_app.providers import build_provider
from saleor_sms_app.providers.models import (
    Balance,
    BalanceNotSupported,
    ProviderConfigError,
    ProviderError,
)
from saleor_sms_app.recipients.phones import staff_phone
from saleor_sms_app.saleor.tenants import get_tenant_by_id
from saleor_sms_app.segments import count_segments
from saleor_sms_app.services import Services, get_services

log = logging.getLogger(__name__)

#: The event name alert messages carry in the message log.
LOW_BALANCE_EVENT = "LOW_BALANCE"


@dataclass(frozen=True)
class BalanceCheck:
    provider_id: str
    provider_type: str
    balance: Balance | None
    #: Why no balance could be read (provider error), for the dashboard.
    error: str | None = None
    below_threshold: bool = False
    #: This check crossed the threshold and alerted the staff.
    alerted: bool = False
    #: False when the provider has no balance to read (switched off, or no balance
    #: API, as the sandbox); ``error`` then says which, in the merchant's words.
    supported: bool = True


@dataclass(frozen=True)
class LowBalanceWarning:
    provider_id: str
    balance: Decimal | None
    currency: str | None
    since: str | None


def check_balances(services: Services, tenant_id: int) -> list[BalanceCheck]:
    """Read every provider's balance, store it, alert the staff on a new crossing."""
    tenant = get_tenant_by_id(services, tenant_id)
    if tenant is None or not tenant.is_installed:
        return []
    config = ConfigStore(services).load(tenant)
    checks = [
        check
        for check in (
            _check_one(services, tenant_id, config, provider)
            for provider in config.providers
            if provider.enabled
        )
        if check.supported
    ]
    if any(c.alerted for c in checks):
        _enqueue_alerts(services, tenant_id)
    return checks


def check_provider_balance(services: Services, tenant_id: int, provider_id: str) -> BalanceCheck:
    """One provider's balance for the dashboard's "Check balance" button.

    Unlike :func:`check_balances` it answers for a provider that has no balance
    too, saying why: switched off, or a provider without a balance API (the
    sandbox is switched on and simply has none). Unknown provider → NotFound.
    """
    _tenant, config, provider = load_provider(services, tenant_id, provider_id)
    if not provider.enabled:
        return BalanceCheck(
            provider.id,
            provider.type,
            None,
            error="This provider is switched off; switch it on to read its balance.",
            supported=False,
        )
    check = _check_one(services, tenant_id, config, provider)
    if check.alerted:
        _enqueue_alerts(services, tenant_id)
    return check


def _check_one(
    services: Services, tenant_id: int, config: AppConfig, provider: ProviderConfig
) -> BalanceCheck:
    """Read one switched-on provider's balance, store it, log the alert on a new crossing."""
    context = services.provider_context()
    try:
        adapter = build_provider(provider, context)
    except ProviderConfigError as exc:
        return BalanceCheck(provider.id, provider.type, None, error=str(exc))
    try:
        balance = adapter.balance()
    except BalanceNotSupported:
        return BalanceCheck(
            provider.id,
            provider.type,
            None,
            error=f"{adapter.label} has no balance to check.",
            supported=False,
        )
    except (ProviderError, ProviderConfigError) as exc:
        return BalanceCheck(provider.id, provider.type, None, error=str(exc))
    threshold = config.settings.low_balance_threshold
    below = threshold is not None and balance.amount < Decimal(str(threshold))
    with session_scope(services.sessions) as session:
        alerted = _remember(session, tenant_id, provider.id, balance, below)
        if alerted:
            _log_alerts(session, tenant_id, provider, balance, config.settings)
    return BalanceCheck(provider.id, provider.type, balance, below_threshold=below, alerted=alerted)


def _remember(
    session: Session, tenant_id: int, provider_id: str, balance: Balance, below: bool
) -> bool:
    """Store the balance; True if this check is the one that crossed below."""
    try:
        with session.begin_nested():
            session.add(BalanceState(tenant_id=tenant_id, provider_id=provider_id))
    except IntegrityError:
        pass  # it exists already
    where = (BalanceState.tenant_id == tenant_id, BalanceState.provider_id == provider_id)
    now = utcnow()
    session.execute(
        update(BalanceState)
        .where(*where)
        .values(balance=balance.amount, currency=balance.currency[:8], checked_at=now)
    )
    if not below:
        session.execute(update(BalanceState).where(*where).values(below_threshold=False))
        return False
    claimed = session.execute(
        update(BalanceState)
        .where(*where, BalanceState.below_threshold.is_(False))
        .values(below_threshold=True, alerted_at=now)
    )
    return bool(getattr(claimed, "rowcount", 0) == 1)


def _alert_text(provider: ProviderConfig, balance: Balance) -> str:
    name = provider.name or provider.type
    return (
        f"SMS balance low: {name} has {balance.amount.normalize():f} {balance.currency} left. "
        "Top up to keep order texts going."
    )


def _log_alerts(
    session: Session,
    tenant_id: int,
    provider: ProviderConfig,
    balance: Balance,
    settings: ShopSettings,
) -> None:
    body = _alert_text(provider, balance)
    info = count_segments(body)
    crossing = utcnow().isoformat()
    for raw in settings.staff_numbers:
        try:
            phone = staff_phone(raw, settings)
        except InvalidPhoneNumber as exc:
            log.warning("staff number %r cannot get the low-balance alert: %s", raw, exc)
            continue
        insert_message(
            session,
            {
                "tenant_id": tenant_id,
                "dedupe_key": f"low-balance:{provider.id}:{crossing}:{phone}",
                "event": LOW_BALANCE_EVENT,
                "recipient_type": RecipientType.STAFF.value,
                "phone": phone,
                "body": body,
                "segments": info.segments,
                "encoding": info.encoding,
                "status": MessageStatus.QUEUED.value,
            },
        )


def _enqueue_alerts(services: Services, tenant_id: int) -> None:
    with services.sessions() as session:
        ids = session.scalars(
            select(Message.id).where(
                Message.tenant_id == tenant_id,
                Message.event == LOW_BALANCE_EVENT,
                Message.status == MessageStatus.QUEUED.value,
            )
        ).all()
    for message_id in ids:
        enqueue_send(services, message_id)


def low_balance_warnings(services: Services, tenant_id: int) -> list[LowBalanceWarning]:
    """Providers currently below the threshold, for the dashboard's banner."""
    with services.sessions() as session:
        rows = session.scalars(
            select(BalanceState)
            .where(BalanceState.tenant_id == tenant_id, BalanceState.below_threshold.is_(True))
            .order_by(BalanceState.provider_id)
        ).all()
        return [
            LowBalanceWarning(
                r.provider_id,
                r.balance,
                r.currency,
                r.alerted_at.isoformat() if r.alerted_at else None,
            )
            for r in rows
        ]


#: At most one balance check per tenant in this many seconds, however many sends.
BALANCE_CHECK_EVERY_SECONDS = 600


def schedule_balance_check(services: Services, tenant_id: int) -> bool:
    """Queue :func:`saleor_sms_app.jobs.check_balances` unless one ran recently.

    Called after sends: balances only move when messages go out, and a Redis
    ``SET NX EX`` key keeps it to one check per tenant per interval across all
    workers. True if a check was queued. Redis trouble only skips the check.
    """
    try:
        fresh = services.redis.set(
            f"sms:balance-check:{tenant_id}", "1", nx=True, ex=BALANCE_CHECK_EVERY_SECONDS
        )
        if not fresh:
            return False
        services.queue.enqueue(
            "saleor_sms_app.jobs.check_balances",
            tenant_id,
            description=f"check SMS balances of tenant {tenant_id}",
        )
    except RedisError as exc:
        log.warning("balance check of tenant %s not scheduled: %s", tenant_id, exc)
        return False
    return True


def check_tenant_balances(tenant_id: int) -> int:
    """RQ job: check one tenant's balances; how many providers crossed below."""
    return sum(1 for c in check_balances(get_services(), tenant_id) if c.alerted)
