"""Tables: tenants (installed Saleors) and the message log with its attempts.

A tenant's *configuration* (rules, providers, settings) is not here: it lives
in Saleor, in the app's private metadata (:mod:`saleor_sms_app.config`).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from saleor_sms_app.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class MessageStatus(enum.StrEnum):
    """Where a message is in its life; the dashboard filters on these."""

    #: Row written, not yet handed to a provider.
    QUEUED = "queued"
    #: A worker has claimed it and is handing it to a provider right now.
    SENDING = "sending"
    #: A provider accepted it.
    SENT = "sent"
    #: The provider's delivery report says the handset has it.
    DELIVERED = "delivered"
    #: Refused by every provider, or a delivery report said undelivered/expired/failed.
    FAILED = "failed"
    #: Deliberately not sent (no phone, invalid number, opted out); ``error_text`` says why.
    SKIPPED = "skipped"
    #: The provider accepted it but its fate is not known (no report, or an unknown report).
    UNKNOWN = "unknown"
    #: An inbound text a customer sent to the shop (a reply, STOP, HELP).
    RECEIVED = "received"


class Direction(enum.StrEnum):
    """Which way a logged text went: to a customer or staff, or from a customer."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


class RecipientType(enum.StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    FIXED = "fixed"
    TEST = "test"
    MANUAL = "manual"
    #: A "no rule for this event" row: the webhook texted nobody, and the log says why.
    NOBODY = "nobody"


class Tenant(Base):
    """One installed Saleor, keyed by its GraphQL API URL."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    saleor_api_url: Mapped[str] = mapped_column(String(500), unique=True)
    saleor_domain: Mapped[str] = mapped_column(String(255), default="")
    app_id: Mapped[str] = mapped_column(String(255))
    #: The Saleor app token, encrypted (:mod:`saleor_sms_app.crypto`); NULL once uninstalled.
    token_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The Saleor JWKS as fetched, JSON text; webhook signatures are checked against it.
    jwks: Mapped[str] = mapped_column(Text, default="{}")
    jwks_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    saleor_version: Mapped[str] = mapped_column(String(50), default="")
    #: Random secret, encrypted, that authenticates provider callbacks without signatures.
    callback_secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: ``<version>-<fingerprint>`` of the manifest whose webhooks Saleor was last brought in
    #: line with (:mod:`saleor_sms_app.saleor.webhook_sync`); NULL: installed before it was kept.
    webhooks_synced: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    uninstalled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @property
    def is_installed(self) -> bool:
        return self.token_encrypted is not None and self.uninstalled_at is None


class Message(Base):
    """One SMS the app attempted (or deliberately skipped): the message log."""

    __tablename__ = "messages"
    __table_args__ = (
        # Exactly-once: the same rule, event occurrence and recipient can be
        # logged (and so sent) only once per tenant, whatever Saleor redelivers.
        UniqueConstraint("tenant_id", "dedupe_key", name="uq_messages_tenant_dedupe"),
        # The log's keyset pages (newest first); the sorted columns' indexes follow the class.
        Index("ix_messages_log_created", "tenant_id", "created_at", "id"),
        Index("ix_messages_provider_message_id", "provider", "provider_message_id"),
        # Finding sends a dead worker left behind (status "sending", old).
        Index("ix_messages_status_updated", "status", "updated_at"),
        # A number's marketing texts of the last week, for the caps (migration 0008).
        Index(
            "ix_messages_marketing_phone",
            "tenant_id",
            "phone",
            "created_at",
            sqlite_where=text("marketing"),
            postgresql_where=text("marketing"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    #: Saleor event name (ORDER_CREATED ...), or TEST / MANUAL for messages sent by hand.
    event: Mapped[str] = mapped_column(String(64))
    #: outbound (the app sent it) or inbound (a customer texted the shop's number).
    direction: Mapped[str] = mapped_column(
        String(8), default=Direction.OUTBOUND.value, server_default=Direction.OUTBOUND.value
    )
    order_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    order_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(255), nullable=True)
    rule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rule_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    recipient_type: Mapped[str] = mapped_column(String(16))
    #: E.164 when valid; the raw input when it was not (so the merchant sees what was wrong).
    phone: Mapped[str] = mapped_column(String(64), default="")
    sender: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body: Mapped[str] = mapped_column(Text, default="")
    segments: Mapped[int] = mapped_column(Integer, default=0)
    encoding: Mapped[str] = mapped_column(String(8), default="")
    #: Config id of the provider that finally took (or last refused) it.
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Provider type name (twilio, sandbox ...).
    provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.QUEUED.value)
    #: Logged by a rule that is not transactional (automation, delayed or marketing
    #: rule): counted towards the number's marketing caps. Only a server default, so
    #: an insert that does not name it also works on a database before migration 0008.
    marketing: Mapped[bool] = mapped_column(Boolean, server_default=false(), nullable=False)
    #: How many provider attempts it had: kept by triggers on ``message_attempts``
    #: (migration 0012), so the log and its CSV never count them per row. Only a
    #: server default: the app never writes it.
    attempt_count: Mapped[int] = mapped_column(Integer, server_default=text("0"), nullable=False)
    #: Normalised reason (invalid_number, opted_out, no_phone ...) or the provider's code.
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Plain-language advice for the merchant.
    error_hint: Mapped[str | None] = mapped_column(Text, nullable=True)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 5), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(8), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: When the last delivery report arrived, and what the provider called it.
    status_changed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    delivery_code: Mapped[str | None] = mapped_column(String(64), nullable=True)

    attempts: Mapped[list[MessageAttempt]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="MessageAttempt.id"
    )

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


#: Columns the message log sorts by, and whether they may be NULL. Each has an
#: index ``(tenant_id, column, created_at, id)`` and one ``(tenant_id, status,
#: column, created_at, id)`` (migration 0007): a page sorted or filtered by it,
#: with or without one status, is a range read. A nullable column is indexed, sorted and
#: filtered as ``coalesce(column, '')`` so a keyset never compares with NULL.
LOG_SORT_COLUMNS: dict[str, bool] = {
    "event": False,
    "order_number": True,
    "recipient_type": False,
    "phone": False,
    "provider": True,
    "status": False,
    "error_code": True,
}


def log_sort_key(name: str) -> ColumnElement[Any]:
    """The expression the log sorts and filters ``name`` by (the one its index holds).

    The empty string is a literal, not a bound parameter, so SQLite and
    PostgreSQL both see the indexed expression in the query.
    """
    column: ColumnElement[Any] = getattr(Message, name).expression
    if LOG_SORT_COLUMNS.get(name):
        return func.coalesce(column, literal_column("''"))
    return column


for _name in LOG_SORT_COLUMNS:
    Index(
        f"ix_messages_log_{_name}",
        Message.tenant_id,
        log_sort_key(_name),
        Message.created_at,
        Message.id,
    )
    if _name != "status":
        # One status asked for, sorted by another column (failed, by reason).
        Index(
            f"ix_messages_log_status_{_name}",
            Message.tenant_id,
            Message.status,
            log_sort_key(_name),
            Message.created_at,
            Message.id,
        )


class MessageAttempt(Base):
    """One try of one provider for one message: failover leaves several."""

    __tablename__ = "message_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    provider_id: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    #: sent / queued / rejected / failed, as normalised by the adapter.
    status: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    temporary: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The provider's own answer, secrets never included.
    raw_response: Mapped[str | None] = mapped_column(Text, nullable=True)

    message: Mapped[Message] = relationship(back_populates="attempts")


class DeliveryReport(Base):
    """A delivery report as received, kept so a wrong mapping can be audited."""

    __tablename__ = "delivery_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True, index=True
    )
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    provider: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str] = mapped_column(String(255))
    #: delivered / undelivered / expired / failed / unknown
    status: Mapped[str] = mapped_column(String(16))
    provider_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    raw: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)


class PendingDeliveryReport(Base):
    """A verified delivery report that arrived before its message's provider id was
    recorded (a fast provider reports while the worker is still writing outcomes).

    Kept at most an hour and at most a bounded number per tenant
    (:mod:`saleor_sms_app.delivery_reports.pending`), and applied when the id is recorded,
    so a provider that never re-sends a report does not lose it.
    """

    __tablename__ = "pending_delivery_reports"
    __table_args__ = (
        Index("ix_pending_reports_provider_message_id", "provider_message_id"),
        Index("ix_pending_reports_reference", "reference"),
        Index("ix_pending_reports_tenant_received", "tenant_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    #: The provider configuration the report URL named, and its type.
    provider_id: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str] = mapped_column(String(255))
    #: Our own reference echoed back (SMSAPI ``idx``), when the report has one.
    reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The normalised report (:class:`DeliveryEvent` fields) and the merchant hint.
    event: Mapped[dict[str, object]] = mapped_column(JSON)


class Suppression(Base):
    """A number the tenant must not text: opted out at a provider, or added by hand."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("tenant_id", "phone", name="uq_suppressions_tenant_phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    #: Which provider (type name) or "manual".
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MessageDailyCount(Base):
    """Messages and their cost per tenant, UTC day of creation, status, event, provider, currency.

    The chart reads these (plus the changes not folded in yet) instead of a
    month of messages. Never written by the app's code: triggers on
    ``messages`` append :class:`MessageCountChange` rows in the same
    transaction as each insert, status or price change and delete, and
    ``message_log.daily_counts.fold_count_changes`` adds them up here. Empty provider and
    currency stand for none.
    """

    __tablename__ = "message_daily_counts"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    event: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    currency: Mapped[str] = mapped_column(String(8), primary_key=True)
    messages: Mapped[int] = mapped_column(Integer)
    cost: Mapped[Decimal] = mapped_column(Numeric(16, 5))


class MessageCountChange(Base):
    """+1 / -1 of one message in one count row, appended by the triggers on ``messages``.

    Appending instead of updating the count row in place keeps two workers
    from waiting on (or deadlocking over) the same row. No foreign key: a
    tenant's messages deleted with the tenant still leave their -1 rows, which
    folding drops.
    """

    __tablename__ = "message_count_changes"
    __table_args__ = (Index("ix_message_count_changes_tenant_day", "tenant_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(8))
    messages: Mapped[int] = mapped_column(Integer)
    cost: Mapped[Decimal] = mapped_column(Numeric(16, 5))


class ShortLink(Base):
    """A tracked link a message carries: ``<short base>/s/<code>`` → ``url``.

    Only URLs the app put in a message have a row, so ``/s/<code>`` redirects
    nowhere else (no open redirect). ``clicks`` counts every visit of the code;
    a message's links say how often that message was clicked.
    """

    __tablename__ = "short_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    url: Mapped[str] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), nullable=True, index=True
    )
    clicks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_clicked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BalanceState(Base):
    """The last balance seen per provider, so a low-balance alert fires once per crossing."""

    __tablename__ = "balance_states"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider_id", name="uq_balance_tenant_provider"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    provider_id: Mapped[str] = mapped_column(String(64))
    balance: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(8), nullable=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    below_threshold: Mapped[bool] = mapped_column(Boolean, default=False)
    alerted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def mask_phone(phone: str) -> str:
    """``+48123456789`` → ``+48*****6789``: enough to recognise, not enough to reuse."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
