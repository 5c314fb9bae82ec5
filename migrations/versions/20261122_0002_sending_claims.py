"""index for messages left in "sending"

Workers now claim a message by moving it from ``queued`` to ``sending``; the
maintenance sweep looks for old ``sending`` rows, which this index makes cheap
on a large log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_status_updated", "messages", ["status", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_status_updated", table_name="messages")
