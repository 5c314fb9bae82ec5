"""The tenant's do-not-text list: numbers that opted out or were added by hand.

Numbers get here from a customer's STOP text (:mod:`saleor_sms_app.inbound`), a
provider's opt-out report (:mod:`saleor_sms_app.delivery_reports.receiving`), or the merchant
(the Suppressions screen: one by one or a CSV import); each row keeps when and
from where. Every message to a listed number is logged ``skipped``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saleor_sms_app.db import insert_many_once
from saleor_sms_app.message_log.csv_export import csv_chunks
from saleor_sms_app.models import Suppression, utcnow
from saleor_sms_app.recipients.numberlists import read_numbers
from saleor_sms_app.recipients.phones import normalise

#: Source of numbers the merchant added (by hand or by import).
MANUAL = "manual"
#: Most lines one CSV import reads; a bigger file is refused, not cut short.
MAX_IMPORT_LINES = 50_000
CSV_COLUMNS = ("phone", "reason", "source", "added_at")


def is_suppressed(session: Session, tenant_id: int, phone: str) -> Suppression | None:
    return session.scalar(
        select(Suppression).where(Suppression.tenant_id == tenant_id, Suppression.phone == phone)
    )


def suppressed_numbers(session: Session, tenant_id: int, phones: set[str]) -> set[str]:
    """Which of ``phones`` are on the tenant's list, in one query (a batch of messages)."""
    if not phones:
        return set()
    return set(
        session.scalars(
            select(Suppression.phone).where(
                Suppression.tenant_id == tenant_id, Suppression.phone.in_(phones)
            )
        )
    )


def suppress(session: Session, tenant_id: int, phone: str, *, reason: str, source: str) -> bool:
    """Add ``phone``; False if it was already there. Safe against concurrent adds."""
    if is_suppressed(session, tenant_id, phone):
        return False
    try:
        with session.begin_nested():
            session.add(Suppression(tenant_id=tenant_id, phone=phone, reason=reason, source=source))
    except IntegrityError:
        return False
    return True


def unsuppress(session: Session, tenant_id: int, phone: str) -> bool:
    row = is_suppressed(session, tenant_id, phone)
    if row is None:
        return False
    session.delete(row)
    return True


def suppression_row(row: Suppression) -> dict[str, Any]:
    """One entry as the dashboard shows it (the merchant's own list: numbers in full)."""
    added = row.created_at.replace(tzinfo=row.created_at.tzinfo or UTC)
    return {
        "phone": row.phone,
        "reason": row.reason,
        "source": row.source,
        "added_at": added.isoformat(),
    }


def search(
    session: Session, tenant_id: int, text: str = "", *, page: int = 1, per_page: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """One page of the list, newest first, and how many match in all.

    ``text`` matches digits anywhere in the number ("601 234"), or the reason
    or source ("stop", "twilio").
    """
    conditions = [Suppression.tenant_id == tenant_id]
    text = text.strip()
    if text:
        digits = "".join(c for c in text if c.isdigit())
        word = f"%{text.lower()}%"
        options = [func.lower(Suppression.reason).like(word), Suppression.source.like(word)]
        if digits:
            options.append(Suppression.phone.like(f"%{digits}%"))
        conditions.append(or_(*options))
    total = session.scalar(select(func.count()).select_from(Suppression).where(*conditions))
    rows = session.scalars(
        select(Suppression)
        .where(*conditions)
        .order_by(Suppression.created_at.desc(), Suppression.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return [suppression_row(r) for r in rows], int(total or 0)


def add_number(
    session: Session, tenant_id: int, raw: str, country: str, *, reason: str = ""
) -> tuple[str, bool]:
    """Add a number the merchant typed: (its E.164 form, whether it is new).

    National numbers are read in ``country`` (the shop's default country);
    :class:`InvalidPhoneNumber` when it is not a number.
    """
    phone = normalise(raw, country)
    added = suppress(
        session, tenant_id, phone, reason=(reason.strip() or "added by hand")[:64], source=MANUAL
    )
    return phone, added


@dataclass
class ImportResult:
    added: int = 0
    #: Lines whose number was on the list already (or earlier in the same file).
    already: int = 0
    #: ``{"line": n, "text": …, "reason": …}`` for every line that is not a number.
    problems: list[dict[str, Any]] = field(default_factory=list)


def import_csv(session: Session, tenant_id: int, text: str, country: str) -> ImportResult:
    """Add every number of a CSV (first column a number, optional second a reason).

    A first line that is a header (``phone``…) is skipped; empty lines are
    ignored; every other line that is not a number is listed with the reason,
    never silently dropped. A ``'`` in front of a number (our own export's
    guard against spreadsheet formulas) is removed.
    """
    listed = read_numbers(text, country)
    now = utcnow()
    rows = [
        {
            "tenant_id": tenant_id,
            "phone": line.phone,
            "reason": ((line.cells[1].strip() if len(line.cells) > 1 else "") or "imported")[:64],
            "source": MANUAL,
            "created_at": now,
        }
        for line in listed.lines
    ]
    # Multi-row inserts that leave numbers already listed alone: one row at a
    # time (a lookup and a savepoint each) took about two minutes for 50,000.
    added = len(insert_many_once(session, Suppression, rows, ["tenant_id", "phone"], "phone"))
    return ImportResult(
        added=added, already=listed.duplicates + len(rows) - added, problems=listed.problems
    )


def export_csv(session: Session, tenant_id: int) -> Iterator[str]:
    """The whole list as CSV text, oldest first, cells safe to open in a spreadsheet."""
    statement = (
        select(Suppression)
        .where(Suppression.tenant_id == tenant_id)
        .order_by(Suppression.created_at, Suppression.id)
        .execution_options(yield_per=500)
    )
    yield from csv_chunks(CSV_COLUMNS, (suppression_row(r) for r in session.scalars(statement)))
