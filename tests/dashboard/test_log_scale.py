"""The message log at scale: capped counts, keyset pages, the per-day counts, text search.

Real database (SQLite, or PostgreSQL under ``make test-postgres``): the counts
are kept by the migration's triggers, so these tests change messages the way
the app does, with plain UPDATE/INSERT/DELETE statements, and compare.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, text, update

from saleor_sms_app.db import session_scope
from saleor_sms_app.message_log import daily_counts, queries, text_search
from saleor_sms_app.models import (
    Message,
    MessageCountChange,
    MessageDailyCount,
    MessageStatus,
    Tenant,
)
from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _rows(tenant_id: int, count: int, start: int = 0, **values: Any) -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": tenant_id,
            "dedupe_key": uuid.uuid4().hex,
            "created_at": NOW - timedelta(minutes=i),
            "updated_at": NOW,
            "event": "ORDER_CREATED",
            "order_number": str(5000 + i),
            "recipient_type": "customer",
            "phone": f"+48601{i:06d}",
            "body": f"Order {5000 + i} is confirmed",
            "status": "sent",
            **values,
        }
        for i in range(start, start + count)
    ]


def _insert(services: Services, rows: list[dict[str, Any]]) -> None:
    with services.sessions.begin() as session:
        session.execute(insert(Message), rows)


def _in_log_order(messages: Sequence[Message], sort: str) -> list[Message]:
    """``messages`` in the order the log shows them for ``sort`` ("-phone": descending)."""
    column = sort.lstrip("-")
    return sorted(
        messages,
        key=lambda m: (
            *(() if column == "created_at" else (getattr(m, column) or "",)),
            m.created_at,
            m.id,
        ),
        reverse=sort.startswith("-"),
    )


def test_the_count_stops_at_the_cap(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    _insert(services, _rows(tenant_id, queries.COUNT_CAP + 5))
    body = client.get("/api/dashboard/messages?per_page=10", headers=auth()).get_json()
    assert (body["total"], body["total_capped"]) == (queries.COUNT_CAP, True)
    assert len(body["rows"]) == 10 and body["next_cursor"]
    small = client.get("/api/dashboard/messages?q=%235003", headers=auth()).get_json()
    assert (small["total"], small["total_capped"], small["next_cursor"]) == (1, False, None)


@pytest.mark.parametrize("sort", ["-created_at", "phone", "-status", "order_number", "-error_code"])
def test_keyset_pages_neither_repeat_nor_skip_when_messages_arrive(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int, sort: str
) -> None:
    rows = _rows(tenant_id, 25)
    for i, row in enumerate(rows):  # ties in the sort column, and NULLs
        row["status"] = ("sent", "failed", "delivered")[i % 3]
        row["error_code"] = None if i % 2 else "invalid_number"
        row["order_number"] = None if i % 4 == 0 else row["order_number"]
    _insert(services, rows)
    everything = client.get(f"/api/dashboard/messages?per_page=200&sort={sort}", headers=auth())
    expected = [r["id"] for r in everything.get_json()["rows"]]

    seen: list[int] = []
    cursor = ""
    for page in range(10):
        body = client.get(
            f"/api/dashboard/messages?per_page=7&sort={sort}&cursor={cursor}", headers=auth()
        ).get_json()
        seen += [r["id"] for r in body["rows"]]
        if page == 0:
            # New messages arrive while the merchant reads page 1: newer than
            # everything (they sort first by time) and with the same values.
            _insert(services, _rows(tenant_id, 5, start=1000, created_at=NOW + timedelta(hours=1)))
        cursor = body["next_cursor"]
        if not cursor:
            break
    newcomers = set(seen) - set(expected)
    assert [i for i in seen if i not in newcomers] == expected
    assert len(seen) == len(set(seen))


def test_a_cursor_for_another_sort_is_refused(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    _insert(services, _rows(tenant_id, 5))
    cursor = client.get("/api/dashboard/messages?per_page=2", headers=auth()).get_json()[
        "next_cursor"
    ]
    for args in (f"sort=phone&cursor={cursor}", "cursor=not-a-cursor"):
        response = client.get(f"/api/dashboard/messages?{args}", headers=auth())
        assert response.status_code == 400
        assert "cursor" in response.get_json()["error"]["details"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("601 000 003", ["5003"]),  # phone digits, any spacing
        ("#5004", ["5004"]),  # order number
        ("5002", ["5002"]),  # order number, phone digits and text all lead to it
        ("ORDER 5001 is", ["5001"]),  # text, any case
        ("confirmed", ["5000", "5001", "5002", "5003", "5004"]),
        ("zz", []),  # too short for the index, and no order "zz"
    ],
)
def test_search_by_phone_order_or_text(
    client: FlaskClient,
    auth: Headers,
    services: Services,
    tenant_id: int,
    q: str,
    expected: list[str],
) -> None:
    _insert(services, _rows(tenant_id, 5))
    response = client.get("/api/dashboard/messages", headers=auth(), query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    assert sorted(r["order_number"] for r in response.get_json()["rows"]) == expected


@pytest.mark.parametrize("cap", [3, 1000])  # over the cap, and all matches found at once
@pytest.mark.parametrize("sort", ["-created_at", "phone", "status", "-order_number"])
@pytest.mark.parametrize("q", ["is confirmed", "ORDER 500", "601 000 01"])
def test_a_search_pages_exactly_its_matches_in_order(
    services: Services,
    tenant_id: int,
    monkeypatch: pytest.MonkeyPatch,
    cap: int,
    sort: str,
    q: str,
) -> None:
    """Whether the search's ids are found first (at most the cap) or the page runs the
    search itself, the pages hold exactly the matching rows, in the sort's order."""
    monkeypatch.setattr(queries, "COUNT_CAP", cap)
    rows = _rows(tenant_id, 14)
    for i, row in enumerate(rows):
        row["status"] = ("sent", "failed", "delivered")[i % 3]  # ties
    _insert(services, rows)
    with session_scope(services.sessions) as session:  # another shop's matches stay out
        other = Tenant(saleor_api_url="https://other.example.com/graphql/", app_id="QXBwOjE=")
        session.add(other)
        session.flush()
        other_id = other.id
    _insert(services, _rows(other_id, 3))
    digits = "".join(c for c in q if c.isdigit())
    with services.sessions() as session:
        mine = session.scalars(select(Message).where(Message.tenant_id == tenant_id)).all()
        column = sort.lstrip("-")
        expected = [
            m.id
            for m in _in_log_order(mine, sort)
            if q.lower() in m.body.lower() or digits in m.phone or m.order_number == q
        ]
        query = queries.LogQuery(search=q, sort=column, descending=sort.startswith("-"), per_page=2)
        seen: list[int] = []
        while True:
            page = queries.search_messages(session, tenant_id, query)
            seen += [row["id"] for row in page.rows]
            assert (page.total, page.capped) == (min(len(expected), cap), len(expected) > cap)
            if not page.next_cursor:
                break
            query = replace(query, after=queries.Cursor.decode(page.next_cursor, column))
    assert expected and seen == expected


