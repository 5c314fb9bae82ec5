"""The tenant's do-not-text list: numbers that opted out or were added by hand."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saleor_sms_app.models import Suppression


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
