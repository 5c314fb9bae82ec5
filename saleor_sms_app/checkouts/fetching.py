"""Checkouts and the orders made from them, fetched fresh when reminders are due.

Saleor has no "checkouts by id" list, so up to :data:`CHECKOUTS_PER_CALL`
checkouts are asked for in one document that repeats ``CheckoutForSms``'s
``checkout(id:)`` field under aliases; the orders that end reminders (same
checkout, email or phone, placed since the reminders were scheduled) are one
``OrdersFromCheckouts`` call. A batch of due reminders costs two calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from saleor_sms_app.saleor import documents
from saleor_sms_app.saleor.client import SaleorClient

#: Checkouts per GraphQL call (Saleor's page limit, kept for aliases too).
CHECKOUTS_PER_CALL = 100
#: Orders looked at per batch: more than a batch of reminders can be ended by.
ORDERS_PER_CALL = 100


@cache
def checkouts_document(count: int) -> str:
    """``CheckoutsForSms`` for ``count`` checkouts: ``c0: checkout(id: $c0) …`` and so on."""
    params = ", ".join(f"$c{i}: ID!" for i in range(count))
    fields = "\n".join(
        f"  c{i}: checkout(id: $c{i}) {{\n    ...SmsCheckout\n  }}" for i in range(count)
    )
    return documents.with_fragments(
        f"query CheckoutsForSms({params}) {{\n  shop {{\n    name\n  }}\n{fields}\n}}"
    )


@dataclass(frozen=True)
class Checkouts:
    shop_name: str
    #: id → the checkout now, or None when Saleor no longer has it.
    by_id: dict[str, Mapping[str, Any] | None]


def fetch_checkouts(client: SaleorClient, checkout_ids: list[str]) -> Checkouts:
    """The checkouts now, :data:`CHECKOUTS_PER_CALL` per call; a gone one maps to None."""
    unique = list(dict.fromkeys(checkout_ids))
    found: dict[str, Mapping[str, Any] | None] = {}
    shop_name = ""
    for start in range(0, len(unique), CHECKOUTS_PER_CALL):
        chunk = unique[start : start + CHECKOUTS_PER_CALL]
        data = client.execute_text(
            checkouts_document(len(chunk)), {f"c{i}": cid for i, cid in enumerate(chunk)}
        )
        shop_name = str((data.get("shop") or {}).get("name") or shop_name)
        for i, cid in enumerate(chunk):
            node = data.get(f"c{i}")
            found[cid] = node if isinstance(node, Mapping) else None
    return Checkouts(shop_name, found)


def email_spellings(email: str) -> list[str]:
    """The ways Saleor may have stored ``email`` on an order, for its case-sensitive filter.

    Saleor keeps a checkout's (and so its order's) email as the shopper typed it, and
    ``OrderWhereInput.userEmail`` matches exactly (seen on a real 3.23), so the email
    is asked for as typed, lowercased, and with only the domain lowercased (Django's
    ``normalize_email``, used for customer accounts). A shopper typing it in another
    case on the other checkout is still missed.
    """
    if not email:
        return []
    local, _, domain = email.rpartition("@")
    spellings = [email, email.lower()]
    if local:
        spellings.append(f"{local}@{domain.lower()}")
    return list(dict.fromkeys(spellings))


def orders_from_checkouts(
    client: SaleorClient,
    since: datetime,
    checkout_ids: list[str],
    emails: list[str],
    phones: list[str],
) -> list[Mapping[str, Any]]:
    """Orders placed since ``since`` from any of these checkouts, emails or phones."""
    data = client.execute(
        "OrdersFromCheckouts",
        {
            "since": since.isoformat(),
            "checkoutIds": sorted(set(checkout_ids)),
            "emails": sorted(set(emails)),
            "phones": sorted(set(phones)),
            "first": ORDERS_PER_CALL,
        },
    )
    edges = (data.get("orders") or {}).get("edges") or []
    return [
        e["node"] for e in edges if isinstance(e, Mapping) and isinstance(e.get("node"), Mapping)
    ]