def test_search_follows_edits_and_deletes(services: Services, tenant_id: int) -> None:
    """The text index is kept in step with the rows (SQLite's FTS triggers)."""
    _insert(services, _rows(tenant_id, 3))
    with session_scope(services.sessions) as session:
        session.execute(
            update(Message).where(Message.order_number == "5001").values(phone="", body="")
        )
        session.execute(delete(Message).where(Message.order_number == "5002"))
    with services.sessions() as session:
        found = [
            m.order_number
            for m in session.scalars(
                queries.filtered(session, tenant_id, queries.LogQuery(search="601000"))
            )
        ]
    assert found == ["5000"]


# --- the per-day counts stay equal to a recount ---------------------------------

STATUSES = [s.value for s in MessageStatus]
DAYS = [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]

change = st.one_of(
    st.tuples(st.just("insert"), st.sampled_from(DAYS), st.sampled_from(STATUSES)),
    st.tuples(st.just("status"), st.integers(0, 50), st.sampled_from(STATUSES)),
    st.tuples(
        st.just("price"),
        st.integers(0, 50),
        st.sampled_from([None, Decimal("0.04"), Decimal("0.0512")]),
    ),
    st.tuples(st.just("provider"), st.integers(0, 50), st.sampled_from([None, "twilio"])),
    st.tuples(st.just("delete"), st.integers(0, 50), st.none()),
    st.tuples(st.just("fold"), st.none(), st.none()),
)


