"""messages.marketing: which logged texts count towards a number's marketing caps

Issue 9 item 8. A text from an automation, a delayed rule or a marketing rule
(anything not transactional) is logged with ``marketing`` true; the shop's
caps ("at most N marketing texts per number per day / per week") count such
rows of one number, with one read of the small partial index
``(tenant_id, phone, created_at) WHERE marketing`` per text, never a scan of
the log. A column with a constant default is added in place on both
databases (no table rebuild): every existing row stays, counted as not
marketing (before this, nothing said which texts were).

Revision ID: 0010_rule_conditions_marketing
Revises: 0009_checkouts_stock_alerts
Create Date: 2026-11-29 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_rule_conditions_marketing"
down_revision = "0009_checkouts_stock_alerts"
branch_labels = None
depends_on = None

MARKETING = sa.text("marketing")


def upgrade() -> None:
    op.add_column(
        "messages",
        sa.Column("marketing", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_messages_marketing_phone",
        "messages",
        ["tenant_id", "phone", "created_at"],
        sqlite_where=MARKETING,
        postgresql_where=MARKETING,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_marketing_phone", table_name="messages")
    # In place on both databases (SQLite 3.35+ drops a column itself): a batch
    # copy of ``messages`` on SQLite would recreate the table, and dropping the
    # old one cascades to its attempts and reports.
    op.drop_column("messages", "marketing")
