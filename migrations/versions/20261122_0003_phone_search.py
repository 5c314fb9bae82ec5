"""trigram index for searching the message log by phone digits (PostgreSQL)

The dashboard finds a customer's messages by any digits of the number
("601 234"), which is a substring match: without an index PostgreSQL reads
every row of the tenant (68 ms on 50,000 rows, growing with the log). A
pg_trgm GIN index answers ``phone LIKE '%…%'`` directly. pg_trgm is a trusted
extension (PostgreSQL 13+), so the database owner may create it; where the
role may not, the migration says so and goes on without the index, because
search still works, only slower. SQLite has no such index: it scans.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

INDEX = "ix_messages_phone_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        log.warning(
            "pg_trgm is not available (%s); the message log's phone search works "
            "without an index",
            str(exc.orig).strip(),
        )
        return
    op.create_index(
        INDEX,
        "messages",
        ["phone"],
        postgresql_using="gin",
        postgresql_ops={"phone": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