def _recount(services: Services, tenant_id: int) -> list[dict[str, Any]]:
    """The chart computed from the rows themselves (what the counts must equal)."""
    query = queries.LogQuery(date_from=DAYS[0], date_to=DAYS[-1])
    with services.sessions() as session:
        return daily_counts._from_rows(session, tenant_id, query, DAYS[0], DAYS[-1])


def _chart(services: Services, tenant_id: int, **filters: Any) -> list[dict[str, Any]]:
    query = queries.LogQuery(date_from=DAYS[0], date_to=DAYS[-1], **filters)
    with services.sessions() as session:
        return daily_counts.daily_counts(session, tenant_id, query)


def _key(days: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((d["day"], d["status"], d["count"], sorted(d["cost"].items())) for d in days)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(change, max_size=40))
def test_the_daily_counts_equal_a_recount_after_any_changes(
    services: Services, tenant_id: int, changes: list[tuple[str, Any, Any]]
) -> None:
    with session_scope(services.sessions) as session:
        session.execute(delete(Message))
        session.execute(delete(MessageCountChange))
        session.execute(delete(MessageDailyCount))
    for kind, target, value in changes:
        with session_scope(services.sessions) as session:
            ids = list(session.scalars(select(Message.id).order_by(Message.id)))
            if kind == "insert":
                row = _rows(tenant_id, 1)[0]
                row.update(
                    created_at=datetime.combine(target, datetime.min.time(), UTC)
                    + timedelta(hours=len(ids) % 24),
                    status=value,
                    currency="EUR",
                    price=Decimal("0.04"),
                )
                session.execute(insert(Message), [row])
            elif kind == "fold":
                daily_counts.fold_count_changes(session, batch=7)
            elif ids:
                message = update(Message).where(Message.id == ids[target % len(ids)])
                if kind == "status":
                    session.execute(message.values(status=value))
                elif kind == "price":
                    session.execute(message.values(price=value))
                elif kind == "provider":
                    session.execute(message.values(provider=value))
                else:
                    session.execute(delete(Message).where(Message.id == ids[target % len(ids)]))
    assert _key(_chart(services, tenant_id)) == _key(_recount(services, tenant_id))
    assert _key(_chart(services, tenant_id, providers=("twilio",))) == _key(
        [d for d in _recount_for_provider(services, tenant_id, "twilio")]
    )
    daily_counts.fold_pending_counts(services.sessions)
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(MessageCountChange)) == 0
    assert _key(_chart(services, tenant_id)) == _key(_recount(services, tenant_id))


def _recount_for_provider(
    services: Services, tenant_id: int, provider: str
) -> list[dict[str, Any]]:
    query = queries.LogQuery(date_from=DAYS[0], date_to=DAYS[-1], providers=(provider,))
    with services.sessions() as session:
        return daily_counts._from_rows(session, tenant_id, query, DAYS[0], DAYS[-1])


