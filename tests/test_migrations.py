"""Migrations: the phone-search index and its fallback (PostgreSQL), and the message log's
speed migration upgrading a log full of old rows (both databases)."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from saleor_sms_app.automations import caps
from saleor_sms_app.message_log import daily_counts, queries
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.models import Message, MessageAttempt, Tenant

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
    try:
        with engine.begin() as conn:
            conn.execute(insert(Tenant), [{"id": 1, "saleor_api_url": "https://a/", "app_id": "A"}])
            conn.execute(insert(Message), rows)
        with Session(engine) as session:
            query = queries.filtered(session, 1, queries.LogQuery(search="601 234")).limit(50)
        compiled = query.compile(
            # SQLAlchemy leaves its dialects' __init__ unannotated.
            dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True},
        )
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
        assert "ix_messages_log_phone" in indexes  # the rest of the schema is there
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


def _fresh_database(tmp_path: Any, admin_url: str | None) -> Iterator[str]:
    if admin_url is None:
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"sms_old_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def old_database(tmp_path: Any) -> Iterator[str]:
    """An empty database for one test, on SQLite or (under make test-postgres) PostgreSQL."""
    base = os.environ.get("TEST_DATABASE_URL")
    admin_url = base.replace("postgresql://", "postgresql+psycopg://", 1) if base else None
    yield from _fresh_database(tmp_path, admin_url)


def test_0007_upgrades_a_log_full_of_messages_without_losing_one(old_database: str) -> None:
    """The speed migration on a log written by the previous schema (outbound and inbound
    rows): every row stays, the per-day counts equal a recount and the search index finds
    the old messages."""
    upgrade(old_database, "0005_webhook_sync_marker")
    engine = create_engine(old_database)
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    statuses = ["queued", "sent", "delivered", "failed", "skipped"]
    rows = [
        {
            "tenant_id": 1 + i % 2,
            "dedupe_key": f"old-{i}",
            "created_at": now - timedelta(hours=7 * i),
            "updated_at": now,
            "direction": "inbound" if i % 7 == 3 else "outbound",
            "event": ("INBOUND" if i % 7 == 3 else "ORDER_CREATED") if i % 3 else "ORDER_FULFILLED",
            "order_number": None if i % 5 == 0 else str(900 + i),
            "recipient_type": "customer",
            "phone": f"+4860{i:07d}",
            "body": f"Old message {i} about parcel JJD{i:05d}",
            "provider": None if i % 4 == 0 else "twilio",
            "status": statuses[i % len(statuses)],
            "price": Decimal("0.04") if i % 2 else None,
            "currency": "EUR" if i % 2 else None,
        }
        for i in range(300)
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(Tenant),
            [
                {"id": 1, "saleor_api_url": "https://a/graphql/", "app_id": "A"},
                {"id": 2, "saleor_api_url": "https://b/graphql/", "app_id": "B"},
            ],
        )
        conn.execute(insert(Message), rows)
    engine.dispose()

    upgrade(old_database)

    engine = create_engine(old_database)
    try:
        with engine.connect() as conn:
            kept = conn.execute(
                select(Message.dedupe_key, Message.status, Message.phone).order_by(Message.id)
            ).all()
        assert kept == [(r["dedupe_key"], r["status"], r["phone"]) for r in rows]
        with Session(engine) as session:
            for tenant_id in (1, 2):
                query = queries.LogQuery(date_from=date(2026, 1, 1), date_to=date(2026, 11, 20))
                counted = daily_counts.daily_counts(session, tenant_id, query)
                recounted = daily_counts._from_rows(
                    session, tenant_id, query, date(2026, 1, 1), date(2026, 11, 20)
                )
                assert sorted(map(str, counted)) == sorted(map(str, recounted))
                assert sum(d["count"] for d in counted) == 150
            found = session.scalars(
                queries.filtered(session, 2, queries.LogQuery(search="JJD00077"))
            ).all()
            assert [m.dedupe_key for m in found] == ["old-77"]
            by_phone = session.scalars(
                queries.filtered(session, 1, queries.LogQuery(search="60 0000 128"))
            ).all()
            assert [m.dedupe_key for m in by_phone] == ["old-128"]
    finally:
        engine.dispose()


def _one_shop_log(conn: Connection, messages: list[dict[str, Any]], now: datetime) -> None:
    """Shop 1 and its sent messages ``old-0``, ``old-1`` … an hour apart, each with ``messages``'
    values, written by the current model's columns that every schema since 0001 has."""
    conn.execute(insert(Tenant), [{"id": 1, "saleor_api_url": "https://a/graphql/", "app_id": "A"}])
    conn.execute(
        insert(Message),
        [
            {
                "tenant_id": 1,
                "dedupe_key": f"old-{i}",
                "created_at": now - timedelta(hours=i),
                "updated_at": now,
                "event": "ORDER_CREATED",
                "recipient_type": "customer",
                "status": "sent",
                **values,
            }
            for i, values in enumerate(messages)
        ],
    )


