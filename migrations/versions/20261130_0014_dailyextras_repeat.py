"""daily sends: a yearly repeat, days before, delete (kept for its log rows)

Issue 10, item 3. ``repeat`` (once | yearly), ``days_before`` (0–30) and
``from_year`` (a yearly anniversary's first year); ``deleted_at`` (a deleted
daily send is kept, so the log and its occurrence keys lose nothing) and
``keys_of`` (a daily send re-created with the same content uses the deleted
one's occurrence keys). Every existing row gets once / 0 / 1 / not deleted:
it keeps doing exactly what it did. Columns are only added; no row is touched.

Revision ID: 0013_dailyextras_repeat
Revises: 0012_logspeed3_attempt_count
Create Date: 2026-11-30 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_dailyextras_repeat"
down_revision = "0012_logspeed3_attempt_count"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = [
        sa.Column("repeat", sa.String(length=8), server_default="once", nullable=False),
        sa.Column("days_before", sa.Integer(), server_default="0", nullable=False),
        sa.Column("from_year", sa.Integer(), server_default="1", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("keys_of", sa.Integer(), nullable=True),
    ]
    for column in columns:
        op.add_column("daily_sends", column)


def downgrade() -> None:
    with op.batch_alter_table("daily_sends") as table:
        for name in ("keys_of", "deleted_at", "from_year", "days_before", "repeat"):
            table.drop_column(name)
