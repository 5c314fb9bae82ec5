"""What a template sees for an order: the tokens merchants can use, and previews.

The context is built from the GraphQL order (:mod:`saleor_sms_app.saleor.orders`) in
one function, :func:`order_context`; :data:`TOKENS` (the dashboard's token
picker) and :func:`sample_context` (previews without an order) go through it
too, so the catalogue cannot drift from what templates really see. Templates
run in :mod:`saleor_sms_app.message_templates.sandbox`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from saleor_sms_app.consent.marketing import with_opt_out
from saleor_sms_app.errors import TemplateError
from saleor_sms_app.message_templates.links import LinkMaker
from saleor_sms_app.message_templates.sandbox import check_tokens, render
from saleor_sms_app.recipients.phones import find_customer_phone, metadata_dict
from saleor_sms_app.segments import SegmentInfo, count_segments

#: Currencies written without decimals (ISO 4217 exponent 0) among common ones.
_ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "XAF", "XOF", "UGX", "PYG"})


def _mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is an object in the GraphQL answer, else an empty one (null fields)."""
    return value if isinstance(value, Mapping) else {}


def _amount(money: Any) -> tuple[Decimal | None, str]:
    """``(amount, currency)`` of a Saleor ``TaxedMoney`` (gross) or ``Money``."""
    money = _mapping(money)
    if "gross" in money:
        money = _mapping(money["gross"])
    try:
        amount = Decimal(str(money.get("amount")))
    except (InvalidOperation, ValueError):
        return None, str(money.get("currency") or "")
    return amount, str(money.get("currency") or "")


def format_money(amount: Decimal | None, currency: str) -> str:
    """``63.00 USD``: unambiguous in every country, and GSM-7 (no currency symbols)."""
    if amount is None:
        return ""
    digits = 0 if currency in _ZERO_DECIMAL else 2
    return f"{amount:,.{digits}f} {currency}".strip()


def money_text(money: Any) -> str:
    """A GraphQL ``TaxedMoney`` (gross) or ``Money`` as ``63.00 USD``; "" when absent."""
    return format_money(*_amount(money))


def _date(value: Any) -> str:
    try:
        return datetime.fromisoformat(str(value)).date().isoformat()
    except ValueError:
        return ""


def _address(address: Any) -> dict[str, str]:
    a = _mapping(address)
    country = _mapping(a.get("country"))
    first, last = str(a.get("firstName") or ""), str(a.get("lastName") or "")
    street = ", ".join(s for s in (a.get("streetAddress1"), a.get("streetAddress2")) if s)
    return {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip(),
        "company": str(a.get("companyName") or ""),
        "street": street,
        "city": str(a.get("city") or ""),
        "postal_code": str(a.get("postalCode") or ""),
        "country_area": str(a.get("countryArea") or ""),
        "country": str(country.get("country") or ""),
        "country_code": str(country.get("code") or ""),
        "phone": str(a.get("phone") or ""),
    }


def _tracking_number(order: Mapping[str, Any], fulfillment_id: str | None) -> str:
    """The event's fulfillment's tracking number, else the latest one with a number."""
    fulfillments = [f for f in order.get("fulfillments") or [] if isinstance(f, Mapping)]
    if fulfillment_id:
        for f in fulfillments:
            if f.get("id") == fulfillment_id and f.get("trackingNumber"):
                return str(f["trackingNumber"])
    with_numbers = [f for f in fulfillments if f.get("trackingNumber")]
    with_numbers.sort(key=lambda f: str(f.get("created") or ""))
    return str(with_numbers[-1]["trackingNumber"]) if with_numbers else ""