def test_0008_adds_the_marketing_flag_without_touching_a_row(old_database: str) -> None:
    """The caps' column on a log written before it: every row kept, none counted as marketing,
    and a number's marketing texts are read from the partial index, not by a scan."""
    upgrade(old_database, "0007_message_log_speed")
    engine = create_engine(old_database)
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        _one_shop_log(conn, [{"phone": "+48601234567"} for _ in range(50)], now)
    engine.dispose()

    upgrade(old_database)

    engine = create_engine(old_database)
    try:
        with Session(engine) as session:
            kept = session.execute(select(Message.dedupe_key, Message.marketing)).all()
            assert sorted(kept) == sorted((f"old-{i}", False) for i in range(50))
            assert caps.marketing_counts(session, 1, "+48601234567", now) == (0, 0)
            if engine.dialect.name == "sqlite":
                plan = session.execute(
                    text(
                        "EXPLAIN QUERY PLAN SELECT count(*) FROM messages WHERE tenant_id = 1 "
                        "AND phone = '+48601234567' AND marketing AND created_at > '2026-11-01'"
                    )
                ).all()
                assert "ix_messages_marketing_phone" in " ".join(str(r) for r in plan)
    finally:
        engine.dispose()


def test_0013_counts_every_message_s_attempts_and_keeps_counting(old_database: str) -> None:
    """The attempt count moved onto the message: on a log written before it every row
    is kept and holds its number of attempts, and the triggers keep it equal to a
    recount as attempts are added, moved, deleted, or go with their message."""
    upgrade(old_database, "0012_birthdays_daily_sends")
    engine = create_engine(old_database)
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        _one_shop_log(conn, [{"id": 1 + i, "phone": f"+4860{i:07d}"} for i in range(30)], now)
        conn.execute(
            insert(MessageAttempt),
            [
                {"message_id": 1 + i, "provider_id": "p", "provider": "sandbox", "status": "sent"}
                for i in range(30)
                for _ in range(i % 4)  # none, one, two or three attempts
            ],
        )
    engine.dispose()

    upgrade(old_database)

    engine = create_engine(old_database)

    def counts() -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        with engine.connect() as conn:
            kept = conn.execute(
                select(Message.dedupe_key, Message.attempt_count).order_by(Message.id)
            ).all()
            recount = conn.execute(
                select(Message.dedupe_key, func.count(MessageAttempt.id))
                .outerjoin(MessageAttempt, MessageAttempt.message_id == Message.id)
                .group_by(Message.id, Message.dedupe_key)
                .order_by(Message.id)
            ).all()
        return [tuple(r) for r in kept], [tuple(r) for r in recount]  # type: ignore[misc]

    try:
        kept, recount = counts()
        assert kept == [(f"old-{i}", i % 4) for i in range(30)] == recount
        with engine.begin() as conn:
            conn.execute(
                insert(MessageAttempt),
                [{"message_id": 1, "provider_id": "p", "provider": "sandbox", "status": "sent"}],
            )
            conn.execute(
                update(MessageAttempt).where(MessageAttempt.message_id == 3).values(message_id=5)
            )
            conn.execute(delete(MessageAttempt).where(MessageAttempt.message_id == 4))
            conn.execute(delete(Message).where(Message.id == 8))
        kept, recount = counts()
        assert kept == recount
        by_key = dict(kept)
        # Added to old-0 (id 1), old-2's two moved to old-4, old-3's three deleted.
        assert [by_key[f"old-{i}"] for i in (0, 2, 3, 4)] == [1, 0, 0, 2]
        assert "old-7" not in by_key
    finally:
        engine.dispose()
