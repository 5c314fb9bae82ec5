"""One row of the message log, written at most once per de-duplication key.

Every message — an order text, a staff alert, a low-balance alert, a test
message — enters the log here; only a logged ``queued`` row is ever sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from saleor_sms_app.db import insert_many_once, insert_once
from saleor_sms_app.models import Message, utcnow


def insert_message(session: Session, row: Mapping[str, Any]) -> int | None:
    """Insert one log row; None if the tenant already has one with this ``dedupe_key``.

    ``ON CONFLICT DO NOTHING`` on the unique key, so two workers racing on the
    same webhook both succeed and exactly one row exists afterwards.
    """
    values = {"created_at": utcnow(), "updated_at": utcnow(), **row}
    return insert_once(session, Message, values, ["tenant_id", "dedupe_key"])


def insert_messages(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert many log rows at once (:func:`insert_message` each): ``dedupe_key`` → new id.

    A row whose key the tenant already has is not in the answer. One statement
    per couple of hundred rows: a batch of due runs logs its messages together.
    """
    now = utcnow()
    values = [{"created_at": now, "updated_at": now, **row} for row in rows]
    return insert_many_once(session, Message, values, ["tenant_id", "dedupe_key"], "dedupe_key")
