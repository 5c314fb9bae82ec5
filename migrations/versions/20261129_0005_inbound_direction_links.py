"""inbound messages in the log (messages.direction) and tracked links (short_links)

``direction`` gets a server default, so every message already logged reads as
``outbound`` (which it was) without rewriting the table's rows by hand.

Revision ID: 0004_inbound_direction_links
Revises: 0004_reliability_pending_reports
Create Date: 2026-11-29 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_inbound_direction_links"
down_revision = "0004_reliability_pending_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column("direction", sa.String(8), nullable=False, server_default="outbound")
        )
    op.create_table(
        "short_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column(
            "message_id",
            sa.Integer,
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("clicks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_clicked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_short_links_message_id", "short_links", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_short_links_message_id", table_name="short_links")
    op.drop_table("short_links")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("direction")
