"""Queries over the message log for the dashboard: filter, sort, page, export, chart.

Framework-free: the Flask layer turns query-string arguments into a
:class:`LogQuery` (:meth:`LogQuery.from_args`, which names the bad field when an
argument is wrong) and streams what these functions yield. Every query is
scoped to one tenant first; nothing here can reach another tenant's rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.errors import BadRequest
from saleor_sms_app.models import Message, MessageAttempt, MessageStatus, mask_phone
from saleor_sms_app.providers.http import redact_secrets

#: Columns the log can be sorted by (the table's headers), mapped to SQL columns.
SORTABLE: dict[str, Any] = {
    "created_at": Message.created_at,
    "event": Message.event,
    "order_number": Message.order_number,
    "recipient_type": Message.recipient_type,
    "phone": Message.phone,
    "body": Message.body,
    "provider": Message.provider,
    "status": Message.status,
    "segments": Message.segments,
    "price": Message.price,
    "error_code": Message.error_code,
}

MAX_PER_PAGE = 200
#: The chart covers at most this many days so one request stays cheap.
MAX_CHART_DAYS = 366

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
)

#: The log's reason column shows these short labels; the full text is on hover
#: and in the message's detail view. A code not here is shown as its own words.
REASON_LABELS: dict[str, str] = {
    "no_phone": "No phone",
    "invalid_number": "Invalid number",
    "not_mobile": "Not a mobile",
    "opted_out": "Opted out",
    "customer_not_notified": "Customer not notified",
    "no_staff_numbers": "No staff numbers",
    "template_error": "Template error",
    "empty_message": "Empty text",
    "dry_run_number_invalid": "Dry-run number unusable",
    "no_provider": "No provider",
    "send_interrupted": "Send interrupted",
    "invalid_sender": "Sender refused",
    "insufficient_funds": "Out of credit",
    "authentication": "Login refused",
    "rate_limited": "Rate limited",
    "provider_unavailable": "Provider unavailable",
    "malformed_response": "Unreadable answer",
    "configuration": "Provider not set up",
    "undelivered": "Undelivered",
    "expired": "Expired",
    "failed": "Failed",
    "other": "Provider error",
}
#: A label longer than this is cut (a provider's own code can be a sentence).
MAX_LABEL_CHARS = 24


def reason_label(code: str | None) -> str | None:
    """The short name of why a message was not sent or delivered, for the table."""
    if not code:
        return None
    label = REASON_LABELS.get(code)
    if label is None:
        label = code.replace("_", " ").strip().capitalize()
    if len(label) > MAX_LABEL_CHARS:
        label = label[: MAX_LABEL_CHARS - 1].rstrip() + "…"
    return label


@dataclass(frozen=True)
class ProviderDirectory:
    """The tenant's providers as configured now: the merchant's names and the secrets to hide.

    A message records the provider's config id and type; two Twilio accounts
    differ only by the name the merchant gave each, so the log shows that name.
    A provider removed from the configuration since is shown by its id.
    """

    names: Mapping[str, str]
    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, config: AppConfig) -> ProviderDirectory:
        return cls(
            names={p.id: p.name or p.type for p in config.providers},
            secrets=tuple(v for p in config.providers for v in p.secrets.values() if v),
        )

    def name(self, provider_id: str | None) -> str | None:
        if provider_id is None:
            return None
        return self.names.get(provider_id, provider_id)

    def redact(self, text: str | None) -> str | None:
        """Defence in depth: answers were redacted when stored, but a secret may have
        been typed into the configuration after (or into a delivery report's sender)."""
        return None if text is None else redact_secrets(text, self.secrets)


NO_PROVIDERS = ProviderDirectory(names={})

#: A spreadsheet treats a cell starting with these as a formula (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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
    page: int = 1
    per_page: int = 50

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
        )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _conditions(tenant_id: int, query: LogQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Message.tenant_id == tenant_id]
    if query.date_from:
        conditions.append(Message.created_at >= _day_start(query.date_from))
    if query.date_to:
        conditions.append(Message.created_at < _day_start(query.date_to + timedelta(days=1)))
    if query.statuses:
        conditions.append(Message.status.in_(query.statuses))
    if query.events:
        conditions.append(Message.event.in_(query.events))
    if query.providers:
        conditions.append(Message.provider.in_(query.providers))
    if query.search:
        # "#1042" and "1042" both name order 1042; a phone matches on its digits
        # whatever spaces or dashes the merchant typed.
        order_number = query.search.lstrip("#").strip()
        alternatives: list[ColumnElement[bool]] = [Message.order_number == order_number]
        digits = re.sub(r"\D", "", query.search)
        if len(digits) >= 3 and not query.search.startswith("#"):
            alternatives.append(Message.phone.contains(digits, autoescape=True))
        conditions.append(or_(*alternatives))
    return conditions


