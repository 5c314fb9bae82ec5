"""Queries over the message log for the dashboard: filter, sort, search, pages.

Framework-free: the Flask layer turns query-string arguments into a
:class:`LogQuery` (:meth:`LogQuery.from_args`, which names the bad field when an
argument is wrong). Every query is scoped to one tenant first; nothing here can
reach another tenant's rows.

Built for a million messages per shop (issue 12): a page is a keyset read
along the index of its sort column (``models.LOG_SORT_COLUMNS``), continuing
after the last row shown (:class:`Cursor`) instead of counting past every row
before it; the total stops at :data:`COUNT_CAP` ("1,000+"); a search reads the
matching ids from the text index (SQLite FTS5 trigram ``messages_search``,
PostgreSQL pg_trgm) and the order-number index (:mod:`text_search`). On SQLite a
walk over a date window starts at the window's edge (:func:`_walk_start`). The
CSV is in ``csv_export``, the chart in ``daily_counts``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

# Re-exported: the log's callers import the query types from here.
from saleor_sms_app.message_log.log_query import SORTABLE as SORTABLE
from saleor_sms_app.message_log.log_query import Cursor as Cursor
from saleor_sms_app.message_log.log_query import LogQuery as LogQuery
from saleor_sms_app.message_log.rows import (
    NO_PROVIDERS,
    ProviderDirectory,
    iso_time,
    message_row,
)
from saleor_sms_app.message_log.text_search import search_ids
from saleor_sms_app.message_templates.links import clicks_by_message
from saleor_sms_app.models import LOG_SORT_COLUMNS, Message, MessageStatus, log_sort_key

#: A page says "1,000+" rather than count a million rows on every click; at or
#: under the cap the rows are few enough to sort in memory (:func:`filtered`).
COUNT_CAP = 1_000


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _conditions(
    session: Session,
    tenant_id: int,
    query: LogQuery,
    *,
    walk: bool = False,
    ids: Sequence[int] | None = None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Message.tenant_id == tenant_id]
    created: ColumnElement[Any] = Message.created_at.expression
    if walk:
        # A sorted walk filters the dates as it goes; as an index range SQLite
        # would skip-scan the sort index by them and then sort every match.
        created = func.coalesce(created, created)
    if query.date_from:
        conditions.append(created >= _day_start(query.date_from))
    if query.date_to:
        conditions.append(created < _day_start(query.date_to + timedelta(days=1)))
    if query.statuses:
        conditions.append(log_sort_key("status").in_(query.statuses))
    if query.events:
        conditions.append(log_sort_key("event").in_(query.events))
    if query.providers:
        conditions.append(log_sort_key("provider").in_(query.providers))
    if ids is not None and session.get_bind().dialect.name == "postgresql":
        # One array parameter: a thousand-value IN list costs PostgreSQL more to
        # parse and plan than the page's read.
        conditions.append(Message.id == any_(bindparam("ids", list(ids), type_=ARRAY(Integer))))
    elif ids is not None:
        conditions.append(Message.id.in_(ids))
    elif query.search:
        conditions.append(Message.id.in_(search_ids(session, tenant_id, query.search)))
    return conditions


def sort_keys(sort: str) -> list[ColumnElement[Any]]:
    """The ORDER BY of a sort, which is also the keyset and its index's column order."""
    if sort == "created_at":
        return [Message.created_at.expression, Message.id.expression]
    return [log_sort_key(sort), Message.created_at.expression, Message.id.expression]


def cursor_after(sort: str, row: Sequence[Any]) -> Cursor:
    """The cursor that continues after ``row`` (its sort key values, in order)."""
    *head, when, row_id = row
    if isinstance(when, datetime) and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return Cursor(sort, (*head, when, int(row_id)))


def sort_index(query: LogQuery) -> str:
    """The index a sorted walk over ``query`` reads: the sort column's, or, when one status
    is asked for, the status-prefixed one (statuses correlate with reasons and providers:
    failed messages all sort after the 800,000 delivered ones without a reason)."""
    column = "created" if query.sort == "created_at" else query.sort
    if len(query.statuses) == 1 and query.sort != "status":
        return (
            f"ix_messages_log_status_{column}" if column != "created" else "ix_messages_log_status"
        )
    return f"ix_messages_log_{column}"


