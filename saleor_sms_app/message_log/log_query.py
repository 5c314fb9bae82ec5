"""What the merchant asked the message log for: :class:`LogQuery` (filters, sort, page)
and the keyset :class:`Cursor`, read from the query string with every bad field named.

Split from :mod:`queries` (which runs them) to keep each module readable.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from saleor_sms_app.errors import BadRequest
from saleor_sms_app.models import LOG_SORT_COLUMNS, MessageStatus

#: Columns the log can be sorted by (the table's headers); each has its own index.
SORTABLE = ("created_at", *LOG_SORT_COLUMNS)

MAX_PER_PAGE = 200


def _parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            f"{name} must be a date like 2026-11-22", details={name: "not a date (YYYY-MM-DD)"}
        ) from None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the sort key of the last row shown.

    Opaque to the page (URL-safe base64 of JSON); a cursor for another sort
    is refused rather than silently showing the wrong rows.
    """

    sort: str
    #: The sort column's value (absent when sorting by time), time, id.
    values: tuple[Any, ...]

    def encode(self) -> str:
        values = [v.isoformat() if isinstance(v, datetime) else v for v in self.values]
        document = json.dumps([self.sort, values], separators=(",", ":"))
        return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, sort: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            name, values = json.loads(raw)
            *head, when, row_id = values
            if name != sort or not isinstance(row_id, int) or not isinstance(when, str):
                raise ValueError
            if len(head) != (0 if sort == "created_at" else 1) or not all(
                isinstance(v, str) for v in head
            ):
                raise ValueError
            moment = datetime.fromisoformat(when)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise BadRequest(
                "cursor does not belong to this list; start again from the first page",
                code="invalid_filter",
                details={"cursor": "not a cursor for this sort"},
            ) from None
        return cls(sort, (*head, moment, row_id))


@dataclass(frozen=True)
class LogQuery:
    """What the merchant asked to see; dates are whole days in UTC, both inclusive."""

    date_from: date | None = None
    date_to: date | None = None
    statuses: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    #: A phone number (any formatting, digits matched) or an order number.
    search: str = ""
    sort: str = "created_at"
    descending: bool = True
    #: Offset pages (kept for links people saved); the page itself follows ``after``.
    page: int = 1
    per_page: int = 50
    #: Continue after this row (keyset paging); ``page`` is then ignored.
    after: Cursor | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> LogQuery:
        """Build from query-string arguments; 400 naming every bad field."""
        problems: dict[str, str] = {}
        date_from = date_to = None
        if args.get("from"):
            try:
                date_from = _parse_day(args["from"], "from")
            except BadRequest:
                problems["from"] = "not a date (YYYY-MM-DD)"
        if args.get("to"):
            try:
                date_to = _parse_day(args["to"], "to")
            except BadRequest:
                problems["to"] = "not a date (YYYY-MM-DD)"
        if date_from and date_to and date_from > date_to:
            problems["to"] = "the end date is before the start date"
        statuses = _split(args.get("status"))
        known = {s.value for s in MessageStatus}
        unknown = [s for s in statuses if s not in known]
        if unknown:
            problems["status"] = f"unknown status: {', '.join(unknown)}"
        sort = args.get("sort") or "created_at"
        descending = True
        if sort.startswith("-"):
            sort = sort[1:]
        elif args.get("sort"):
            descending = False
        if sort not in SORTABLE:
            problems["sort"] = f"cannot sort by {sort!r}"
        page = per_page = 0
        try:
            page = int(args.get("page") or 1)
            if page < 1:
                raise ValueError
        except ValueError:
            problems["page"] = "must be a whole number from 1"
        try:
            per_page = int(args.get("per_page") or 50)
            if not 1 <= per_page <= MAX_PER_PAGE:
                raise ValueError
        except ValueError:
            problems["per_page"] = f"must be a whole number from 1 to {MAX_PER_PAGE}"
        after = None
        if args.get("cursor") and "sort" not in problems:
            try:
                after = Cursor.decode(args["cursor"], sort)
            except BadRequest as exc:
                problems.update(exc.details or {})
        if problems:
            raise BadRequest(
                "the log filter is not valid: "
                + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                code="invalid_filter",
                details=problems,
            )
        return cls(
            date_from=date_from,
            date_to=date_to,
            statuses=statuses,
            events=_split(args.get("event")),
            providers=_split(args.get("provider")),
            search=(args.get("q") or "").strip()[:64],
            sort=sort,
            descending=descending,
            page=page,
            per_page=per_page,
            after=after,
        )
