"""A campaign's customers: read from Saleor 100 at a time, each judged, counted for the preview.

Who can be texted is decided here, the same way for the preview and for the
send: the phone is the default shipping address's, else the default billing
address's, else the phone metadata key of Settings
(:func:`~saleor_sms_app.recipients.phones.find_customer_phone`, the order lookup applied to the
customer); consent is a metadata key of Settings whose value is ``true`` or a date.
Which customers are read is the merchant's filters,
:mod:`saleor_sms_app.campaigns.audience`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from saleor_sms_app.campaigns.audience import MATCHES, Audience, Narrowing, default_country
from saleor_sms_app.config.model import ShopSettings
from saleor_sms_app.consent.marketing import consent_given
from saleor_sms_app.errors import InvalidPhoneNumber, NotFound
from saleor_sms_app.models import mask_phone
from saleor_sms_app.recipients.phones import find_customer_phone, metadata_dict, normalise
from saleor_sms_app.saleor.client import SaleorClient

#: Customers per GraphQL call (Saleor's most).
PAGE_SIZE = 100
#: Most pages the preview reads; beyond them it says it counted part of the audience.
PREVIEW_PAGES = 50
#: Examples the preview shows.
EXAMPLES = 10

#: Why a customer of the audience is left out, in the merchant's words.
LEFT_OUT_REASONS: dict[str, str] = {
    "no_phone": "No phone number (default shipping or billing address, or the metadata key)",
    "invalid_number": "The phone number is not a valid number",
    "no_consent": "Did not agree to marketing texts",
    "opted_out": "On the do-not-text list (replied STOP or added by hand)",
    "duplicate": "Same number as another customer of this campaign",
    "bad_date": "The date in the customer's metadata is not a date (YYYY-MM-DD or MM-DD)",
    # A daily send's preview after the day's run: each customer gets an occurrence once.
    "already_today": "Already reached by today's run (texted, or logged left out then)",
}


@dataclass(frozen=True)
class Person:
    """One customer of the audience: their number (E.164), or why they are left out."""

    customer_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    #: A key of :data:`LEFT_OUT_REASONS`, or None: this customer gets the text.
    left_out: str | None = None
    #: The number as written (an invalid one), for the log.
    raw_phone: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def shown_name(self) -> str:
        """How a preview names them: the full name, else the e-mail."""
        return self.full_name or self.email


def judge(customer: Mapping[str, Any], settings: ShopSettings) -> Person:
    """Phone and consent of one customer who met the filters (the do-not-text list aside)."""
    as_order = {
        "shippingAddress": customer.get("defaultShippingAddress"),
        "billingAddress": customer.get("defaultBillingAddress"),
        "user": {"metadata": customer.get("metadata")},
    }
    base = {
        "customer_id": str(customer.get("id") or ""),
        "first_name": str(customer.get("firstName") or ""),
        "last_name": str(customer.get("lastName") or ""),
        "email": str(customer.get("email") or ""),
    }
    found = find_customer_phone(as_order, settings.phone_metadata_key)
    if found is None:
        return Person(**base, phone="", left_out="no_phone")
    try:
        phone = normalise(found.raw, default_country(customer) or settings.default_country)
    except InvalidPhoneNumber:
        return Person(**base, phone="", left_out="invalid_number", raw_phone=found.raw)
    consent = metadata_dict(customer.get("metadata")).get(
        settings.checkout_reminders.consent_metadata_key
    )
    if not consent_given(consent):
        return Person(**base, phone=phone, left_out="no_consent")
    return Person(**base, phone=phone)


def fetch_customer(
    client: SaleorClient, customer_id: str, settings: ShopSettings
) -> tuple[Person, str]:
    """One customer judged as for a campaign, and the shop's name; :class:`NotFound`
    when Saleor has no such customer (the customer page's "Send SMS" popup)."""
    data = client.execute(
        "CustomersForSms", {"first": 1, "after": None, "where": {"ids": [customer_id]}}
    )
    edges = (data.get("customers") or {}).get("edges") or []
    if not edges or not (edges[0].get("node") or {}).get("id"):
        raise NotFound(f"Saleor has no customer {customer_id!r}", code="customer_not_found")
    shop = data.get("shop") or {}
    return judge(edges[0]["node"], settings), str(shop.get("name") or "")


@dataclass(frozen=True)
class Page:
    """One page of customers that met the filters, and where the next one starts."""

    people: list[Person]
    shop_name: str
    end_cursor: str | None
    has_next: bool
    #: Customers Saleor's own ``where`` matched (before the app's checks).
    total: int


def read_page(
    client: SaleorClient,
    audience: Audience,
    settings: ShopSettings,
    after: str | None,
    *,
    first: int = PAGE_SIZE,
    narrowing: Narrowing | None = None,
) -> Page:
    """One ``CustomersForSms`` call: the customers after ``after`` that meet the filters
    (and ``narrowing``'s, a daily send's date)."""
    zone = ZoneInfo(settings.shop_time_zone)
    where = audience.where(zone)
    if narrowing is not None:
        where = narrowing.merged(where)
    data = client.execute(
        "CustomersForSms", {"first": first, "after": after, "where": where or None}
    )
    connection = data.get("customers") or {}
    info = connection.get("pageInfo") or {}
    nodes = [e.get("node") or {} for e in connection.get("edges") or []]
    people = []
    for node in nodes:
        if not audience.admits(node, zone):
            continue
        verdict = MATCHES if narrowing is None else narrowing.check(node)
        if verdict is None:
            continue
        person = judge(node, settings)
        people.append(replace(person, left_out=verdict) if verdict else person)
    shop = data.get("shop") or {}
    return Page(
        people=people,
        shop_name=str(shop.get("name") or ""),
        end_cursor=info.get("endCursor"),
        has_next=bool(info.get("hasNextPage")),
        total=int(connection.get("totalCount") or 0),
    )


@dataclass
class Tally:
    """Who would get the text and who is left out, as the preview and progress show it."""

    would_get: int = 0
    left_out: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEFT_OUT_REASONS, 0))
    examples: list[dict[str, str]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    #: The first who gets it: a daily send's preview shows the text they would get.
    first: Person | None = None

    def add(self, person: Person, suppressed: set[str]) -> str | None:
        """Count one person; the reason they are left out (None: they get it)."""
        reason = person.left_out
        if reason is None and person.phone in suppressed:
            reason = "opted_out"
        if reason is None and person.phone in self.seen:
            reason = "duplicate"
        if reason is not None:
            self.left_out[reason] += 1
            return reason
        self.seen.add(person.phone)
        self.would_get += 1
        self.first = self.first or person
        if len(self.examples) < EXAMPLES:
            self.examples.append({"name": person.shown_name, "phone": mask_phone(person.phone)})
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            "would_get": self.would_get,
            "left_out": [
                {"reason": code, "label": LEFT_OUT_REASONS[code], "count": n}
                for code, n in self.left_out.items()
                if n
            ],
            "examples": self.examples,
        }


