"""What "nothing changed" means in the security tests: every row of every table,
the tenant's stored metadata in the Saleor stand-in, and what providers received."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from saleor_sms_app.models import Base
from saleor_sms_app.services import Services
from tests.standin.saleor import SaleorStandin


def database_rows(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every row of every table, in a stable order."""
    rows = {}
    with services.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            found = conn.execute(select(table)).all()
            rows[table.name] = sorted((tuple(r) for r in found), key=repr)
    return rows


def state(services: Services, *saleors: SaleorStandin) -> dict[str, Any]:
    return {
        "database": database_rows(services),
        "metadata": [dict(s.app_private_metadata) for s in saleors],
        "outbox": (
            services.settings.sandbox_outbox.read_text()
            if services.settings.sandbox_outbox.exists()
            else ""
        ),
    }
