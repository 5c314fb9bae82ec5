"""The message log as CSV: every matching row, streamed in keyset batches, formula-safe.

A million rows must leave in seconds with the web process's memory flat: rows
are read :data:`EXPORT_BATCH` at a time along the sort's index (each batch its
own short read, so the export never holds a transaction open for its whole
length), as plain tuples rather than ORM objects, and each batch is yielded as
text before the next is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from saleor_sms_app.message_log.queries import LogQuery, cursor_after, filtered, sort_keys
from saleor_sms_app.message_log.rows import (
    NO_PROVIDERS,
    ProviderDirectory,
    attempt_count,
    iso_time,
    price_text,
)
from saleor_sms_app.models import Message, mask_phone

CSV_COLUMNS = (
    "created_at",
    "event",
    "order_number",
    "rule_name",
    "recipient_type",
    "phone",
    "sender",
    "body",
    "segments",
    "encoding",
    "provider",
    "provider_name",
    "attempt_count",
    "status",
    "delivery_code",
    "error_code",
    "error_text",
    "error_hint",
    "price",
    "currency",
    "direction",
)
#: What each CSV row is read from, in :data:`CSV_COLUMNS` order (provider_id
#: stands in for provider_name, which is looked up).
_SOURCE = (
    Message.created_at,
    Message.event,
    Message.order_number,
    Message.rule_name,
    Message.recipient_type,
    Message.phone,
    Message.sender,
    Message.body,
    Message.segments,
    Message.encoding,
    Message.provider,
    Message.provider_id,
)
_TAIL = (
    Message.status,
    Message.delivery_code,
    Message.error_code,
    Message.error_text,
    Message.error_hint,
    Message.price,
    Message.currency,
    Message.direction,
)
EXPORT_BATCH = 5000

#: A spreadsheet treats a cell starting with these as a formula (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """A CSV cell a spreadsheet will show as text, never run as a formula (OWASP advice)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_chunks(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """``rows`` as CSV text under a header of ``columns``, a chunk per 500 rows (so a
    large export streams), every cell :func:`neutralise_cell`-ed (the Suppressions
    screen's export)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise_cell(row[c]) for c in columns])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cells(row: Any, providers: ProviderDirectory) -> list[str]:
    (created_at, event, order_number, rule_name, recipient_type, phone, sender, body) = row[:8]
    (segments, encoding, provider, provider_id, attempts) = row[8:13]
    (status, delivery_code, error_code, error_text, error_hint, price, currency, direction) = row[
        13:21
    ]
    values: tuple[object, ...] = (
        iso_time(created_at),
        event,
        order_number,
        rule_name,
        recipient_type,
        mask_phone(phone),
        sender,
        body,
        segments,
        encoding,
        provider,
        providers.name(provider_id),
        attempts,
        status,
        delivery_code,
        error_code,
        error_text,
        error_hint,
        price_text(price),
        currency,
        direction,
    )
    return [neutralise_cell(v) for v in values]


def export_csv(
    session: Session,
    tenant_id: int,
    query: LogQuery,
    providers: ProviderDirectory = NO_PROVIDERS,
) -> Iterator[str]:
    """Every matching row (not only one page) as CSV text, a chunk per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    batch = replace(query, after=None, page=1)
    keys = sort_keys(query.sort)
    columns = (*_SOURCE, attempt_count(), *_TAIL, *keys)
    while True:
        statement = filtered(session, tenant_id, batch, *columns).limit(EXPORT_BATCH)
        rows = session.execute(statement).all()
        # End the read: the next batch starts a fresh one, so a long export
        # never pins old row versions (PostgreSQL) or the WAL (SQLite).
        session.rollback()
        writer.writerows(_cells(row, providers) for row in rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < EXPORT_BATCH:
            return
        batch = replace(batch, after=cursor_after(query.sort, rows[-1][21:]))
