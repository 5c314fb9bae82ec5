"""Saleor's global ids: base64 of ``<Type>:<primary key>`` (graphene's relay ids).

The app never makes one up; it only checks that an id a page handed it names the
kind of object it should, so a mangled id is refused by name before Saleor is asked.
"""

from __future__ import annotations

import base64
import binascii

#: Longer than any id Saleor makes (a UUID-keyed ``Order`` id is 56 characters).
MAX_ID_LENGTH = 128


def id_kind(value: str) -> tuple[str, str] | None:
    """``("User", "6")`` for ``VXNlcjo2``; None for anything that is not a global id."""
    if not value or len(value) > MAX_ID_LENGTH:
        return None
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    kind, colon, key = decoded.partition(":")
    if not colon or not kind.isalpha() or not key:
        return None
    return kind, key


def is_customer_id(value: str) -> bool:
    """Whether ``value`` is the global id of a customer (``User:<number>``)."""
    found = id_kind(value)
    return found is not None and found[0] == "User" and found[1].isdigit()
