"""stock alerts: stock levels against the low-stock threshold, alerts waiting for a digest

``stock_levels`` remembers, per variant and warehouse, whether the stock is
below the shop's low-stock threshold, so the alert fires once per crossing;
``stock_alerts`` holds alerts until the digest run (the scheduler's
``stock_digest`` kind) gathers the ones of 10 minutes into one staff text.
Abandoned-checkout reminders need no table of their own: they are
``scheduled_runs`` of kind ``checkout``. New tables only: no row is touched.

Revision ID: 0009_checkouts_stock_alerts
Revises: 0007_message_log_speed
Create Date: 2026-11-29 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_checkouts_stock_alerts"
down_revision = "0007_message_log_speed"
branch_labels = None
depends_on = None

WAITING = sa.text("run_id IS NULL")


def upgrade() -> None:
    op.create_table(
        "stock_levels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("variant_id", sa.String(255), nullable=False),
        sa.Column("warehouse_id", sa.String(255), nullable=False),
        sa.Column("low", sa.Boolean(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "variant_id", "warehouse_id", name="uq_stock_levels_variant_warehouse"
        ),
    )
    op.create_table(
        "stock_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("variant_id", sa.String(255), nullable=False),
        sa.Column("variant_label", sa.String(255), nullable=False),
        sa.Column("warehouse_name", sa.String(255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_stock_alerts_waiting",
        "stock_alerts",
        ["tenant_id", "id"],
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    )
    op.create_index("ix_stock_alerts_run", "stock_alerts", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_stock_alerts_run", table_name="stock_alerts")
    op.drop_index("ix_stock_alerts_waiting", table_name="stock_alerts")
    op.drop_table("stock_alerts")
    op.drop_table("stock_levels")
