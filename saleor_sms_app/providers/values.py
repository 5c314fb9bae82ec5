"""Reading single values out of provider answers: amounts, counts, objects, entries.

Providers write numbers as JSON numbers or as text, nest optional objects, and
answer one recipient with a list of one; these helpers read such values the
same way for every adapter and give None (or an empty object) where the value
is absent or unreadable, so an adapter's shape checks stay one line.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def digits(phone: str) -> str:
    """``+48 500-100-200`` → ``48500100200`` (several providers refuse the '+')."""
    return "".join(ch for ch in phone if ch.isdigit())


def to_decimal(value: object) -> Decimal | None:
    """A provider's amount (number or text) as Decimal; None when absent or unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def obj(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (for optional sub-objects)."""
    return value if isinstance(value, dict) else {}


def first_entry(body: Any, key: str) -> dict[str, Any] | None:
    """``body[key][0]`` when it is a JSON object, else None.

    Providers answer a send with a list of per-recipient (or per-part) entries
    even for one recipient: SMSAPI ``list``, Mocean, Infobip and Vonage ``messages``.
    """
    entries = body.get(key) if isinstance(body, dict) else None
    first = entries[0] if isinstance(entries, list) and entries else None
    return first if isinstance(first, dict) else None


def to_int(value: object) -> int | None:
    """A provider's count (number or text) as int; None when absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None