@dataclass(frozen=True)
class Preview:
    tally: Tally
    #: Customers Saleor's ``where`` matched, and how many of them were looked at.
    total: int
    read: int
    complete: bool
    shop_name: str

    def as_json(self) -> dict[str, Any]:
        return {
            **self.tally.as_json(),
            "customers": self.total,
            "counted": self.read,
            "complete": self.complete,
        }


def preview(
    client: SaleorClient,
    audience: Audience,
    settings: ShopSettings,
    suppressed: Callable[[set[str]], set[str]],
    *,
    pages: int = PREVIEW_PAGES,
    narrowing: Narrowing | None = None,
) -> Preview:
    """Who would get the text: counts, :data:`EXAMPLES` masked examples, who is left out and why.

    Reads at most ``pages`` pages; beyond them the answer says how many of
    Saleor's matches it counted (``complete`` false).
    """
    tally = Tally()
    after: str | None = None
    read = total = 0
    shop_name = ""
    for _ in range(pages):
        page = read_page(client, audience, settings, after, narrowing=narrowing)
        total, shop_name = page.total, page.shop_name
        blocked = suppressed({p.phone for p in page.people if p.phone and p.left_out is None})
        for person in page.people:
            tally.add(person, blocked)
        read += PAGE_SIZE if page.has_next else max(total - read, 0)
        after = page.end_cursor
        if not page.has_next:
            return Preview(tally, total, total, True, shop_name)
    return Preview(tally, total, min(read, total), False, shop_name)
