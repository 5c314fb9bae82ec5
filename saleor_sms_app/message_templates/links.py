"""Tracked links: ``{{ short_link("https://…") }}`` in a template becomes
``<short base>/s/<code>``, which redirects (302) to the URL and counts the click.

* Codes are 10 characters from 62 letters and digits drawn with :mod:`secrets`
  (62¹⁰ ≈ 8·10¹⁷): nobody finds another shop's links by guessing.
* Only a code the app stored redirects, and only to the URL stored with it: the
  redirect endpoint is not an open redirect, and an unknown code is a 404 that
  counts nothing.
* A message's links are stored with the message, once it is logged
  (:func:`store_links`); a preview makes placeholder links of the same length
  (:class:`PreviewLinks`), so the segment count the editor shows is the real one.

The template helper reaches the maker of this render through the render
context (:data:`LINKS_KEY`, not a name a template can write), so one compiled
template serves every message.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from saleor_sms_app.errors import TemplateError
from saleor_sms_app.models import ShortLink, utcnow

CODE_LENGTH = 10
CODE_ALPHABET = string.ascii_letters + string.digits
#: Longest URL a link may point at (browsers and providers cope with this).
MAX_URL_LENGTH = 2000
#: Where the render context holds this render's link maker (":" keeps templates out).
LINKS_KEY = "sms:links"

#: Makes the short link for one URL.
LinkMaker = Callable[[str], str]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_code(text: str) -> bool:
    """Whether ``text`` could be a code at all (anything else is 404 without a query)."""
    return len(text) == CODE_LENGTH and all(c in CODE_ALPHABET for c in text)


def checked_url(url: object) -> str:
    """``url`` if a customer's phone can open it: http(s), a host, not too long."""
    if not isinstance(url, str):
        raise TemplateError("short_link needs a URL as text", code="short_link_url")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TemplateError(
            f"short_link needs an http:// or https:// address, got {url[:80]!r}",
            code="short_link_url",
        )
    if len(url) > MAX_URL_LENGTH:
        raise TemplateError(
            f"short_link's address is longer than {MAX_URL_LENGTH} characters",
            code="short_link_url",
        )
    return url


@dataclass
class LinkCollector:
    """The maker for a message about to be logged: new codes, remembered to store."""

    base: str
    made: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, url: str) -> str:
        code = new_code()
        self.made.append((code, checked_url(url)))
        return f"{self.base}/s/{code}"


@dataclass(frozen=True)
class PreviewLinks:
    """The maker for previews: a link as long as a real one, stored nowhere."""

    base: str

    def __call__(self, url: str) -> str:
        checked_url(url)
        return f"{self.base}/s/{'x' * CODE_LENGTH}"


#: Templates rendered without a maker (configuration checks) get placeholders.
_PLACEHOLDER = PreviewLinks("https://example.com")


@pass_context
def short_link(context: Context, url: object) -> str:
    """The template helper: ``{{ short_link("https://shop.example/sale") }}``."""
    maker: LinkMaker = context.get(LINKS_KEY) or _PLACEHOLDER
    return maker(checked_url(url))


def with_links(context: Mapping[str, Any], maker: LinkMaker | None) -> dict[str, Any]:
    """``context`` plus the link maker of this render."""
    return {**context, LINKS_KEY: maker or _PLACEHOLDER}


def store_links(
    session: Session, tenant_id: int, message_id: int, made: Sequence[tuple[str, str]]
) -> None:
    """Keep a logged message's links, so their codes redirect from now on."""
    for code, url in made:
        session.add(ShortLink(tenant_id=tenant_id, code=code, url=url, message_id=message_id))


def follow(session: Session, code: str) -> str | None:
    """Count one click of ``code`` and return where it goes; None (nothing counted)
    for a code the app never made. One ``UPDATE … RETURNING``: concurrent clicks
    all count."""
    if not is_code(code):
        return None
    url = session.execute(
        update(ShortLink)
        .where(ShortLink.code == code)
        .values(clicks=ShortLink.clicks + 1, last_clicked_at=utcnow())
        .returning(ShortLink.url)
    ).scalar_one_or_none()
    return str(url) if url is not None else None


def clicks_by_message(
    session: Session, tenant_id: int, message_ids: Iterable[int]
) -> dict[int, int]:
    """Clicks on each message's links (messages without links are left out)."""
    ids = list(message_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(ShortLink.message_id, func.sum(ShortLink.clicks))
        .where(ShortLink.tenant_id == tenant_id, ShortLink.message_id.in_(ids))
        .group_by(ShortLink.message_id)
    )
    return {int(m): int(c or 0) for m, c in rows if m is not None}
