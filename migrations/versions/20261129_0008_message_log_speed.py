"""message log at a million rows: keyset indexes, per-day counts, text search

Issue 12. Every page of the log counted all of a shop's rows, the chart
grouped a month of rows on each visit and SQLite scanned every row to find
phone digits. This adds:

* one index per column the log sorts by, ``(tenant_id, <column>, created_at,
  id)``, so a page is a range read whatever the sort (keyset paging walks it
  from the last row shown) and a filter on that column reads only its rows;
  and ``(tenant_id, status, <column>, created_at, id)``, because one status
  is the usual filter and correlates with the others (failed messages all
  have a reason, skipped ones no provider): without it "failed, by reason"
  walks past every delivered message first;
  nullable columns are indexed as ``coalesce(column, '')`` so the keyset never
  compares with NULL. They replace the two-column phone, order-number and
  created indexes, which are their prefixes.
* ``message_daily_counts``: messages and cost per tenant, UTC day (of
  creation), status, event, provider and currency; and
  ``message_count_changes``, the +1/-1 rows that triggers on ``messages``
  append in the same transaction as every insert, status/price change and
  delete, whatever code made it. Appending (rather than updating the count
  rows in place) means two workers never wait on, or deadlock over, the same
  count row; the worker's maintenance folds changes into the counts
  (``logsearch.fold_count_changes``) and the chart reads both.
* text search: on SQLite an FTS5 trigram index over phone and text
  (``messages_search``, external content, kept in sync by triggers); on
  PostgreSQL a pg_trgm index on the text beside 0003's phone index.

Existing rows are counted and indexed here, so an upgraded log is complete.
Inbound rows (``messages.direction``, 0005) are counted and searched like
every other row: the chart shows them under their own event (``INBOUND``).
Only indexes, new tables and triggers are added: ``messages`` is never
recreated, so no row (and, with foreign keys on, no child row) is touched.

Revision ID: 0007_message_log_speed
Revises: 0006_scheduler_runs
Create Date: 2026-11-29 19:30:00
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0007_message_log_speed"
down_revision = "0006_scheduler_runs"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

#: Sortable column → whether it may be NULL (then indexed as coalesce(column, '')).
SORT_COLUMNS = {
    "event": False,
    "order_number": True,
    "recipient_type": False,
    "phone": False,
    "provider": True,
    "status": False,
    "error_code": True,
}
OLD_INDEXES = {
    "ix_messages_tenant_created": ["tenant_id", "created_at"],
    "ix_messages_tenant_phone": ["tenant_id", "phone"],
    "ix_messages_tenant_order_number": ["tenant_id", "order_number"],
}
KEY_COLUMNS = "tenant_id, day, status, event, provider, currency"

SQLITE_DAY = "date({row}.created_at)"
POSTGRES_DAY = "(({row}.created_at AT TIME ZONE 'UTC')::date)"


def _change_values(day: str, row: str, sign: str) -> str:
    return (
        f"{row}.tenant_id, {day.format(row=row)}, {row}.status, {row}.event, "
        f"coalesce({row}.provider, ''), coalesce({row}.currency, ''), {sign}1, "
        f"{sign}coalesce({row}.price, 0)"
    )


def _key() -> list[sa.Column[object]]:
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
    ]


def _counts_tables() -> None:
    op.create_table(
        "message_daily_counts",
        *_key(),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Numeric(16, 5), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "status", "event", "provider", "currency"
        ),
    )
    op.create_table(
        "message_count_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_key(),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Numeric(16, 5), nullable=False),
    )
    op.create_index(
        "ix_message_count_changes_tenant_day", "message_count_changes", ["tenant_id", "day"]
    )


def _sort_indexes() -> None:
    for name in OLD_INDEXES:
        op.drop_index(name, table_name="messages")
    op.create_index("ix_messages_log_created", "messages", ["tenant_id", "created_at", "id"])
    for column, nullable in SORT_COLUMNS.items():
        expression = f"coalesce({column}, '')" if nullable else column
        op.create_index(
            f"ix_messages_log_{column}",
            "messages",
            ["tenant_id", sa.text(expression), "created_at", "id"],
        )
        if column != "status":
            op.create_index(
                f"ix_messages_log_status_{column}",
                "messages",
                ["tenant_id", "status", sa.text(expression), "created_at", "id"],
            )


def _backfill_counts(day: str) -> None:
    op.execute(
        f"INSERT INTO message_daily_counts ({KEY_COLUMNS}, messages, cost) "
        f"SELECT tenant_id, {day.format(row='messages')}, status, event, "
        "coalesce(provider, ''), coalesce(currency, ''), count(*), sum(coalesce(price, 0)) "
        "FROM messages GROUP BY 1, 2, 3, 4, 5, 6"
    )


def _sqlite_triggers() -> None:
    insert = f"INSERT INTO message_count_changes ({KEY_COLUMNS}, messages, cost) VALUES"
    op.execute(
        "CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN "
        f"{insert} ({_change_values(SQLITE_DAY, 'NEW', '+')}); END"
    )
    op.execute(
        "CREATE TRIGGER messages_count_update AFTER UPDATE OF "
        "status, price, currency, provider, event, created_at, tenant_id ON messages "
        "WHEN OLD.status IS NOT NEW.status OR OLD.price IS NOT NEW.price "
        "OR OLD.currency IS NOT NEW.currency OR OLD.provider IS NOT NEW.provider "
        "OR OLD.event IS NOT NEW.event OR OLD.created_at IS NOT NEW.created_at "
        "OR OLD.tenant_id IS NOT NEW.tenant_id BEGIN "
        f"{insert} ({_change_values(SQLITE_DAY, 'OLD', '-')}); "
        f"{insert} ({_change_values(SQLITE_DAY, 'NEW', '+')}); END"
    )
    op.execute(
        "CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN "
        f"{insert} ({_change_values(SQLITE_DAY, 'OLD', '-')}); END"
    )


def _sqlite_search() -> None:
    """FTS5 trigram over phone and text; skipped (search scans) where SQLite lacks it."""
    try:
        op.execute(
            "CREATE VIRTUAL TABLE messages_search USING fts5("
            "phone, body, content='messages', content_rowid='id', tokenize='trigram')"
        )
    except DBAPIError as exc:
        log.warning(
            "SQLite has no FTS5 trigram tokenizer (%s); the log's search scans instead",
            str(exc.orig).strip(),
        )
        return
    op.execute("INSERT INTO messages_search(messages_search) VALUES ('rebuild')")
    op.execute(
        "CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN "
        "INSERT INTO messages_search(rowid, phone, body) VALUES (NEW.id, NEW.phone, NEW.body); "
        "END"
    )
    op.execute(
        "CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN "
        "INSERT INTO messages_search(messages_search, rowid, phone, body) "
        "VALUES ('delete', OLD.id, OLD.phone, OLD.body); END"
    )
    op.execute(
        "CREATE TRIGGER messages_search_update AFTER UPDATE OF phone, body ON messages BEGIN "
        "INSERT INTO messages_search(messages_search, rowid, phone, body) "
        "VALUES ('delete', OLD.id, OLD.phone, OLD.body); "
        "INSERT INTO messages_search(rowid, phone, body) VALUES (NEW.id, NEW.phone, NEW.body); "
        "END"
    )


def _postgres_triggers() -> None:
    insert = f"INSERT INTO message_count_changes ({KEY_COLUMNS}, messages, cost) VALUES"
    op.execute(
        f"""
        CREATE FUNCTION messages_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {insert} ({_change_values(POSTGRES_DAY, "OLD", "-")});
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {insert} ({_change_values(POSTGRES_DAY, "NEW", "+")});
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER messages_count_insert_delete AFTER INSERT OR DELETE ON messages "
        "FOR EACH ROW EXECUTE FUNCTION messages_count_change()"
    )
    op.execute(
        "CREATE TRIGGER messages_count_update AFTER UPDATE OF "
        "status, price, currency, provider, event, created_at, tenant_id ON messages "
        "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status "
        "OR OLD.price IS DISTINCT FROM NEW.price OR OLD.currency IS DISTINCT FROM NEW.currency "
        "OR OLD.provider IS DISTINCT FROM NEW.provider OR OLD.event IS DISTINCT FROM NEW.event "
        "OR OLD.created_at IS DISTINCT FROM NEW.created_at "
        "OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) "
        "EXECUTE FUNCTION messages_count_change()"
    )


