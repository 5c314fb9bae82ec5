"""pending delivery reports

A verified delivery report that arrives before the worker has recorded its
message's provider id is kept here (bounded per tenant, an hour at most) and
applied when the id is recorded, instead of being refused with 503. A new,
empty table: no existing row changes.

Revision ID: 0004_reliability_pending_reports
Revises: 0003
Create Date: 2026-11-29 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_reliability_pending_reports"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_delivery_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("provider_message_id", sa.String(255), nullable=False),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_pending_reports_provider_message_id",
        "pending_delivery_reports",
        ["provider_message_id"],
    )
    op.create_index("ix_pending_reports_reference", "pending_delivery_reports", ["reference"])
    op.create_index(
        "ix_pending_reports_tenant_received",
        "pending_delivery_reports",
        ["tenant_id", "received_at"],
    )


def downgrade() -> None:
    op.drop_table("pending_delivery_reports")