@pytest.mark.parametrize("sort", ["phone", "event", "status", "error_code"])
def test_a_sorted_page_with_dates_walks_the_sort_index_on_sqlite(
    services: Services, tenant_id: int, sort: str
) -> None:
    """More matches than the cap: the page reads along its sort's index (named by
    INDEXED BY) and filters the dates on the way, never sorting every match."""
    if services.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's planner chooses from its statistics")
    query = queries.LogQuery(sort=sort, descending=False, date_from=DAYS[0], date_to=DAYS[-1])
    with services.sessions() as session:
        statement = queries.filtered(session, tenant_id, query, Message.id).limit(51)
        compiled = statement.compile(services.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(
            str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        )
    assert f"INDEX ix_messages_log_{sort} (tenant_id=?)" in plan
    assert "TEMP B-TREE" not in plan


@pytest.mark.parametrize(
    "sort",
    [
        "recipient_type",
        "-recipient_type",
        "error_code",  # nullable: read as two index ranges on SQLite
        "-error_code",
        "order_number",
        "-event",
        "created_at",
        "-created_at",
    ],
)
@pytest.mark.parametrize("statuses", [(), ("failed",)])
def test_a_date_window_pages_exactly_its_rows_when_the_walk_starts_at_its_edge(
    services: Services,
    tenant_id: int,
    monkeypatch: pytest.MonkeyPatch,
    sort: str,
    statuses: tuple[str, ...],
) -> None:
    """A sorted walk over a date window starts at the window's edge (not at the shop's
    oldest or newest row): the pages still hold every row of the window, in order, and
    none outside it, whichever value the sort column starts at and however the cursor
    falls (several values, rows before, inside and after the window for each)."""
    monkeypatch.setattr(queries, "COUNT_CAP", 3)  # walk the index, as a million rows do
    rows = _rows(tenant_id, 60)
    for i, row in enumerate(rows):
        row["created_at"] = NOW - timedelta(hours=7 * i)  # 17.5 days, both sides of the window
        row["recipient_type"] = ("customer", "staff", "customer", "admin")[i % 4]
        row["status"] = ("sent", "failed", "delivered")[i % 3]
        row["event"] = ("ORDER_CREATED", "ORDER_FULFILLED")[i % 2]
        row["error_code"] = None if i % 5 else "invalid_number"
    _insert(services, rows)
    window = (date(2026, 11, 10), date(2026, 11, 15))
    column, descending = sort.lstrip("-"), sort.startswith("-")
    with services.sessions() as session:
        mine = session.scalars(select(Message).where(Message.tenant_id == tenant_id)).all()
        expected = [
            m.id
            for m in _in_log_order(mine, sort)
            if window[0] <= m.created_at.date() <= window[1]
            and (not statuses or m.status in statuses)
        ]
        query = queries.LogQuery(
            sort=column,
            descending=descending,
            date_from=window[0],
            date_to=window[1],
            statuses=statuses,
            per_page=2,
        )
        seen: list[int] = []
        while True:
            page = queries.search_messages(session, tenant_id, query)
            seen += [row["id"] for row in page.rows]
            if not page.next_cursor:
                break
            query = replace(query, after=queries.Cursor.decode(page.next_cursor, column))
    assert len(expected) > 3 and seen == expected


TRACKED = [
    "Parcel JJD00012345 is on its way",  # the whole text
    "parcel jjd00012345 arrives",  # any case
    "Parcel JJD00099999, ref 012345",  # only its last six characters (the first probe)
    "Parcel JJD00077777 is late",  # only its first six characters (the second probe)
    "Paczka ZAŻÓŁĆ GĘŚLĄ JAŹŃ już jedzie",  # case folded beyond ASCII, as FTS5 folds it
    "",
]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("JJD00012345", [0, 1]),
        ("jjd000", [0, 1, 2, 3]),  # no longer than a probe: the whole phrase
        ("zażółć gęślą", [4]),
        ("ZAŻÓŁĆ GĘŚLĄ JAŹŃ X", []),
        ('JJD0001234"', []),  # a quote in the search is a character, not FTS5 syntax
    ],
)
@pytest.mark.parametrize("candidate_cap", [1000, 2, 0])
def test_a_long_text_is_probed_then_checked_to_exactly_the_whole_phrase(
    services: Services,
    tenant_id: int,
    monkeypatch: pytest.MonkeyPatch,
    q: str,
    expected: list[int],
    candidate_cap: int,
) -> None:
    """A long text is looked up by a part of it first (its last or first six
    characters) and the candidates checked against the whole: the rows found are
    exactly the whole phrase's, whether the probe's candidates are checked (1000),
    too many so the phrase is looked up whole (2), or only an empty probe is
    trusted (0); a part matching is never enough, and case folds as FTS5 folds it."""
    monkeypatch.setattr(text_search, "CANDIDATE_CAP", candidate_cap)
    rows = _rows(tenant_id, len(TRACKED))
    for row, body in zip(rows, TRACKED, strict=True):
        row["body"] = body
        row["phone"] = "+48511223344"  # no digits of the searches
    _insert(services, rows)
    with services.sessions() as session:
        found = session.scalars(
            queries.filtered(session, tenant_id, queries.LogQuery(search=q), Message.body)
        ).all()
    assert sorted(found) == sorted(TRACKED[i] for i in expected)