def order_context(
    order: Mapping[str, Any],
    *,
    shop_name: str,
    fulfillment_id: str | None = None,
    phone_metadata_key: str = "phone",
) -> dict[str, Any]:
    """What a template sees for one order (the shape :data:`TOKENS` documents)."""
    total, currency = _amount(order.get("total"))
    subtotal, _ = _amount(order.get("subtotal"))
    shipping, _ = _amount(order.get("shippingPrice"))
    shipping_address = _address(order.get("shippingAddress"))
    billing_address = _address(order.get("billingAddress"))
    user = _mapping(order.get("user"))
    first = str(
        user.get("firstName") or billing_address["first_name"] or shipping_address["first_name"]
    )
    last = str(
        user.get("lastName") or billing_address["last_name"] or shipping_address["last_name"]
    )
    found = find_customer_phone(order, phone_metadata_key)
    lines = [
        {
            "name": str(line.get("productName") or ""),
            "variant": str(line.get("variantName") or ""),
            "sku": str(line.get("productSku") or ""),
            "quantity": int(line.get("quantity") or 0),
        }
        for line in order.get("lines") or []
        if isinstance(line, Mapping)
    ]
    channel = _mapping(order.get("channel"))
    return {
        "shop": {"name": shop_name},
        "order": {
            "id": str(order.get("id") or ""),
            "number": str(order.get("number") or ""),
            "status": str(order.get("status") or ""),
            "created": str(order.get("created") or ""),
            "date": _date(order.get("created")),
            "currency": currency,
            "total": format_money(total, currency),
            "total_amount": total,
            "subtotal": format_money(subtotal, currency),
            "subtotal_amount": subtotal,
            "shipping_price": format_money(shipping, currency),
            "shipping_amount": shipping,
            "shipping_method": str(order.get("shippingMethodName") or ""),
            "tracking_number": _tracking_number(order, fulfillment_id),
            "lines": lines,
            "products": ", ".join(
                f"{line['quantity']} x {line['name']}"
                + (f" ({line['variant']})" if line["variant"] else "")
                for line in lines
            ),
            "item_count": sum(line["quantity"] for line in lines),
            "metadata": metadata_dict(order.get("metadata")),
        },
        "customer": {
            "first_name": first,
            "last_name": last,
            "full_name": f"{first} {last}".strip(),
            "email": str(order.get("userEmail") or user.get("email") or ""),
            "phone": found.raw if found else "",
        },
        "shipping_address": shipping_address,
        "billing_address": billing_address,
        "channel": {"name": str(channel.get("name") or ""), "slug": str(channel.get("slug") or "")},
    }


#: A believable order for previews and for the token catalogue's examples.
SAMPLE_ORDER: dict[str, Any] = {
    "id": "T3JkZXI6ZjEzN2MyMWMtNDllZi00ODNkLWI1MTUtZWNkZWYyMDgyOGIx",
    "number": "1042",
    "status": "UNFULFILLED",
    "created": "2026-05-14T09:30:00+00:00",
    "userEmail": "anna.kowalska@example.com",
    "user": {"firstName": "Anna", "lastName": "Kowalska", "email": "anna.kowalska@example.com"},
    "total": {"gross": {"amount": 63.5, "currency": "USD"}},
    "subtotal": {"gross": {"amount": 55.0, "currency": "USD"}},
    "shippingPrice": {"gross": {"amount": 8.5, "currency": "USD"}},
    "shippingMethodName": "DHL Express",
    "channel": {"name": "Default Channel", "slug": "default-channel"},
    "lines": [
        {"productName": "Juice", "variantName": "1 l", "productSku": "JCE-1L", "quantity": 2},
        {"productName": "Mug", "variantName": "", "productSku": "MUG-01", "quantity": 1},
    ],
    "fulfillments": [
        {"id": "RnVsZmlsbG1lbnQ6MQ==", "trackingNumber": "JJD0099887766", "created": "2026-05-15"}
    ],
    "shippingAddress": {
        "firstName": "Anna",
        "lastName": "Kowalska",
        "companyName": "Kowalska Design",
        "streetAddress1": "ul. Prosta 1",
        "streetAddress2": "m. 4",
        "city": "Warszawa",
        "postalCode": "00-001",
        "countryArea": "mazowieckie",
        "country": {"code": "PL", "country": "Poland"},
        "phone": "+48601234567",
    },
    "billingAddress": {
        "firstName": "Anna",
        "lastName": "Kowalska",
        "companyName": "Kowalska Design",
        "streetAddress1": "ul. Prosta 1",
        "streetAddress2": "",
        "city": "Warszawa",
        "postalCode": "00-001",
        "countryArea": "mazowieckie",
        "country": {"code": "PL", "country": "Poland"},
        "phone": "+48601234567",
    },
    "metadata": [{"key": "gift_note", "value": "Happy birthday!"}],
}


def sample_context(shop_name: str = "Example Shop") -> dict[str, Any]:
    """The context of :data:`SAMPLE_ORDER`, for previews before any order exists."""
    return order_context(SAMPLE_ORDER, shop_name=shop_name)


_SAMPLE_CONTEXT = sample_context()


