"""The ``daily_sends`` and ``daily_send_days`` tables (migrations 0012 and 0013).

A daily send is the merchant's definition; a day is one shop-local day of it
being carried out (where reading its customers stopped, and what came of it).
The texts themselves are ordinary message-log rows (``event`` ``DAILY_SEND``,
``rule_id`` ``daily:<id>``, marketing) whose ``dedupe_key``
``daily:<id>:<day>:<customer id>`` is the occurrence key (``<day>`` the day of
the birthday or anniversary, which is the day texted unless it is texted days
before): unique per shop in the log, so a customer gets each occurrence once
whatever runs it twice.

**Deleting** a daily send keeps its row (``deleted_at`` set, listed nowhere)
and every log row: the log loses nothing, and a daily send saved again with
the same content (:func:`content`) takes over the deleted one's occurrence
keys (``keys_of``), so nobody is texted twice on the day it is re-created.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from saleor_sms_app.campaigns.tables import MadeByAClick
from saleor_sms_app.db import Base
from saleor_sms_app.models import utcnow

#: The ``event`` of every daily-send message in the log.
DAILY_SEND_EVENT = "DAILY_SEND"
#: The scheduler's ``kind`` of a daily send's run.
RUN_KIND = "daily_send"


def daily_rule_id(send_id: int) -> str:
    """The ``rule_id`` of a daily send's log rows (the log's filter and the counts use it)."""
    return f"daily:{send_id}"


def day_prefix(key_id: int, day: date) -> str:
    """The start of the occurrence keys of one day of a daily send (``DailySend.key_id``);
    a customer's key is this and their id."""
    return f"daily:{key_id}:{day.isoformat()}:"


def run_key(send_id: int, day: date) -> str:
    """One scheduled run per daily send and shop-local day."""
    return f"daily:{send_id}:{day.isoformat()}"


class DailySend(MadeByAClick, Base):
    __tablename__ = "daily_sends"
    __table_args__ = (
        # A double click on Save (the same key twice) makes one daily send.
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_daily_sends_tenant_idempotency"),
        Index("ix_daily_sends_tenant", "tenant_id", "id"),
    )

    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Hour of the day (0–23) in the shop's time zone.
    hour: Mapped[int] = mapped_column(Integer)
    #: ``dates.Source``: birthday, joined, last_order, metadata_date.
    source: Mapped[str] = mapped_column(String(16))
    #: The metadata key holding the birthday or the merchant's date ("" otherwise).
    date_key: Mapped[str] = mapped_column(String(255), default="")
    #: N ``offset_unit`` after the date, once (0 for birthdays and yearly anniversaries).
    offset_amount: Mapped[int] = mapped_column(Integer, default=0)
    offset_unit: Mapped[str] = mapped_column(String(8), default="days")
    #: ``dates.Repeat``: once (N after, the meaning of every send saved before 0013) or
    #: yearly (birthdays; anniversaries of the date every year).
    repeat: Mapped[str] = mapped_column(String(8), default="once", server_default="once")
    #: Texted this many days before the birthday or yearly anniversary (0–30).
    days_before: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: A yearly anniversary's first year texted (1: from the first anniversary on).
    from_year: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: The audience filters (``campaigns.audience.Audience.as_json``).
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    template: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    #: When the merchant deleted it (None: it exists); kept for its log rows and keys.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The deleted daily send of the same content whose occurrence keys this one uses.
    keys_of: Mapped[int | None] = mapped_column(Integer, nullable=True)

    @property
    def key_id(self) -> int:
        """The id in its occurrence keys: its own, or that of the deleted one it replaced."""
        return self.keys_of if self.keys_of is not None else self.id


#: The columns that make two daily sends the same texts to the same customers.
CONTENT_COLUMNS = (
    "source",
    "date_key",
    "offset_amount",
    "offset_unit",
    "repeat",
    "days_before",
    "from_year",
    "audience",
    "template",
)


def content(send: DailySend | dict[str, Any]) -> tuple[Any, ...]:
    """What a daily send texts and to whom (not its name, hour or switch)."""
    found = dict(send) if isinstance(send, dict) else {n: getattr(send, n) for n in CONTENT_COLUMNS}
    if found.get("source") == "birthday":
        found["repeat"] = "yearly"  # every birthday is; those saved before 0013 say "once"
    return tuple(found.get(name) for name in CONTENT_COLUMNS)


class DailySendDay(Base):
    """One shop-local day of a daily send: where reading stopped and what came of it."""

    __tablename__ = "daily_send_days"
    __table_args__ = (UniqueConstraint("send_id", "day", name="uq_daily_send_days_send_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("daily_sends.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    #: Saleor's ``endCursor`` where reading stopped.
    cursor: Mapped[str | None] = mapped_column(String(255), nullable=True)
    read_done: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Whether the day had passed when it was carried out (occurrences logged skipped).
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Occurrences logged (texts and those left out) and customers whose date is not a date.
    occurrences: Mapped[int] = mapped_column(Integer, default=0)
    bad_dates: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
