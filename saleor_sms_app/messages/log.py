"""One row of the message log, written at most once per de-duplication key.

Every message — an order text, a staff alert, a low-balance alert, a test
message — enters the log here; only a logged ``queued`` row is ever sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from saleor_sms_app.models import Message, utcnow


def insert_message(session: Session, row: Mapping[str, Any]) -> int | None:
    """Insert one log row; None if the tenant already has one with this ``dedupe_key``.

    ``ON CONFLICT DO NOTHING`` on the unique key, so two workers racing on the
    same webhook both succeed and exactly one row exists afterwards.
    """
    values = {"created_at": utcnow(), "updated_at": utcnow(), **row}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = (
            postgresql.insert(Message)
            .values(values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "dedupe_key"])
        )
    elif dialect == "sqlite":
        stmt = (
            sqlite.insert(Message)
            .values(values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "dedupe_key"])
        )
    else:  # pragma: no cover - only the two supported databases reach here
        stmt = insert(Message).values(values)
    new_id = session.execute(stmt.returning(Message.id)).scalar_one_or_none()
    return int(new_id) if new_id is not None else None
