"""Migrations that only PostgreSQL runs: the phone-search index and its fallback."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, delete, insert, text
from sqlalchemy.dialects import postgresql

from saleor_sms_app import logsearch
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.models import Message, Tenant

PHONE_INDEX = "ix_messages_phone_trgm"


def _postgres() -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL only (CI's `make test-postgres` sets TEST_DATABASE_URL)")
    return base.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def admin() -> Iterator[Engine]:
    engine = create_engine(_postgres(), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _indexes(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = conn.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'messages'"))
        found = set(names)
    engine.dispose()
    return found


def test_the_phone_search_uses_the_trigram_index(database_url: str) -> None:
    _postgres()
    assert PHONE_INDEX in _indexes(database_url)
    engine = create_engine(database_url)
    rows = [
        {
            "tenant_id": 1,
            "dedupe_key": f"k{i}",
            "event": "ORDER_CREATED",
            "recipient_type": "customer",
            "phone": f"+4850{i * 7919 % 10**7:07d}",
            "body": "Order 1 is confirmed",
            "status": "sent",
        }
        for i in range(20_000)
    ]
    query = logsearch._filtered(1, logsearch.LogQuery(search="601 234")).limit(50)
    compiled = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    try:
        with engine.begin() as conn:
            conn.execute(insert(Tenant), [{"id": 1, "saleor_api_url": "https://a/", "app_id": "A"}])
            conn.execute(insert(Message), rows)
        with engine.connect() as conn:
            conn.execute(text("ANALYZE messages"))
            # Short rows fit in few pages, which a scan reads fastest; with
            # scans off the planner must still find an index that fits the query.
            conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(conn.scalars(text(f"EXPLAIN {compiled}")))
    finally:
        with engine.begin() as conn:
            conn.execute(delete(Message))
            conn.execute(delete(Tenant))
        engine.dispose()
    assert PHONE_INDEX in plan, plan


def test_without_pg_trgm_the_migration_goes_on_without_the_index(
    admin: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A role that may create tables but not extensions (a locked-down managed database)."""
    name, role = f"sms_locked_{uuid.uuid4().hex[:8]}", f"sms_app_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'REVOKE CREATE ON DATABASE "{name}" FROM PUBLIC'))
    base = admin.url.set(database=name)
    schema_admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with schema_admin.connect() as conn:
        conn.execute(text(f'GRANT CREATE ON SCHEMA public TO "{role}"'))
    schema_admin.dispose()
    url = base.set(username=role).render_as_string(hide_password=False)
    try:
        with caplog.at_level(logging.WARNING):
            upgrade(url)
        assert "pg_trgm is not available" in caplog.text
        indexes = _indexes(url)
        assert PHONE_INDEX not in indexes
        assert "ix_messages_tenant_phone" in indexes  # the rest of the schema is there
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
