"""The CSV's cells computed by the database: SQL twins of the log's Python formatters.

A million-row export cannot afford Python work per cell: formatting each row
in Python cost more than reading it (20-25 µs a row against the 30 µs a row the
30-second target allows; issue 12). Here every cell is one SQL expression, on
SQLite and PostgreSQL alike, so a batch arrives as finished text and Python only
hands it to the csv writer. Each expression gives exactly the text of its Python
original (``tests/dashboard/test_log_csv.py`` compares them value by value on
both databases):

* :func:`iso_utc` is :func:`saleor_sms_app.message_log.rows.iso_time`,
* :func:`masked_phone` is :func:`saleor_sms_app.models.mask_phone`,
* :func:`price_cell` is :func:`saleor_sms_app.message_log.rows.price_text`,
* :func:`formula_safe` is :func:`neutralise_cell`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Integer, String, case, func, literal, type_coerce
from sqlalchemy.sql.elements import ColumnElement

#: A spreadsheet treats a cell starting with these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Enough stars for any phone column value (String(64); raw input is cut to fit).
_STARS = "*" * 255


def neutralise_cell(value: object) -> str:
    """A CSV cell a spreadsheet will show as text, never run as a formula (OWASP advice)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _text(expression: Any) -> ColumnElement[str]:
    return type_coerce(expression, String)


def formula_safe(value: Any) -> ColumnElement[str]:
    """``value`` with a ``'`` in front when it starts like a formula; NULL stays NULL."""
    value = _text(value)
    first = _text(func.substr(value, 1, 1))
    return _text(case((first.in_(FORMULA_PREFIXES), _text(literal("'")) + value), else_=value))


def iso_utc(column: Any, dialect: str) -> ColumnElement[str]:
    """``2026-11-29T12:00:00+00:00`` (``.123456`` before the offset when there are
    microseconds), as ``datetime.isoformat`` writes a UTC time."""
    if dialect == "postgresql":
        utc = func.timezone("UTC", column)
        whole = _text(func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS'))
        fraction = case(
            (func.date_trunc("second", column) == column, literal("", String)),
            else_=_text(func.to_char(utc, ".US")),
        )
    else:
        # SQLite holds SQLAlchemy's text form: "2026-11-29 12:00:00.000000".
        stored = _text(column)
        whole = _text(func.substr(stored, 1, 10)) + "T" + _text(func.substr(stored, 12, 8))
        tail = _text(func.substr(stored, 20))
        fraction = case((tail.in_(("", ".000000")), literal("", String)), else_=tail)
    return _text(case((column.is_(None), None), else_=whole + _text(fraction) + "+00:00"))


def masked_phone(column: Any) -> ColumnElement[str]:
    """The first three and last four characters, a star for each one between."""
    length = type_coerce(func.length(column), Integer)
    return _text(
        case(
            (length <= 6, _text(func.substr(_STARS, 1, length))),
            else_=_text(func.substr(column, 1, 3))
            + _text(func.substr(_STARS, 1, length - 7))
            + _text(func.substr(column, length - 3)),
        )
    )


def price_cell(column: Any, dialect: str) -> ColumnElement[str]:
    """``0.04000`` → ``0.04``, ``10.00000`` → ``10.00``: trailing zeros cut, two decimals kept."""
    if dialect == "postgresql":
        fixed = _text(column.cast(String))
    else:
        fixed = _text(func.printf("%.5f", column))
    length = type_coerce(func.length(fixed), Integer)
    whole = _text(func.substr(fixed, 1, length - 6))
    fraction = _text(func.rtrim(_text(func.substr(fixed, length - 4)), "0"))
    padded = case(
        (
            type_coerce(func.length(fraction), Integer) < 2,
            _text(func.substr(fraction + "00", 1, 2)),
        ),
        else_=fraction,
    )
    return _text(case((column.is_(None), None), else_=whole + "." + _text(padded)))


def provider_name_cell(column: Any, names: Mapping[str, str]) -> ColumnElement[str]:
    """The merchant's name for the provider id (formula-safe), else the id itself."""
    if not names:
        return formula_safe(column)
    return _text(
        case(
            {key: neutralise_cell(name) for key, name in names.items()},
            value=column,
            else_=formula_safe(column),
        )
    )
