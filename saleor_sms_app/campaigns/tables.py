"""The ``campaigns`` table (migration 0009), and the message-log index progress reads.

A campaign's messages are ordinary log rows (``event`` ``CAMPAIGN``,
``rule_id`` ``campaign:<id>``), so the opt-out line, the do-not-text list,
sending, retries and delivery reports are the ones every text has; the index
``(tenant_id, rule_id, status)`` makes its progress one indexed count.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from saleor_sms_app.db import Base
from saleor_sms_app.models import Message, utcnow

#: The ``event`` of every campaign message in the log.
CAMPAIGN_EVENT = "CAMPAIGN"


def campaign_rule_id(campaign_id: int) -> str:
    """The ``rule_id`` of a campaign's log rows: progress and the log's filter use it."""
    return f"campaign:{campaign_id}"


class CampaignState(enum.StrEnum):
    #: Waiting for its date and time.
    SCHEDULED = "scheduled"
    #: Being read and sent, a stretch at a time.
    SENDING = "sending"
    #: Stopped by the merchant; Resume carries on where it stopped.
    PAUSED = "paused"
    #: Stopped for good; messages not handed to a provider yet are skipped.
    CANCELLED = "cancelled"
    #: Every recipient has a log row and none is waiting to go out.
    DONE = "done"


class MadeByAClick:
    """The columns of a row a merchant makes with one click (a campaign's Send, a daily send's
    Save): the shop, the click's key and a name. Each table adds the unique constraint on
    ``(tenant_id, idempotency_key)`` (under its own name, as its migration made it), so a
    double click, or the same key sent again, makes one row."""

    # (``sort_order``: first in the table, where they stood before this mixin.)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), sort_order=-1
    )
    idempotency_key: Mapped[str] = mapped_column(String(64), sort_order=-1)
    name: Mapped[str] = mapped_column(String(255), sort_order=-1)


class Campaign(MadeByAClick, Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        # A double click on Send (the same key twice) makes one campaign.
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_campaigns_tenant_idempotency"),
        Index("ix_campaigns_tenant_created", "tenant_id", "created_at"),
    )

    state: Mapped[str] = mapped_column(String(16), default=CampaignState.SCHEDULED.value)
    template: Mapped[str] = mapped_column(Text)
    #: The audience's filters (``campaigns.audience.Audience.as_json``), or None for numbers.
    audience: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: Typed or uploaded numbers (E.164, checked and de-duplicated), or None for an audience.
    numbers: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    send_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Where reading stopped: Saleor's ``endCursor``, or the index into ``numbers``.
    cursor: Mapped[str | None] = mapped_column(String(255), nullable=True)
    read_done: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Customers (or numbers) read so far.
    read_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Customers Saleor said the audience has (its ``totalCount``), for "time left".
    expected: Mapped[int] = mapped_column(Integer, default=0)
    #: When a provider last refused for sending too fast (the campaign slowed down).
    #: The scheduled run carrying the campaign now; any other run of it stops.
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    slowed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    reason_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


#: A campaign's progress is one indexed count per status.
Index("ix_messages_rule_status", Message.tenant_id, Message.rule_id, Message.status)
