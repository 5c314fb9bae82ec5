"""The customer's phone number: where to find it on an order, and how to make it E.164.

Merchants expect the lookup order of the add-ons they know (msSMS, the Shoper
SMSAPI app): the number the customer typed for delivery, then the billing one,
then a number kept on the customer's account. Saleor stores address phones
already validated, but a metadata value is whatever a storefront wrote, so
every number goes through the same ``phonenumbers`` check (parse with a region
→ ``is_valid_number`` → E.164) and a bad one raises :class:`InvalidPhoneNumber`
carrying the raw input, so the message log can show the merchant what was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers

from saleor_sms_app.config.model import ShopSettings
from saleor_sms_app.errors import InvalidPhoneNumber

#: Where a customer's number was found, in lookup order (shown in the log).
SHIPPING_ADDRESS = "shipping address"
BILLING_ADDRESS = "billing address"
USER_METADATA = "customer metadata"


@dataclass(frozen=True)
class FoundPhone:
    """A number as written on the order, before normalisation."""

    raw: str
    source: str


def invalid_phone(raw: str, reason: str) -> InvalidPhoneNumber:
    """The error for a number we cannot text; ``details["raw"]`` keeps the input for the log."""
    return InvalidPhoneNumber(f"{reason}: {raw!r}", details={"raw": raw})


#: Distinct numbers kept parsed: a campaign's or a drain's batch texts each number
#: once but reads it twice (normalising, then its time zone for quiet hours).
PARSED_CACHE_SIZE = 8192


@lru_cache(maxsize=PARSED_CACHE_SIZE)
def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse``, once per distinct text and region (a pure function;
    its answer is never changed by its callers). A failure is not cached."""
    return phonenumbers.parse(text, region)


def parsed_number(e164: str) -> phonenumbers.PhoneNumber:
    """An E.164 number parsed (shared with :func:`normalise`, which parsed it first).

    Raises ``phonenumbers.NumberParseException`` when it is not a number.
    """
    return _parse(e164, None)


def normalise(raw: str, country: str | None) -> str:
    """``raw`` as E.164, reading national numbers as numbers of ``country``.

    Raises :class:`InvalidPhoneNumber` when the text is not a phone number, has
    no country code and no region to read it in, or is not a valid number.
    """
    text = raw.strip()
    if not text:
        raise invalid_phone(raw, "the phone number is empty")
    region = (country or "").strip().upper() or None
    # A number already in international form reads the same in every region:
    # parsed once under the key every later reader of the E.164 number uses.
    international = text.startswith("+") and text[1:].isdigit()
    try:
        number = _parse(text, None if international else region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            reason = (
                "the phone number has no valid country code and no default country is set"
                if region is None
                else "the phone number has an unknown country code"
            )
        else:
            reason = "this is not a phone number"
        raise invalid_phone(raw, reason) from exc
    if not phonenumbers.is_valid_number(number):
        where = f" for {region}" if region and not text.startswith("+") else ""
        raise invalid_phone(raw, f"the phone number is not a valid number{where}")
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def metadata_dict(items: Any) -> dict[str, str]:
    """Saleor's ``[{key, value}]`` metadata list as a plain dict (bad entries ignored)."""
    if not isinstance(items, list):
        return {}
    return {
        str(item["key"]): str(item.get("value") or "")
        for item in items
        if isinstance(item, Mapping) and item.get("key")
    }


def _address_phone(order: Mapping[str, Any], field: str) -> str:
    address = order.get(field)
    if isinstance(address, Mapping):
        return str(address.get("phone") or "").strip()
    return ""


def find_customer_phone(order: Mapping[str, Any], metadata_key: str) -> FoundPhone | None:
    """The first number on the order: shipping, billing, then the user's metadata key."""
    for field, source in (
        ("shippingAddress", SHIPPING_ADDRESS),
        ("billingAddress", BILLING_ADDRESS),
    ):
        raw = _address_phone(order, field)
        if raw:
            return FoundPhone(raw, source)
    user = order.get("user")
    if metadata_key and isinstance(user, Mapping):
        raw = metadata_dict(user.get("metadata")).get(metadata_key, "").strip()
        if raw:
            return FoundPhone(raw, USER_METADATA)
    return None


def order_country(order: Mapping[str, Any], settings: ShopSettings) -> str:
    """The region for national numbers: the channel's default country, else the shop's."""
    channel = order.get("channel")
    if isinstance(channel, Mapping):
        country = channel.get("defaultCountry")
        if isinstance(country, Mapping) and country.get("code"):
            return str(country["code"]).upper()
    return settings.default_country


def customer_phone(
    order: Mapping[str, Any], settings: ShopSettings
) -> tuple[FoundPhone, str] | None:
    """The customer's number as found and as E.164, or None when the order has none.

    Raises :class:`InvalidPhoneNumber` for a number that is there but unusable.
    """
    found = find_customer_phone(order, settings.phone_metadata_key)
    if found is None:
        return None
    return found, normalise(found.raw, order_country(order, settings))


def staff_phone(raw: str, settings: ShopSettings) -> str:
    """A staff or fixed number as E.164, national numbers read in ``staff_country``."""
    return normalise(raw, settings.staff_country)
