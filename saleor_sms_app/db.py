"""Database engine and sessions (SQLAlchemy 2), shared by the web app and the worker.

SQLite is the default so `make run` needs nothing installed; PostgreSQL goes
through exactly the same code. The schema is owned by Alembic (``migrations/``):
``create_all`` is never called outside tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """Declarative base of every table."""


class _SQLiteCompilerWithHints(SQLiteCompiler):
    """SQLite's compiler, writing a table hint (``Select.with_hint(..., "sqlite")``) after
    the table name: SQLAlchemy's own drops it silently. The message log's keyset pages
    name the index their sort walks (``INDEXED BY``, ``message_log.queries.filtered``);
    without it SQLite read "last 30 days, sorted by phone" through the date index and
    sorted a third of a million rows per page (3-6 s at 1,000,000 messages, issue 12)."""

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the backend the URL names."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )
        engine.dialect.statement_compiler = _SQLiteCompilerWithHints

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets the web process read the log while the worker writes it;
            # foreign keys are off by default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if database_url.startswith("postgresql+psycopg"):
        # psycopg prepares a statement on the server after its fifth run, and
        # PostgreSQL then plans it once for any value: a LIMIT, a keyset bound
        # or a LIKE pattern it cannot see. The message log's pages and searches
        # at a million rows ran 2-3x slower on those generic plans (issue 12:
        # text search 334 vs 139 ms, order number 35 vs 11 ms); planning each
        # query for its values costs well under a millisecond.
        connect_args = {"prepare_threshold": None, **kwargs.pop("connect_args", {})}
        kwargs["connect_args"] = connect_args
    return create_engine(database_url, pool_pre_ping=True, pool_size=5, max_overflow=10, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _insert_ignoring_conflicts(session: Session, model: type[Base], keys: list[str]) -> Any:
    dialect = session.get_bind().dialect.name
    table: Any = model.__table__
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
    return insert(table)  # pragma: no cover - only the two supported databases reach here


def insert_once(
    session: Session, model: type[Base], values: dict[str, Any], keys: list[str]
) -> int | None:
    """Insert one row and return its ``id``; None if a row with the same ``keys`` exists.

    ``ON CONFLICT DO NOTHING`` on the unique key ``keys``, so two workers
    racing on the same thing both succeed and exactly one row exists afterwards
    (the message log and the scheduled runs are written this way).
    """
    table: Any = model.__table__
    stmt = _insert_ignoring_conflicts(session, model, keys).values(values)
    new_id = session.execute(stmt.returning(table.c.id)).scalar_one_or_none()
    return int(new_id) if new_id is not None else None


#: Rows per multi-row ``INSERT``: well under SQLite's 32,766 bound parameters.
INSERT_CHUNK = 200


def insert_many_once(
    session: Session, model: type[Base], rows: list[dict[str, Any]], keys: list[str], key: str
) -> dict[Any, int]:
    """:func:`insert_once` for many rows in few statements: ``row[key]`` → new id.

    Rows whose unique ``keys`` already exist are left out of the answer. Every
    row is given every column any of them has, as a multi-row ``VALUES`` needs:
    a missing one gets the column's plain default (``segments`` 0 ...), else None.
    """
    table: Any = model.__table__
    columns = sorted({name for row in rows for name in row})
    fill = {}
    for name in columns:
        default = table.c[name].default
        scalar = default is not None and default.is_scalar
        fill[name] = default.arg if scalar else None
    stmt = _insert_ignoring_conflicts(session, model, keys).returning(table.c.id, table.c[key])
    found: dict[Any, int] = {}
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = [
            {c: row.get(c, fill[c]) for c in columns} for row in rows[start : start + INSERT_CHUNK]
        ]
        # executemany with RETURNING: SQLAlchemy batches it into multi-row
        # statements ("insertmanyvalues") compiled once, not once per chunk.
        for new_id, value in session.execute(stmt, chunk):
            found[value] = int(new_id)
    return found
