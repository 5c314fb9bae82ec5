"""The audience: who a campaign would text, read from the loopback Saleor 100 at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from saleor_sms_app.campaigns.audience import Audience
from saleor_sms_app.campaigns.customers import preview, read_page
from saleor_sms_app.config.model import ShopSettings
from saleor_sms_app.consent.marketing import consent_given
from saleor_sms_app.consent.suppressions import suppress, suppressed_numbers
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import BadRequest
from saleor_sms_app.saleor.tenants import TenantRecord, saleor_client
from saleor_sms_app.services import Services
from tests.campaigns.conftest import AddCustomer
from tests.standin.saleor import SaleorStandin, address

SETTINGS = ShopSettings(default_country="PL")


def _preview(services: Services, tenant: TenantRecord, audience: Audience) -> Any:
    def suppressed(phones: set[str]) -> set[str]:
        with services.sessions() as session:
            return suppressed_numbers(session, tenant.id, phones)

    return preview(saleor_client(services, tenant), audience, SETTINGS, suppressed)


def test_preview_counts_who_gets_it_and_why_the_others_do_not(
    services: Services, tenant: TenantRecord, saleor: SaleorStandin, add_customer: AddCustomer
) -> None:
    add_customer("+48601000001", first_name="Ala")  # shipping address
    add_customer(None, billing_phone="601 000 002")  # billing, national, read in PL
    add_customer(None, metadata={"phone": "+48601000003"})  # the phone metadata key
    add_customer(None, metadata={"sms_marketing_consent": "2026-11-02"}, consent=False)
    add_customer("12")  # invalid
    add_customer("+48601000006", consent=False)
    add_customer("+48601000007", metadata={"sms_marketing_consent": "false"})
    add_customer("+48601000008")  # on the do-not-text list
    add_customer("+48 601 000 001")  # the same number as the first customer
    add_customer(None, metadata={"phone": "+48601000010", "sms_marketing_consent": "2026-11-02"})
    with session_scope(services.sessions) as session:
        suppress(session, tenant.id, "+48601000008", reason="STOP", source="inbound")

    found = _preview(services, tenant, Audience())

    assert found.tally.would_get == 4
    left = {row["reason"]: row["count"] for row in found.as_json()["left_out"]}
    assert left == {
        "no_phone": 1,
        "invalid_number": 1,
        "no_consent": 2,
        "opted_out": 1,
        "duplicate": 1,
    }
    examples = found.as_json()["examples"]
    assert [e["phone"] for e in examples] == [
        "+48*****0001",
        "+48*****0002",
        "+48*****0003",
        "+48*****0010",
    ]
    assert examples[0]["name"] == "Ala Nowak"
    assert found.complete and found.total == 10


def test_consent_is_true_or_a_date() -> None:
    assert consent_given("true") and consent_given("True") and consent_given("yes")
    assert consent_given("2026-11-02") and consent_given("2026-11-02T10:00:00Z")
    assert not consent_given("false") and not consent_given("") and not consent_given(None)
    assert not consent_given("maybe")


def test_pages_of_100_with_saleors_where(
    services: Services, tenant: TenantRecord, saleor: SaleorStandin, add_customer: AddCustomer
) -> None:
    for n in range(250):
        add_customer(f"+4860110{n:04d}")
    found = _preview(services, tenant, Audience())
    assert found.tally.would_get == 250
    assert saleor.customers.pages_served == 3
    asked = [r for r in saleor.requests if b"CustomersForSms" in r.body]
    assert [r.json()["variables"]["first"] for r in asked] == [100, 100, 100]


def test_filters_as_the_merchant_means_them(
    services: Services, tenant: TenantRecord, saleor: SaleorStandin, add_customer: AddCustomer
) -> None:
    joined_old = datetime(2024, 5, 1, tzinfo=UTC)
    joined_new = datetime(2026, 3, 1, tzinfo=UTC)
    early = datetime(2026, 1, 10, tzinfo=UTC)
    late = datetime(2026, 6, 10, tzinfo=UTC)
    add_customer("+48601000001", joined=joined_new, orders=[early])  # matches all
    add_customer("+48601000002", joined=joined_old, orders=[early])  # joined too early
    add_customer("+48601000003", joined=joined_new, orders=[early, late])  # last order too late
    add_customer("+48601000004", joined=joined_new, orders=[])  # no order
    # Default address in Germany, a second address in Poland: Saleor's filter matches it.
    add_customer(
        "+4915112345678",
        country="DE",
        joined=joined_new,
        orders=[early],
        addresses=[address(country_code="PL", phone=None)],
    )
    add_customer("+48601000006", joined=joined_new, orders=[early], metadata={"tier": "silver"})
    audience = Audience.from_json(
        {
            "joined_from": "2025-01-01",
            "joined_to": "2026-12-31",
            "orders_min": 1,
            "orders_max": 1,
            "last_order_from": "2026-01-01",
            "last_order_to": "2026-02-01",
            "country": "pl",
        }
    )
    found = _preview(services, tenant, audience)
    assert found.tally.would_get == 2  # customers 1 and 6
    sent_where = [
        r.json()["variables"]["where"] for r in saleor.requests if b"CustomersForSms" in r.body
    ][-1]
    assert sent_where["addresses"] == {"country": {"eq": "PL"}}
    assert sent_where["numberOfOrders"] == {"range": {"gte": 1, "lte": 1}}
    assert set(sent_where) == {"dateJoined", "numberOfOrders", "placedOrdersAt", "addresses"}

    by_tier = _preview(
        services, tenant, Audience.from_json({"metadata_key": "tier", "metadata_value": "silver"})
    )
    assert by_tier.tally.would_get == 1
    assert by_tier.total == 1  # Saleor's own where filtered the pages


def test_a_page_is_only_the_customers_who_meet_the_filters(
    services: Services, tenant: TenantRecord, add_customer: AddCustomer
) -> None:
    add_customer("+48601000001", country="DE")
    page = read_page(saleor_client(services, tenant), Audience(country="PL"), SETTINGS, None)
    assert page.people == [] and not page.has_next


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"joined_from": "yesterday"}, "audience.joined_from"),
        ({"orders_min": -1}, "audience.orders_min"),
        ({"orders_min": 1.5}, "audience.orders_min"),
        ({"orders_min": 3, "orders_max": 1}, "audience.orders_max"),
        ({"country": "Poland"}, "audience.country"),
        ({"metadata_value": "x"}, "audience.metadata_key"),
        ("everyone", "audience"),
    ],
)
def test_bad_filters_name_the_field(body: Any, field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        Audience.from_json(body)
    assert field in caught.value.details


def test_the_standin_refuses_more_than_100_a_page_as_saleor_does(saleor: SaleorStandin) -> None:
    answer = saleor.execute_graphql("query { customers(first: 101) { totalCount } }")
    assert "exceeds the `first` limit of 100" in answer["errors"][0]["message"]


def test_a_provider_has_a_campaign_pace() -> None:
    from pydantic import ValidationError

    from saleor_sms_app.config.model import ProviderConfig

    assert ProviderConfig(type="sandbox").messages_per_second is None
    assert ProviderConfig(type="sandbox", messages_per_second=2.5).messages_per_second == 2.5
    with pytest.raises(ValidationError):
        ProviderConfig(type="sandbox", messages_per_second=0)
