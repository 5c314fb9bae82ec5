"""campaigns: the campaigns table and the index their progress reads

Issue 10. A campaign (one text to an audience of Saleor customers or to typed
numbers, now or at a date and time) is a row here; its messages are ordinary
message-log rows whose ``rule_id`` is ``campaign:<id>``, and
``ix_messages_rule_status`` (tenant, rule id, status) makes its progress one
indexed count. A new table and an index only: no existing row is touched.

Revision ID: 0011_campaigns_table
Revises: 0010_rule_conditions_marketing
Create Date: 2026-11-29 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_campaigns_table"
down_revision = "0010_rule_conditions_marketing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=True),
        sa.Column("numbers", sa.JSON(), nullable=True),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cursor", sa.String(255), nullable=True),
        sa.Column("read_done", sa.Boolean(), nullable=False),
        sa.Column("read_count", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("slowed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_campaigns_tenant_idempotency"),
    )
    op.create_index("ix_campaigns_tenant_created", "campaigns", ["tenant_id", "created_at"])
    op.create_index("ix_messages_rule_status", "messages", ["tenant_id", "rule_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_messages_rule_status", table_name="messages")
    op.drop_index("ix_campaigns_tenant_created", table_name="campaigns")
    op.drop_table("campaigns")
