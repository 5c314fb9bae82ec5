"""birthdays: the daily_sends and daily_send_days tables

Issue 10, item 3. A daily send (birthdays and anniversaries: a text at an hour
of the shop's day to the customers whose date it is) is a row of
``daily_sends``; each shop-local day it is carried out is a row of
``daily_send_days`` (where reading its customers stopped, whether the day was
missed). Its texts are message-log rows keyed by the occurrence. New tables
only: no existing row is touched.

Revision ID: 0012_birthdays_daily_sends
Revises: 0011_campaigns_table
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_birthdays_daily_sends"
down_revision = "0011_campaigns_table"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_sends",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("date_key", sa.String(255), nullable=False),
        sa.Column("offset_amount", sa.Integer(), nullable=False),
        sa.Column("offset_unit", sa.String(8), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name="uq_daily_sends_tenant_idempotency"
        ),
    )
    op.create_index("ix_daily_sends_tenant", "daily_sends", ["tenant_id", "id"])
    op.create_table(
        "daily_send_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "send_id",
            sa.Integer(),
            sa.ForeignKey("daily_sends.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cursor", sa.String(255), nullable=True),
        sa.Column("read_done", sa.Boolean(), nullable=False),
        sa.Column("missed", sa.Boolean(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("bad_dates", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("send_id", "day", name="uq_daily_send_days_send_day"),
    )


def downgrade() -> None:
    op.drop_table("daily_send_days")
    op.drop_index("ix_daily_sends_tenant", table_name="daily_sends")
    op.drop_table("daily_sends")
