"""scheduled runs: the durable scheduler's table

Delayed rules (and later campaigns and daily sends) wait in this table, not in
Redis, so a pending run survives a Redis flush and every restart. The partial
index on ``due_at`` for ``pending`` rows is what the scheduler's tick reads.
A new table only: existing rows are untouched.

Revision ID: 0006_scheduler_runs
Revises: 0005_webhook_sync_marker
Create Date: 2026-11-29 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_scheduler_runs"
down_revision = "0005_webhook_sync_marker"
branch_labels = None
depends_on = None

PENDING = sa.text("state = 'pending'")
CLAIMED = sa.text("state IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rule_id", sa.String(64), nullable=True),
        sa.Column("rule_name", sa.String(255), nullable=True),
        sa.Column("event", sa.String(64), nullable=True),
        sa.Column("order_id", sa.String(255), nullable=True),
        sa.Column("order_number", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "dedupe_key", name="uq_scheduled_runs_tenant_dedupe"),
    )
    op.create_index(
        "ix_scheduled_runs_pending_due",
        "scheduled_runs",
        ["due_at", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(
        "ix_scheduled_runs_claimed",
        "scheduled_runs",
        ["claimed_at"],
        sqlite_where=CLAIMED,
        postgresql_where=CLAIMED,
    )
    op.create_index("ix_scheduled_runs_tenant_due", "scheduled_runs", ["tenant_id", "due_at"])


def downgrade() -> None:
    op.drop_table("scheduled_runs")
