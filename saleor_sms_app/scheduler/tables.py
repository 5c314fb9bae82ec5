"""The durable scheduler's table: ``scheduled_runs``, one row per thing to do at a time.

Its own room beside the scheduler's code (as ``campaigns/tables.py`` and
``anniversaries/tables.py`` are), not in :mod:`saleor_sms_app.models`, which keeps
the message log's tables.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from saleor_sms_app.db import Base
from saleor_sms_app.models import utcnow


class RunState(enum.StrEnum):
    """Where a scheduled run is; only ``pending`` rows are ever due."""

    #: Waiting for its due time (or to be tried again after Saleor was down).
    PENDING = "pending"
    #: Claimed by a scheduler tick; its RQ job is queued.
    QUEUED = "queued"
    #: A worker is carrying it out right now.
    RUNNING = "running"
    #: Carried out: its messages are in the message log.
    DONE = "done"
    #: Closed without sending: the order no longer matches, was deleted, the rule is gone.
    CLOSED = "closed"
    #: Due while the app was down and past the rule's "send no later than" window.
    EXPIRED = "expired"
    #: Cancelled by the merchant on the Scheduled screen.
    CANCELLED = "cancelled"


#: States a run never leaves.
FINAL_RUN_STATES = (RunState.DONE, RunState.CLOSED, RunState.EXPIRED, RunState.CANCELLED)


class ScheduledRun(Base):
    """Something to do at a time: a delayed rule for one order now, campaigns later.

    A row, not a Redis key, so a pending run survives a Redis flush and every
    restart. ``dedupe_key`` (unique per tenant) makes scheduling idempotent: a
    redelivered webhook schedules the same run again and nothing happens.
    """

    __tablename__ = "scheduled_runs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key", name="uq_scheduled_runs_tenant_dedupe"),
        # The scheduler's one hot query: pending runs by due time. Partial, so
        # the millions of finished runs never weigh on it.
        Index(
            "ix_scheduled_runs_pending_due",
            "due_at",
            "id",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        # Claimed runs whose job or worker vanished (the sweep); partial too, and
        # not led by ``state``, so the planner never prefers it for due runs.
        Index(
            "ix_scheduled_runs_claimed",
            "claimed_at",
            sqlite_where=text("state IN ('queued', 'running')"),
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
        Index("ix_scheduled_runs_tenant_due", "tenant_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    #: What carries it out (:data:`saleor_sms_app.scheduler.runner.HANDLERS`): ``rule`` ...
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default=RunState.PENDING.value)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: After this it is not sent but closed ``expired`` (None: no limit).
    send_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: How often it was handed to a worker (retries after Saleor was down count).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rule_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    event: Mapped[str | None] = mapped_column(String(64), nullable=True)
    order_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    order_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: What the handler needs besides the columns (the event occurrence, fulfillment id ...).
    payload: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    #: Why it was closed, expired, cancelled or is waiting again (normalised code + text).
    reason_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
