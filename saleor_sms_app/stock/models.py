"""The stock alerts' tables: where each variant stands against the low-stock threshold,
and the alerts waiting to be gathered into one staff text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from saleor_sms_app.db import Base
from saleor_sms_app.models import utcnow


class StockLevel(Base):
    """Whether a variant's stock in a warehouse is below the threshold now.

    One row per tenant, variant and warehouse; ``low`` flips to true in one
    conditional upsert when the stock drops below the threshold (that is the
    alert, once per crossing) and back to false when it rises to it again.
    """

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "variant_id", "warehouse_id", name="uq_stock_levels_variant_warehouse"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    variant_id: Mapped[str] = mapped_column(String(255))
    warehouse_id: Mapped[str] = mapped_column(String(255))
    low: Mapped[bool] = mapped_column(Boolean, default=False)
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StockAlert(Base):
    """One stock happening for staff, waiting for its digest run (``run_id`` set once taken)."""

    __tablename__ = "stock_alerts"
    __table_args__ = (
        # The digest's one query: a tenant's alerts not yet taken by a run.
        Index(
            "ix_stock_alerts_waiting",
            "tenant_id",
            "id",
            sqlite_where=text("run_id IS NULL"),
            postgresql_where=text("run_id IS NULL"),
        ),
        Index("ix_stock_alerts_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    #: ``out_of_stock``, ``back_in_stock`` or ``low_stock``.
    kind: Mapped[str] = mapped_column(String(32))
    variant_id: Mapped[str] = mapped_column(String(255))
    #: "Monospace Tee / M (SKU-0001)" as the staff text shows it.
    variant_label: Mapped[str] = mapped_column(String(255))
    warehouse_name: Mapped[str] = mapped_column(String(255), default="")
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