def _walk_start(session: Session, tenant_id: int, query: LogQuery) -> Cursor | None:
    """Where a sorted walk over a date window can start: the later of the cursor and the
    window's first possible key in the walk's order.

    A walk goes along (sort column, created_at, id). Without this, "by recipient type,
    last 30 days" (one value for every row) starts at the shop's oldest message and
    passes two months of rows before the window (issue 12). Starting at (the first
    value, the window's edge) skips them; every row in the window comes after that
    key, so no row is lost. Past the first value the walk still passes the next
    value's rows outside the window, as before.
    """
    if query.descending:
        edge = _day_start(query.date_to + timedelta(days=1)) if query.date_to else None
    else:
        edge = _day_start(query.date_from) if query.date_from else None
    after = query.after
    if edge is None:
        return after
    if after is not None:
        *head, when, _ = after.values
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        outside = when >= edge if query.descending else when < edge
        return Cursor(query.sort, (*head, edge, 0)) if outside else after
    if query.sort == "created_at":
        return Cursor(query.sort, (edge, 0))
    first = func.max if query.descending else func.min
    value = session.scalar(
        select(first(log_sort_key(query.sort))).where(Message.tenant_id == tenant_id)
    )
    return None if value is None else Cursor(query.sort, (value, edge, 0))


def filtered(
    session: Session,
    tenant_id: int,
    query: LogQuery,
    *columns: Any,
    few: bool = False,
    ids: Sequence[int] | None = None,
    part: int = 0,
) -> Select[Any]:
    """``columns`` (default: the message) of the matching rows, in the asked order,
    after the cursor when there is one (``part``: see :func:`walk_statements`).

    ``few``: the filter matches few rows (a search, or a count under the cap),
    so they are found through the filter's index and sorted in memory. Else
    the rows are read in order along the sort's index (:func:`sort_index`),
    stopping after a page; SQLite is told which, PostgreSQL's planner has the
    statistics to choose it.

    ``ids``: every matching row's id, already found (:func:`search_matches`), so
    the search is not run again; the other conditions and the cursor still apply.
    """
    keys = sort_keys(query.sort)
    few = few or bool(query.search)
    walk = not few and session.get_bind().dialect.name == "sqlite"
    conditions = _conditions(session, tenant_id, query, walk=walk, ids=ids)
    if walk:
        query = replace(query, after=_walk_start(session, tenant_id, query))
    if query.after is not None:
        conditions.append(_after(keys, query.after.values, query.descending, part))
    # The rest of one value (part 1) is in time order: an ORDER BY naming the fixed
    # value's expression would make SQLite sort the rows instead of reading them so.
    ordering: list[ColumnElement[Any]] = keys[1:] if part == 1 else keys
    if few:
        # Ordering by an expression keeps the planner from walking the whole
        # tenant in index order to find a handful of rows.
        ordering = [func.coalesce(k, k) for k in keys]
    statement = (
        select(*(columns or (Message,)))
        .where(*conditions)
        .order_by(*[k.desc() if query.descending else k.asc() for k in ordering])
    )
    if not few:
        statement = statement.with_hint(Message, f"INDEXED BY {sort_index(query)}", "sqlite")
    return statement


def _after(
    keys: list[ColumnElement[Any]], values: Sequence[Any], descending: bool, part: int
) -> ColumnElement[bool]:
    """Rows after the cursor ``values`` in the sort ``keys``: all of them (``part`` 0), or
    the rest of the cursor's sort value (1), or the values after it (2)."""

    def beyond(ks: list[ColumnElement[Any]], vs: Sequence[Any]) -> ColumnElement[bool]:
        bound = tuple_(*ks)
        given = tuple_(*[literal(v, type_=k.type) for v, k in zip(vs, ks, strict=True)])
        return bound < given if descending else bound > given

    if part == 0:
        return beyond(keys, values)
    if part == 1:
        return and_(keys[0] == literal(values[0], type_=keys[0].type), beyond(keys[1:], values[1:]))
    return beyond(keys[:1], values[:1])


def walk_statements(
    session: Session,
    tenant_id: int,
    query: LogQuery,
    *columns: Any,
    few: bool = False,
    ids: Sequence[int] | None = None,
) -> list[Select[Any]]:
    """The statements that read :func:`filtered`'s rows, to be read in turn (:func:`read_in_turn`).

    One, except on SQLite when a walk continues from a cursor (or from a date
    window's edge) along a column indexed as ``coalesce(column, '')``: SQLite
    reads a row value as an index range only over plain columns, so in one
    statement the walk would start at the shop's first entry of the index
    (issue 12: "error_code, last 30 days" passed 500,000 entries). Two then: the
    rest of the cursor's value (that value, then a range of time and id), and
    the values after it (a range of the column).
    """
    walk = not (few or query.search) and session.get_bind().dialect.name == "sqlite"
    if walk:
        query = replace(query, after=_walk_start(session, tenant_id, query))
    if not walk or query.after is None or not LOG_SORT_COLUMNS.get(query.sort):
        return [filtered(session, tenant_id, query, *columns, few=few, ids=ids)]
    return [filtered(session, tenant_id, query, *columns, part=part) for part in (1, 2)]


