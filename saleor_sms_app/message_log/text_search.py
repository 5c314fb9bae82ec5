"""Which of a shop's messages the log's search box names, each way read from an index.

"#1042" is order 1042 only. Otherwise: the order number exactly, the phone by
its digits whatever spaces or dashes were typed, and the text, both as a
substring (three characters at least, the trigram index's unit). On SQLite the
phone and text are looked up in the FTS5 trigram table ``messages_search``
(migration 0007); on PostgreSQL (pg_trgm) and a SQLite without the trigram
tokenizer, by ``LIKE``.

A text on SQLite is found in two steps when it is long (issue 12): FTS5 reads
the whole list of every trigram of a phrase, and the trigrams most texts share
(``JJD``, ``D00`` in "tracking JJD00012345") have lists of millions, so the
phrase alone took 40 ms at 2,000,000 messages. Its last (or first)
:data:`PROBE_CHARS` characters are looked up first; when they name at most
:data:`CANDIDATE_CAP` messages, those are checked against the whole text by
FTS5 itself, in a per-connection scratch trigram table holding only their
texts — the same tokenizer and case folding, so the result is exactly the
phrase's. Else the phrase is looked up whole, as before.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, bindparam, literal, literal_column, select, text, union_all
from sqlalchemy.orm import Session

from saleor_sms_app.models import Message, log_sort_key

#: Shortest search that can use the trigram index (three characters make a trigram).
MIN_SEARCH_CHARS = 3
#: How much of a long text is looked up first (four trigrams).
PROBE_CHARS = 6
#: The most messages a probe may name for them to be checked one by one.
CANDIDATE_CAP = 1000
_CHECK_TABLE = "temp.messages_search_check"


def search_ids(session: Session, tenant_id: int, search: str) -> Select[Any]:
    """Ids of the messages the search names (scoped to ``tenant_id`` by the order-number
    way only: the caller's query is scoped to the tenant)."""
    order_number = search.lstrip("#").strip()
    ways: list[Select[Any]] = [
        select(Message.id).where(
            Message.tenant_id == tenant_id, log_sort_key("order_number") == order_number
        )
    ]
    if not search.startswith("#"):
        digits = re.sub(r"\D", "", search)
        phone = digits if len(digits) >= MIN_SEARCH_CHARS else ""
        body = search if len(search) >= MIN_SEARCH_CHARS else ""
        if has_text_index(session):
            if phone:
                ways.append(_matching_rowids(_phrase("phone", phone)))
            if body:
                ways.append(_text_ids(session, body))
        else:
            if phone:
                ways.append(
                    select(Message.id).where(Message.phone.contains(phone, autoescape=True))
                )
            if body:
                ways.append(select(Message.id).where(Message.body.icontains(body, autoescape=True)))
    return union_all(*ways).subquery().select() if len(ways) > 1 else ways[0]


def _phrase(column: str, value: str) -> str:
    """An FTS5 query for ``value`` as a phrase in ``column`` (quotes doubled)."""
    return f'{column} : "{value.replace(chr(34), chr(34) * 2)}"'


def _matching_rowids(match: str) -> Select[Any]:
    return (
        select(literal_column("rowid"))
        .select_from(text("messages_search"))
        # An anonymous parameter: the phone's and the text's lookups share one statement.
        .where(literal_column("messages_search").op("MATCH")(literal(match)))
    )


def _text_ids(session: Session, body: str) -> Select[Any]:
    """The messages whose text holds ``body``: a probe and a check when it is long and a
    probe is selective, else the whole phrase (see the module's docstring)."""
    whole = _phrase("body", body)
    if len(body) > PROBE_CHARS:
        for probe in (body[-PROBE_CHARS:], body[:PROBE_CHARS]):
            candidates = session.scalars(
                _matching_rowids(_phrase("body", probe)).limit(CANDIDATE_CAP + 1)
            ).all()
            if len(candidates) <= CANDIDATE_CAP:
                found = _checked(session, list(candidates), whole)
                return select(Message.id).where(
                    Message.id.in_(bindparam("text_ids", found, expanding=True))
                )
    return _matching_rowids(whole)


def _checked(session: Session, candidates: list[int], match: str) -> list[int]:
    """Which ``candidates`` match the FTS5 query ``match``, found by FTS5 over their texts
    alone (a scratch table of this connection: nothing is written to the database)."""
    if not candidates:
        return []
    session.execute(
        text(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {_CHECK_TABLE} "
            "USING fts5(body, tokenize='trigram')"
        )
    )
    session.execute(text(f"DELETE FROM {_CHECK_TABLE}"))
    session.execute(
        text(
            f"INSERT INTO {_CHECK_TABLE}(rowid, body) "
            "SELECT id, body FROM messages WHERE id IN :ids"
        ).bindparams(bindparam("ids", candidates, expanding=True))
    )
    table = _CHECK_TABLE.split(".")[1]
    return list(
        session.scalars(
            text(f"SELECT rowid FROM {_CHECK_TABLE} WHERE {table} MATCH :match").bindparams(
                match=match
            )
        )
    )


_TEXT_INDEX: dict[str, bool] = {}


def has_text_index(session: Session) -> bool:
    """Whether this SQLite database has the FTS5 trigram table (migration 0007 adds it
    where SQLite has the trigram tokenizer; PostgreSQL uses pg_trgm indexes instead)."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    key = str(bind.engine.url)
    if key not in _TEXT_INDEX:
        found = session.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'messages_search'")
        )
        _TEXT_INDEX[key] = bool(found)
    return _TEXT_INDEX[key]
