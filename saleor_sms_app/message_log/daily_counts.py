"""The log's chart: messages per day by status with cost, from a small table, not the rows.

Triggers on ``messages`` (migration 0007) append a +1/-1 row to
``message_count_changes`` in the same transaction as every insert, status or
price change and delete, whichever code path made it; :func:`fold_count_changes`
(the worker's periodic maintenance) adds them into ``message_daily_counts``.
The chart reads both, so it is exact at every moment and reads a few hundred
rows for a month however many messages the shop sent. A search has no such
table: its chart groups the (few) matching rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import BadRequest
from saleor_sms_app.message_log.queries import LogQuery, matching
from saleor_sms_app.models import Message, MessageCountChange, MessageDailyCount, Tenant

#: The chart covers at most this many days so one request stays cheap.
MAX_CHART_DAYS = 366
#: Changes folded per transaction (keeps each fold's lock short).
FOLD_BATCH = 10_000

_KEY = ("tenant_id", "day", "status", "event", "provider", "currency")


def _chart_range(query: LogQuery) -> tuple[date, date | None]:
    date_from, date_to = query.date_from, query.date_to
    if date_from is None:
        date_from = (date_to or datetime.now(UTC).date()) - timedelta(days=29)
    if date_to is not None and (date_to - date_from).days > MAX_CHART_DAYS:
        raise BadRequest(f"the chart covers at most {MAX_CHART_DAYS} days", code="invalid_filter")
    return date_from, date_to


def daily_counts(session: Session, tenant_id: int, query: LogQuery) -> list[dict[str, Any]]:
    """Messages per UTC day and status, with the summed cost per currency where known.

    Without a date range the chart shows the last 30 days; a range longer than
    :data:`MAX_CHART_DAYS` is refused rather than read.
    """
    date_from, date_to = _chart_range(query)
    if query.search:
        return _from_rows(session, tenant_id, query, date_from, date_to)
    parts = []
    for table in (MessageDailyCount, MessageCountChange):
        conditions = [table.tenant_id == tenant_id, table.day >= date_from]
        if date_to is not None:
            conditions.append(table.day <= date_to)
        if query.statuses:
            conditions.append(table.status.in_(query.statuses))
        if query.events:
            conditions.append(table.event.in_(query.events))
        if query.providers:
            conditions.append(table.provider.in_(query.providers))
        parts.append(
            select(table.day, table.status, table.currency, table.messages, table.cost).where(
                *conditions
            )
        )
    both = union_all(*parts).subquery()
    statement = (
        select(
            both.c.day,
            both.c.status,
            both.c.currency,
            func.sum(both.c.messages),
            func.sum(both.c.cost),
        )
        .group_by(both.c.day, both.c.status, both.c.currency)
        .order_by(both.c.day, both.c.status)
    )
    return _merge(
        (str(r[0]), r[1], r[2] or None, int(r[3] or 0), r[4]) for r in session.execute(statement)
    )


def _from_rows(
    session: Session, tenant_id: int, query: LogQuery, date_from: date, date_to: date | None
) -> list[dict[str, Any]]:
    ranged = LogQuery(
        date_from=date_from,
        date_to=date_to,
        statuses=query.statuses,
        events=query.events,
        providers=query.providers,
        search=query.search,
    )
    day = func.date(Message.created_at)
    statement = (
        select(day, Message.status, Message.currency, func.count(), func.sum(Message.price))
        .where(matching(session, tenant_id, ranged))
        .group_by(day, Message.status, Message.currency)
        .order_by(day)
    )
    return _merge((str(r[0]), r[1], r[2], int(r[3]), r[4]) for r in session.execute(statement))


def _merge(rows: Any) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for day, status, currency, count, cost in rows:
        if not count:
            continue  # every message of that group changed status since
        entry = merged.setdefault(
            (day, status), {"day": day, "status": status, "count": 0, "cost": {}}
        )
        entry["count"] += count
        if cost is not None and currency:
            amount = Decimal(str(cost)).quantize(Decimal("0.00001"))
            if amount:
                entry["cost"][currency] = str(amount.normalize())
    return list(merged.values())


def fold_count_changes(session: Session, batch: int = FOLD_BATCH) -> int:
    """Add up to ``batch`` pending changes into the daily counts; how many were folded.

    The changes are deleted with ``RETURNING``: two folds at once each get
    only the rows they deleted, so nothing is counted twice, and the count
    rows are upserted in key order, so two folds never deadlock. Changes of a
    tenant deleted since are dropped. The caller commits.
    """
    upto = session.scalar(
        select(MessageCountChange.id).order_by(MessageCountChange.id).offset(batch - 1).limit(1)
    )
    statement = delete(MessageCountChange)
    if upto is not None:
        statement = statement.where(MessageCountChange.id <= upto)
    taken = session.execute(
        statement.returning(
            *[getattr(MessageCountChange, k) for k in _KEY],
            MessageCountChange.messages,
            MessageCountChange.cost,
        )
    ).all()
    if not taken:
        return 0
    sums: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for row in taken:
        entry = sums[tuple(row[:6])]
        entry[0] += row[6]
        entry[1] += Decimal(str(row[7]))
    tenants = set(session.scalars(select(Tenant.id).where(Tenant.id.in_({k[0] for k in sums}))))
    values = [
        {**dict(zip(_KEY, key, strict=True)), "messages": n, "cost": cost}
        for key, (n, cost) in sorted(sums.items(), key=lambda item: str(item[0]))
        if key[0] in tenants and (n or cost)
    ]
    if values:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        upsert = insert(MessageDailyCount)
        upsert = upsert.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={
                "messages": MessageDailyCount.messages + upsert.excluded.messages,
                "cost": MessageDailyCount.cost + upsert.excluded.cost,
            },
        )
        for value in values:
            session.execute(upsert, value)
        session.execute(
            delete(MessageDailyCount).where(
                MessageDailyCount.messages == 0, MessageDailyCount.cost == 0
            )
        )
    return len(taken)


def fold_pending_counts(sessions: sessionmaker[Session], *, limit: int = 100) -> int:
    """Fold every pending change, one short transaction per :data:`FOLD_BATCH` (at most
    ``limit`` of them, so one maintenance run stays bounded); how many were folded."""
    total = 0
    for _ in range(limit):
        with session_scope(sessions) as session:
            folded = fold_count_changes(session)
        total += folded
        if folded < FOLD_BATCH:
            break
    return total
