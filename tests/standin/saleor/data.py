"""Schema-shaped building blocks shared by orders, checkouts and customers: money,
addresses, channels, metadata.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from tests.standin.saleor.schema import global_id


def money(amount: float, currency: str) -> dict[str, Any]:
    digits = 0 if currency in {"JPY", "KRW"} else 2
    return {
        "__typename": "Money",
        "amount": round(float(amount), digits),
        "currency": currency,
        "fractionalAmount": int(round(float(amount) * 10**digits)),
        "fractionDigits": digits,
    }


def taxed_money(gross: float, currency: str, tax_rate: float = 0.0) -> dict[str, Any]:
    net = round(gross / (1 + tax_rate), 2)
    return {
        "__typename": "TaxedMoney",
        "currency": currency,
        "gross": money(gross, currency),
        "net": money(net, currency),
        "tax": money(round(gross - net, 2), currency),
    }


COUNTRY_NAMES = {
    "US": "United States of America",
    "PL": "Poland",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "BR": "Brazil",
    "IN": "India",
}


def country(code: str) -> dict[str, Any]:
    return {"__typename": "CountryDisplay", "code": code, "country": COUNTRY_NAMES.get(code, code)}


def address(
    *,
    first_name: str = "Jane",
    last_name: str = "Doe",
    phone: str | None = "+12025550123",
    country_code: str = "US",
    city: str = "WASHINGTON",
    street: str = "1600 Pennsylvania Ave NW",
    postal_code: str = "20500",
) -> dict[str, Any]:
    return {
        "__typename": "Address",
        "id": global_id("Address", uuid.uuid4().int % 100000),
        "firstName": first_name,
        "lastName": last_name,
        "companyName": "",
        "streetAddress1": street,
        "streetAddress2": "",
        "city": city,
        "cityArea": "",
        "postalCode": postal_code,
        "country": country(country_code),
        "countryArea": "DC" if country_code == "US" else "",
        "phone": phone,
        "isDefaultShippingAddress": None,
        "isDefaultBillingAddress": None,
        "metadata": [],
        "privateMetadata": [],
    }


def channel(
    slug: str = "default-channel",
    *,
    name: str = "Default Channel",
    currency: str = "USD",
    country_code: str = "US",
) -> dict[str, Any]:
    return {
        "__typename": "Channel",
        "id": global_id("Channel", abs(hash(slug)) % 1000),
        "slug": slug,
        "name": name,
        "isActive": True,
        "currencyCode": currency,
        "hasOrders": True,
        "defaultCountry": country(country_code),
        "metadata": [],
        "privateMetadata": [],
    }


def metadata_items(values: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"__typename": "MetadataItem", "key": k, "value": v} for k, v in (values or {}).items()]
