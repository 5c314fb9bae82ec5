"""Migration 0013_dailyextras_repeat on daily sends saved before it: every row kept, each
still "N after, once" (or a birthday), none deleted (SQLite, or PostgreSQL under
``make test-postgres``)."""

from __future__ import annotations

from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from saleor_sms_app.anniversaries import store as daily
from saleor_sms_app.anniversaries.dates import Repeat, Source, Unit
from saleor_sms_app.anniversaries.tables import DailySend
from saleor_sms_app.campaigns.audience import Audience
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.models import Tenant
from tests.test_migrations import old_database

__all__ = ["old_database"]

OLD = (
    "INSERT INTO daily_sends (id, tenant_id, idempotency_key, name, enabled, hour, source, "
    "date_key, offset_amount, offset_unit, audience, template, created_by, created_at, "
    "updated_at) VALUES (:id, 1, :key, :name, :enabled, 9, :source, :date_key, :amount, "
    ":unit, :audience, 'Hi', 'owner', '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
)


def test_daily_sends_saved_before_keep_doing_what_they_did(old_database: str) -> None:
    upgrade(old_database, "0012_logspeed3_attempt_count")
    engine = create_engine(old_database)
    rows = [
        ("year", "joined", "", 1, "years", True),
        ("month", "last_order", "", 1, "months", False),
        ("date", "metadata_date", "signed", 30, "days", True),
        ("bday", "birthday", "birthday", 0, "days", True),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(Tenant), [{"id": 1, "saleor_api_url": "https://a/graphql/", "app_id": "A"}]
        )
        for n, (name, source, key, amount, unit, enabled) in enumerate(rows, start=1):
            conn.execute(
                text(OLD),
                {
                    "id": n,
                    "key": f"key-{name}",
                    "name": name,
                    "enabled": enabled,
                    "source": source,
                    "date_key": key,
                    "amount": amount,
                    "unit": unit,
                    "audience": '{"country": "PL"}',
                },
            )
    engine.dispose()

    upgrade(old_database)

    engine = create_engine(old_database)
    try:
        with Session(engine) as session:
            found = {s.name: s for s in daily.listed(session, 1)}
            assert sorted(found) == ["bday", "date", "month", "year"]
            for name, source, key, amount, unit, enabled in rows:
                send = found[name]
                assert (send.repeat, send.days_before, send.from_year) == ("once", 0, 1)
                assert (send.deleted_at, send.keys_of, send.key_id) == (None, None, send.id)
                assert send.enabled is enabled and send.template == "Hi"
                expected = daily.Selection(
                    Source(source),
                    key,
                    amount,
                    Unit(unit),
                    Audience.from_json({"country": "PL"}),
                    Repeat.YEARLY if source == "birthday" else Repeat.ONCE,
                )
                assert daily.Selection.of(send) == expected
            assert session.get(DailySend, 1) is not None
    finally:
        engine.dispose()
