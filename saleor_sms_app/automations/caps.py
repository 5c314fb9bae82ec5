"""The marketing caps: at most N marketing texts to one number per day and per week.

A marketing text is one logged by a rule that is not transactional (an
automation, a delayed or a marketing rule; see
:func:`saleor_sms_app.automations.rules.is_marketing`),
stored with ``messages.marketing`` true. Transactional texts (an order's
confirmation, its shipment) are never capped and never counted.

The windows roll: "per day" is the last 24 hours and "per week" the last 7
days before the text is logged. Texts that did not go out (skipped, failed)
do not count. Counting is one read of the partial index
``ix_messages_marketing_phone`` (the number's marketing rows of the last
week) per text, never a scan of the log; two workers logging the same
number's texts in the same instant may each see the other's not yet
committed, so a cap can be passed by one text in that race.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from saleor_sms_app.config.model import ShopSettings
from saleor_sms_app.models import Message, MessageStatus

#: Statuses of texts that did not reach anyone: not counted.
_NOT_SENT = (MessageStatus.SKIPPED.value, MessageStatus.FAILED.value)


def marketing_counts(
    session: Session, tenant_id: int, phone: str, now: datetime
) -> tuple[int, int]:
    """(texts in the last 24 hours, texts in the last 7 days) of marketing to ``phone``."""
    day_start = now - timedelta(days=1)
    row = session.execute(
        select(
            func.coalesce(func.sum(case((Message.created_at > day_start, 1), else_=0)), 0),
            func.count(),
        ).where(
            Message.tenant_id == tenant_id,
            Message.phone == phone,
            Message.marketing.is_(True),
            Message.created_at > now - timedelta(days=7),
            Message.status.not_in(_NOT_SENT),
        )
    ).one()
    return int(row[0]), int(row[1])


def over_cap(
    session: Session,
    tenant_id: int,
    phone: str,
    settings: ShopSettings,
    now: datetime,
    pending: Mapping[str, int] | None = None,
) -> str | None:
    """Why one more marketing text to ``phone`` would pass a cap, or None.

    ``pending`` counts texts to the same numbers being logged in the same batch.
    """
    per_day, per_week = settings.marketing_cap_per_day, settings.marketing_cap_per_week
    if per_day is None and per_week is None:
        return None
    day, week = marketing_counts(session, tenant_id, phone, now)
    extra = (pending or {}).get(phone, 0)
    for got, cap, words in ((day, per_day, "24 hours"), (week, per_week, "7 days")):
        if cap is not None and got + extra >= cap:
            return (
                f"The number already got {got + extra} marketing texts in the last {words} "
                f"(the cap is {cap})"
            )
    return None
