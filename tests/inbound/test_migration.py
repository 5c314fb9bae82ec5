"""Migration 0004 on a database holding old data: every message stays, as outbound."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from saleor_sms_app.migrate import alembic_config, upgrade


def test_old_messages_read_as_outbound_and_links_table_exists(tmp_path: Path) -> None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        # PostgreSQL (make test-postgres): a database of its own, dropped afterwards.
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        name = f"sms_mig_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        target = admin.url.set(database=name).render_as_string(hide_password=False)
    else:
        admin, name = None, ""
        target = f"sqlite:///{tmp_path / 'old.db'}"
    try:
        upgrade(target, "0003")
        engine = create_engine(target)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tenants (id, saleor_api_url, saleor_domain, app_id, jwks, "
                    "saleor_version, installed_at, updated_at) VALUES (1, 'https://a/graphql/', "
                    "'a', 'A', '{}', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            for i in range(3):
                conn.execute(
                    text(
                        "INSERT INTO messages (tenant_id, dedupe_key, created_at, updated_at, "
                        "event, recipient_type, phone, body, segments, encoding, status) VALUES "
                        f"(1, 'k{i}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'ORDER_CREATED', "
                        f"'customer', '+4860123456{i}', 'Order {i}', 1, 'GSM-7', 'sent')"
                    )
                )
        engine.dispose()

        upgrade(target)
        engine = create_engine(target)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT body, direction FROM messages ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [(f"Order {i}", "outbound") for i in range(3)]
            assert conn.execute(text("SELECT count(*) FROM short_links")).scalar() == 0
        engine.dispose()
        # And back down, for an operator who must roll back.
        from alembic import command

        command.downgrade(alembic_config(target), "0003")
        engine = create_engine(target)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM messages")).scalar() == 3
        engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