def read_in_turn(
    statements: Sequence[Select[Any]], limit: int, run: Callable[[Select[Any]], Sequence[Any]]
) -> list[Any]:
    """Up to ``limit`` rows of ``statements`` read one after another (each ``run``)."""
    found: list[Any] = []
    for statement in statements:
        found += run(statement.limit(limit - len(found)))
        if len(found) >= limit:
            break
    return found


def matching(session: Session, tenant_id: int, query: LogQuery) -> ColumnElement[bool]:
    """The query's filter (tenant, dates, statuses, events, providers, search) as one condition."""
    return and_(*_conditions(session, tenant_id, query))


def count_matching(session: Session, tenant_id: int, query: LogQuery, cap: int = COUNT_CAP) -> int:
    """How many rows match, counting no further than ``cap + 1``."""
    limited = (
        select(literal(1)).where(*_conditions(session, tenant_id, query)).limit(cap + 1).subquery()
    )
    return int(session.scalar(select(func.count()).select_from(limited)) or 0)


def search_matches(session: Session, tenant_id: int, query: LogQuery) -> list[int] | None:
    """The ids of the rows a search matches, at most :data:`COUNT_CAP` + 1 of them
    (so: all of them when there are no more than the cap); ``None`` when nothing is
    searched.

    A search's text-index lookup is most of its cost (the trigrams every text
    shares have long lists, issue 12); found once, its ids serve both the count
    and the page instead of the page running the lookup a second time.
    """
    if not query.search:
        return None
    found = session.scalars(
        select(Message.id).where(*_conditions(session, tenant_id, query)).limit(COUNT_CAP + 1)
    ).all()
    return list(found)


@dataclass(frozen=True)
class LogPage:
    rows: list[dict[str, Any]]
    #: Matching rows, at most :data:`COUNT_CAP`; ``capped`` when there are more.
    total: int
    capped: bool
    page: int
    per_page: int
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "total": self.total,
            "total_capped": self.capped,
            "page": self.page,
            "per_page": self.per_page,
            "pages": max(1, -(-self.total // self.per_page)),
            "next_cursor": self.next_cursor,
        }


def search_messages(
    session: Session,
    tenant_id: int,
    query: LogQuery,
    providers: ProviderDirectory = NO_PROVIDERS,
) -> LogPage:
    """One page of the tenant's log, how many rows match (up to the cap), where next starts."""
    ids = search_matches(session, tenant_id, query)
    total = len(ids) if ids is not None else count_matching(session, tenant_id, query)
    if total > COUNT_CAP:
        ids = None  # only some of them: the page runs the search itself
    keys = sort_keys(query.sort)
    columns = (Message, Message.attempt_count.expression, *keys)
    few = total <= COUNT_CAP
    if query.after is None and query.page > 1:  # an offset page, from a saved link
        statement = filtered(session, tenant_id, query, *columns, few=few, ids=ids)
        statement = statement.offset((query.page - 1) * query.per_page)
        found = list(session.execute(statement.limit(query.per_page + 1)).all())
    else:
        statements = walk_statements(session, tenant_id, query, *columns, few=few, ids=ids)
        found = read_in_turn(
            statements, query.per_page + 1, lambda statement: session.execute(statement).all()
        )
    more = len(found) > query.per_page
    found = found[: query.per_page]
    rows = [message_row(r[0], r[1], providers) for r in found]
    clicks = clicks_by_message(session, tenant_id, [row["id"] for row in rows])
    for row in rows:
        row["clicks"] = clicks.get(row["id"], 0)
    next_cursor = cursor_after(query.sort, found[-1][2:]).encode() if more and found else None
    return LogPage(
        rows=rows,
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
        page=query.page,
        per_page=query.per_page,
        next_cursor=next_cursor,
    )


def last_sent_by_rule(session: Session, tenant_id: int) -> dict[str, str]:
    """Rule id → when it last got a message out (sent or delivered), for the rules table."""
    statement = (
        select(Message.rule_id, func.max(Message.created_at))
        .where(
            Message.tenant_id == tenant_id,
            Message.rule_id.is_not(None),
            Message.status.in_((MessageStatus.SENT.value, MessageStatus.DELIVERED.value)),
        )
        .group_by(Message.rule_id)
    )
    return {
        str(rule_id): iso_time(when) or ""
        for rule_id, when in session.execute(statement)
        if rule_id
    }
