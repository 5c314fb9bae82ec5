"""Finding the customer's number on an order and normalising it to E.164."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_sms_app.config.model import ShopSettings
from saleor_sms_app.errors import InvalidPhoneNumber
from saleor_sms_app.recipients.phones import (
    BILLING_ADDRESS,
    SHIPPING_ADDRESS,
    USER_METADATA,
    customer_phone,
    normalise,
    parsed_number,
    staff_phone,
)


def order(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "shippingAddress": None,
        "billingAddress": None,
        "user": None,
        "channel": {"slug": "pl", "defaultCountry": {"code": "PL"}},
    }
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+48 601 234 567", None, "+48601234567"),
        ("601-234-567", "PL", "+48601234567"),
        ("(201) 555-0123", "US", "+12015550123"),
        ("06 12 34 56 78", "nl", "+31612345678"),
        ("+31612345678", "US", "+31612345678"),
    ],
)
def test_valid_numbers_become_e164(raw: str, country: str | None, expected: str) -> None:
    assert normalise(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country", "reason"),
    [
        ("601234567", None, "no valid country code and no default country"),
        ("hello", "PL", "not a phone number"),
        ("+48 123", "PL", "not a valid number"),
        ("12345", "PL", "not a valid number for PL"),
        ("   ", "PL", "empty"),
    ],
)
def test_invalid_numbers_say_why_and_keep_the_input(
    raw: str, country: str | None, reason: str
) -> None:
    with pytest.raises(InvalidPhoneNumber) as info:
        normalise(raw, country)
    assert reason in info.value.message
    assert info.value.details == {"raw": raw}


def test_lookup_order_shipping_then_billing_then_metadata() -> None:
    settings = ShopSettings(phone_metadata_key="mobile")
    user = {"metadata": [{"key": "mobile", "value": "+48 500 100 200"}]}
    everything = order(
        shippingAddress={"phone": "+48601234567"},
        billingAddress={"phone": "+48602000000"},
        user=user,
    )
    found = customer_phone(everything, settings)
    assert found is not None and found[0].source == SHIPPING_ADDRESS
    assert found[1] == "+48601234567"

    found = customer_phone(order(billingAddress={"phone": "+48602000000"}, user=user), settings)
    assert found is not None and (found[0].source, found[1]) == (BILLING_ADDRESS, "+48602000000")

    found = customer_phone(order(shippingAddress={"phone": ""}, user=user), settings)
    assert found is not None and (found[0].source, found[1]) == (USER_METADATA, "+48500100200")

    # Another metadata key is not a phone number.
    assert customer_phone(order(user=user), ShopSettings()) is None


def test_national_numbers_use_the_channel_country_then_the_shop_default() -> None:
    settings = ShopSettings(default_country="DE")
    on_pl_channel = order(shippingAddress={"phone": "601 234 567"})
    found = customer_phone(on_pl_channel, settings)
    assert found is not None and found[1] == "+48601234567"

    no_country = order(shippingAddress={"phone": "0151 23456789"}, channel={"slug": "x"})
    found = customer_phone(no_country, settings)
    assert found is not None and found[1] == "+4915123456789"

    with pytest.raises(InvalidPhoneNumber) as info:
        customer_phone(no_country, ShopSettings(default_country="PL"))
    assert info.value.details == {"raw": "0151 23456789"}


def test_staff_numbers_use_the_staff_country() -> None:
    settings = ShopSettings(default_country="US", staff_country="PL")
    assert staff_phone("601 234 567", settings) == "+48601234567"


@pytest.mark.parametrize("country", [None, "PL", "US", "DE"])
def test_an_international_number_reads_the_same_in_every_region_and_is_parsed_once(
    country: str | None,
) -> None:
    """The parse is shared (quiet hours read the number's zone from it), so a number
    with its ``+`` prefix must not depend on the region it is read in."""
    assert normalise(" +48 601 234 567 ", country) == "+48601234567"
    assert normalise("+48601234567", country) == "+48601234567"
    assert parsed_number("+48601234567") is parsed_number("+48601234567")
    assert parsed_number("+48601234567").country_code == 48
    with pytest.raises(InvalidPhoneNumber, match="not a valid number"):
        normalise("+4860123", country)