def check_template(source: str, context: Mapping[str, Any] | None = None) -> None:
    """Raise :class:`TemplateError` for a template that cannot work on any order.

    Syntax and token names only: whether ``order.metadata.x`` exists depends
    on the order, so that is left to rendering. Used when configuration is saved.
    ``context`` is a sample of another kind of text (a checkout reminder's).
    """
    check_tokens(source, _SAMPLE_CONTEXT if context is None else context)


@dataclass(frozen=True)
class Token:
    """One entry of the token picker: ``{{ name }}``, what it is, and a sample value."""

    name: str
    description: str
    example: str


_DESCRIPTIONS: dict[str, str] = {
    "shop.name": "Your shop's name",
    "order.number": "Order number as customers see it",
    "order.id": "Saleor's order ID",
    "order.status": "Order status (UNFULFILLED, FULFILLED ...)",
    "order.created": "When the order was placed (ISO date and time)",
    "order.date": "Date the order was placed (YYYY-MM-DD)",
    "order.total": "Order total with currency",
    "order.total_amount": "Order total, number only",
    "order.currency": "Currency code",
    "order.subtotal": "Subtotal with currency",
    "order.subtotal_amount": "Subtotal, number only",
    "order.shipping_price": "Shipping price with currency",
    "order.shipping_amount": "Shipping price, number only",
    "order.shipping_method": "Shipping method name",
    "order.tracking_number": "Tracking number of the shipment (the latest one)",
    "order.products": "Products ordered, e.g. 2 x Juice (1 l), 1 x Mug",
    "order.item_count": "Number of items ordered",
    "order.lines": "Order lines, for loops: name, variant, sku, quantity",
    "order.metadata": "Order metadata, e.g. {{ order.metadata.gift_note }}",
    "customer.first_name": "Customer's first name",
    "customer.last_name": "Customer's last name",
    "customer.full_name": "Customer's first and last name",
    "customer.email": "Customer's e-mail",
    "customer.phone": "Customer's phone number as entered",
    "channel.name": "Sales channel name",
    "channel.slug": "Sales channel slug",
}
_ADDRESS_DESCRIPTIONS: dict[str, str] = {
    "first_name": "first name",
    "last_name": "last name",
    "full_name": "full name",
    "company": "company",
    "street": "street",
    "city": "city",
    "postal_code": "postal code",
    "country_area": "state or region",
    "country": "country name",
    "country_code": "country code",
    "phone": "phone",
}
for _prefix, _label in (("shipping_address", "Shipping"), ("billing_address", "Billing")):
    for _key, _text in _ADDRESS_DESCRIPTIONS.items():
        _DESCRIPTIONS[f"{_prefix}.{_key}"] = f"{_label} address: {_text}"


def _example(context: Mapping[str, Any], name: str) -> str:
    value: Any = context
    for part in name.split("."):
        value = value[part]
    if name == "order.lines":
        return "{% for line in order.lines %}{{ line.quantity }} x {{ line.name }} {% endfor %}"
    if name == "order.metadata":
        return "{{ order.metadata.gift_note }} → " + str(value.get("gift_note", ""))
    return str(value)


def _catalogue() -> tuple[Token, ...]:
    context = sample_context()
    return tuple(Token(n, d, _example(context, n)) for n, d in _DESCRIPTIONS.items())


#: Every token, in picker order; examples are rendered from :data:`SAMPLE_ORDER`.
TOKENS: tuple[Token, ...] = _catalogue()


@dataclass(frozen=True)
class Preview:
    """A template tried against a context: never raises, problems are listed instead."""

    text: str
    segments: SegmentInfo
    problems: list[str] = field(default_factory=list)


def preview(
    source: str,
    context: Mapping[str, Any] | None = None,
    *,
    links: LinkMaker | None = None,
    opt_out_line: str = "",
) -> Preview:
    """Render for the editor: the text, what it costs in segments, and what is wrong.

    A marketing rule's preview passes the shop's ``opt_out_line``: it is part of
    the text, so of the segments, too.
    """
    problems: list[str] = []
    text = ""
    try:
        text = render(source, sample_context() if context is None else context, links)
    except TemplateError as exc:
        problems.append(exc.message)
    if text:
        text = with_opt_out(text, opt_out_line)
    if not problems and not text:
        problems.append("the message is empty")
    return Preview(text=text, segments=count_segments(text), problems=problems)
