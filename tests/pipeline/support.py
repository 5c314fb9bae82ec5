"""Helpers of the pipeline tests: a webhook as the web layer hands it to its job, a rule
with test defaults, and what the jobs left behind (logged messages, attempts, the outbox).

Shared by the webhook, retry and send-claim job tests and by test_rules/test_notices;
``outbox`` also by every test that reads what the sandbox provider was handed (the
dashboard's manual sends, the scheduler's delayed rules, inbound HELP answers, the
end-to-end and tracked-link tests).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from saleor_sms_app.config.model import Recipients, Rule
from saleor_sms_app.jobs import handle_webhook
from saleor_sms_app.models import Message, MessageAttempt
from saleor_sms_app.services import Services
from tests.standin.saleor import SaleorStandin


def rule(name: str, event: str = "ORDER_CREATED", **fields: Any) -> Rule:
    """A rule texting the customer ``x`` unless ``fields`` say otherwise."""
    fields.setdefault("recipients", Recipients(customer=True))
    fields.setdefault("template", "x")
    return Rule(name=name, event=event, **fields)


def webhook(event: str, order: dict[str, Any], **fields: Any) -> tuple[str, str]:
    """(payload, dedupe_key) as the web layer hands them to the job."""
    body = {
        "__typename": "".join(p.capitalize() for p in event.split("_")),
        "issuedAt": fields.pop("issued_at", datetime.now(UTC).isoformat()),
        "version": "3.23.28",
        "order": {
            "id": order["id"],
            "number": order["number"],
            "status": order["status"],
            "channel": {"slug": order["channel"]["slug"]},
        },
        **fields,
    }
    payload = json.dumps(body)
    return payload, hashlib.sha256(f"x\n{event}\n{payload}".encode()).hexdigest()


def run(saleor: SaleorStandin, event: str, order: dict[str, Any], **fields: Any) -> list[int]:
    payload, key = webhook(event, order, **fields)
    return handle_webhook(saleor.api_url, event, payload, key)


def outbox(services: Services) -> list[dict[str, Any]]:
    """Every text the sandbox provider was handed (``to``, ``body``, ...), oldest first;
    none before the first send (the file does not exist yet)."""
    path: Path = services.settings.sandbox_outbox
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def messages(services: Services) -> list[Message]:
    with services.sessions() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def attempts(services: Services, message_id: int) -> list[MessageAttempt]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(MessageAttempt)
                .where(MessageAttempt.message_id == message_id)
                .order_by(MessageAttempt.id)
            )
        )


def by_rule(services: Services) -> dict[str, Message]:
    return {f"{m.rule_id}/{m.recipient_type}": m for m in messages(services)}