def _filtered(tenant_id: int, query: LogQuery) -> Select[Message]:
    column = SORTABLE[query.sort]
    if query.search:
        # A search matches a handful of rows through the order-number index; sorting
        # by an expression stops SQLite's planner from walking the whole tenant in
        # date order instead (40x slower on 50k rows, see bench_dashboard_log.py).
        column = func.coalesce(column, column)
    order = column.desc() if query.descending else column.asc()
    tie = Message.id.desc() if query.descending else Message.id.asc()
    return select(Message).where(*_conditions(tenant_id, query)).order_by(order, tie)


def attempt_count() -> ColumnElement[int]:
    """How many provider attempts a message had (index lookup per row)."""
    return (
        select(func.count(MessageAttempt.id))
        .where(MessageAttempt.message_id == Message.id)
        .correlate(Message)
        .scalar_subquery()
    )


def message_row(
    message: Message, attempts: int = 0, providers: ProviderDirectory = NO_PROVIDERS
) -> dict[str, Any]:
    """One log row as the dashboard shows it: the phone masked, nothing secret."""
    return {
        "id": message.id,
        "created_at": iso_time(message.created_at),
        "event": message.event,
        "order_id": message.order_id,
        "order_number": message.order_number,
        "channel": message.channel,
        "rule_name": message.rule_name,
        "recipient_type": message.recipient_type,
        "phone": mask_phone(message.phone),
        "sender": message.sender,
        "body": message.body,
        "segments": message.segments,
        "encoding": message.encoding,
        "provider": message.provider,
        "provider_id": message.provider_id,
        "provider_name": providers.name(message.provider_id),
        "attempt_count": attempts,
        "status": message.status,
        "status_changed_at": iso_time(message.status_changed_at),
        "delivery_code": message.delivery_code,
        "error_code": message.error_code,
        "error_label": reason_label(message.error_code),
        "error_text": message.error_text,
        "error_hint": message.error_hint,
        "price": _price(message.price),
        "currency": message.currency,
    }


def _price(value: Decimal | None) -> str | None:
    """``0.04000`` → ``0.04``: the column keeps 5 places, people read at least 2."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def iso_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


@dataclass(frozen=True)
class LogPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": max(1, -(-self.total // self.per_page)),
        }


def search_messages(
    session: Session,
    tenant_id: int,
    query: LogQuery,
    providers: ProviderDirectory = NO_PROVIDERS,
) -> LogPage:
    """One page of the tenant's log, and how many rows match in all."""
    total = session.scalar(
        select(func.count()).select_from(Message).where(*_conditions(tenant_id, query))
    )
    statement = _filtered(tenant_id, query).add_columns(attempt_count()).limit(query.per_page)
    statement = statement.offset((query.page - 1) * query.per_page)
    rows = [message_row(m, n, providers) for m, n in session.execute(statement)]
    return LogPage(rows=rows, total=int(total or 0), page=query.page, per_page=query.per_page)


def neutralise_cell(value: object) -> str:
    """A CSV cell a spreadsheet will show as text, never run as a formula (OWASP advice)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


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
    statement = _filtered(tenant_id, query).add_columns(attempt_count())
    statement = statement.execution_options(yield_per=500)
    for count, (message, attempts) in enumerate(session.execute(statement), start=1):
        row = message_row(message, attempts, providers)
        writer.writerow([neutralise_cell(row[c]) for c in CSV_COLUMNS])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def daily_counts(session: Session, tenant_id: int, query: LogQuery) -> list[dict[str, Any]]:
    """Messages per UTC day and status, with the summed cost per currency where known.

    Without a date range the chart shows the last 30 days; a range longer than
    :data:`MAX_CHART_DAYS` is refused rather than scanned.
    """
    date_from, date_to = query.date_from, query.date_to
    if date_from is None:
        date_from = (date_to or datetime.now(UTC).date()) - timedelta(days=29)
    if date_to is not None and (date_to - date_from).days > MAX_CHART_DAYS:
        raise BadRequest(f"the chart covers at most {MAX_CHART_DAYS} days", code="invalid_filter")
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
        select(
            day.label("day"),
            Message.status,
            Message.currency,
            func.count().label("count"),
            func.sum(Message.price).label("cost"),
        )
        .where(*_conditions(tenant_id, ranged))
        .group_by(day, Message.status, Message.currency)
        .order_by(day)
    )
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in session.execute(statement):
        key = (str(row.day), row.status)
        entry = merged.setdefault(
            key, {"day": str(row.day), "status": row.status, "count": 0, "cost": {}}
        )
        entry["count"] += int(row[3])
        if row.cost is not None and row.currency:
            cost = Decimal(str(row.cost)).quantize(Decimal("0.00001"))
            entry["cost"][row.currency] = str(cost.normalize())
    return list(merged.values())


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