def _postgres_search() -> None:
    has_trgm = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
    )
    if not has_trgm:
        log.warning("pg_trgm is not available; the message log's text search works unindexed")
        return
    op.create_index(
        "ix_messages_body_trgm",
        "messages",
        ["body"],
        postgresql_using="gin",
        postgresql_ops={"body": "gin_trgm_ops"},
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _counts_tables()
    _sort_indexes()
    if dialect == "postgresql":
        _backfill_counts(POSTGRES_DAY)
        _postgres_triggers()
        _postgres_search()
    else:
        _backfill_counts(SQLITE_DAY)
        _sqlite_triggers()
        _sqlite_search()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS messages_count_insert_delete ON messages")
        op.execute("DROP TRIGGER IF EXISTS messages_count_update ON messages")
        op.execute("DROP FUNCTION IF EXISTS messages_count_change()")
        op.execute("DROP INDEX IF EXISTS ix_messages_body_trgm")
    else:
        for name in (
            "messages_count_insert",
            "messages_count_update",
            "messages_count_delete",
            "messages_search_insert",
            "messages_search_delete",
            "messages_search_update",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS messages_search")
    for column in SORT_COLUMNS:
        op.drop_index(f"ix_messages_log_{column}", table_name="messages")
        if column != "status":
            op.drop_index(f"ix_messages_log_status_{column}", table_name="messages")
    op.drop_index("ix_messages_log_created", table_name="messages")
    for name, columns in OLD_INDEXES.items():
        op.create_index(name, "messages", columns)
    op.drop_table("message_count_changes")
    op.drop_table("message_daily_counts")
