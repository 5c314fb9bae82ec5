"""A rule's conditions on an order: each one passes and fails with its reason in words,
on orders served by the loopback Saleor through the app's own GraphQL fragment."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from saleor_sms_app.automations.conditions import failing_order_condition, failing_rule_condition
from saleor_sms_app.config.model import Rule, RuleConditions, SendOnlyIf
from saleor_sms_app.saleor.orders import fetch_order
from saleor_sms_app.saleor.tenants import TenantRecord, saleor_client
from saleor_sms_app.services import Services
from tests.pipeline.conftest import saleor, tenant
from tests.standin.saleor import SaleorStandin

__all__ = ["saleor", "tenant"]


@pytest.fixture
def fetched(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> Any:  # a function: make an order in Saleor, fetch it as the app does
    def fetch(**fields: Any) -> dict[str, Any]:
        extra = {k: fields.pop(k) for k in ("chargeStatus",) if k in fields}
        order = saleor.make_order(**fields)
        order.update(extra)
        snapshot = fetch_order(saleor_client(services, tenant), order["id"])
        return dict(snapshot.order)

    return fetch


CASES: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any], str]] = [
    # (conditions, an order that matches, one that does not, the words of the failure)
    ({"shipping_countries": ["pl", "DE"]}, {"country_code": "PL"}, {"country_code": "US"},
     "the order ships to US, not PL, DE"),
    ({"billing_countries": ["US"]}, {"country_code": "US"}, {"country_code": "FR"},
     "the order is billed to FR, not US"),
    ({"total_min": 20, "total_max": 40}, {"shipping": 5.0}, {"shipping": 50.0},
     "the order's total 77 USD is above 40"),
    ({"total_min": 30}, {"currency": "PLN"}, {"shipping": 0.0, "currency": "PLN"},
     "the order's total 27 PLN is below 30"),
    ({"shipping_methods": [" dhl express "]}, {"shipping_method_name": "DHL Express"},
     {"shipping_method_name": "InPost"}, "the order's shipping method is InPost, not dhl express"),
    ({"charge_statuses": ["NONE"]}, {}, {"payment_status": "FULLY_CHARGED"},
     "the order's payment (charge) status is FULL, not one of NONE"),
    ({"customer": "guest"}, {"registered": False}, {"registered": True},
     "the order was placed by a registered customer, not a guest"),
    ({"customer": "registered"}, {"registered": True}, {"registered": False},
     "the order was placed by a guest, not a registered customer"),
    ({"metadata_key": "source", "metadata_value": "tiktok"}, {"metadata": {"source": "tiktok"}},
     {"metadata": {"source": "ig"}}, "the order's metadata 'source' is 'ig', not 'tiktok'"),
    ({"metadata_key": "source", "metadata_value": "tiktok"}, {"metadata": {"source": "tiktok"}},
     {}, "the order has no metadata key 'source'"),
]  # fmt: skip


@pytest.mark.parametrize(("conditions", "good", "bad", "words"), CASES)
def test_each_condition_holds_or_names_itself(
    fetched: Any, conditions: dict[str, Any], good: dict[str, Any], bad: dict[str, Any], words: str
) -> None:
    checked = RuleConditions.model_validate(conditions)
    assert failing_order_condition(checked, fetched(**good)) is None
    assert failing_order_condition(checked, fetched(**bad)) == words


def test_first_order_counts_the_customers_placed_orders_not_drafts(
    fetched: Any, saleor: SaleorStandin
) -> None:
    first = RuleConditions(order_of_customer="first")
    repeat = RuleConditions(order_of_customer="repeat")
    one = fetched(customer_id=501)
    assert one["user"]["orders"]["totalCount"] == 1
    assert failing_order_condition(first, one) is None
    assert failing_order_condition(repeat, one) == "it is the customer's first order"
    fetched(customer_id=501, status="DRAFT")  # a draft is not an order the customer placed
    assert failing_order_condition(first, fetched(customer_id=502)) is None
    second = fetched(customer_id=501)
    assert failing_order_condition(first, second) == (
        "it is not the customer's first order (they have 2)"
    )
    assert failing_order_condition(repeat, second) is None
    # A guest's earlier orders are not visible to the app: a guest order counts as a first one.
    guest = fetched(registered=False)
    assert failing_order_condition(first, guest) is None


def test_conditions_then_send_only_if_in_the_order_the_screen_lists_them(fetched: Any) -> None:
    order = fetched(country_code="US", payment_status="FULLY_CHARGED")
    rule = Rule(
        name="r",
        event="ORDER_CREATED",
        template="x",
        conditions=RuleConditions(statuses=["UNFULFILLED"], shipping_countries=["PL"]),
        send_only_if=SendOnlyIf(charge_statuses=["NONE"]),
    )
    assert failing_rule_condition(rule, order) == "the order ships to US, not PL"
    rule.conditions.shipping_countries = []
    assert "payment (charge) status is FULL" in (failing_rule_condition(rule, order) or "")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"shipping_countries": ["Poland"]}, "shipping_countries", "two-letter country code"),
        ({"total_min": 50, "total_max": 10}, "total_max", "less than the lowest total"),
        ({"total_min": -1}, "total_min", "greater than or equal to 0"),
        ({"charge_statuses": ["PAID"]}, "charge_statuses", "unknown charge status: PAID"),
        ({"customer": "vip"}, "customer", "'any', 'guest' or 'registered'"),
        ({"metadata_value": "x"}, "metadata_value", "name the metadata key"),
    ],
)
def test_a_bad_condition_names_its_field(fields: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        RuleConditions.model_validate(fields)
    (error,) = info.value.errors()
    assert error["loc"] == (field,)
    assert words in error["msg"]
