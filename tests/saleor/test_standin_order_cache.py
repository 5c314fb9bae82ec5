"""The stand-in's kept orders (tests/standin/saleor/order_cache.py) answer exactly as
graphql-core executing the real 3.23 schema does, for the app's own documents, also
after the data changes in every way the ``Order`` subtree can see."""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult, execute
from saleor_sms_app.saleor.documents import load
from tests.standin.saleor import SaleorStandin, global_id, saleor_schema
from tests.standin.saleor.schema import _field_resolver
from tests.standin.saleor.server import checked_document

#: A document reading a customer's orders' own fields (nodes, not only the count).
CUSTOMER_ORDERS = """
query ($id: ID!, $key: String!) {
  order(id: $id) {
    id
    status
    metafield(key: $key)
    user { id orders(first: 10) { totalCount edges { node { id status number } } } }
  }
}
"""


def _plain(saleor: SaleorStandin, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """graphql-core's own executor over the same data: the reference answer."""
    document, errors = checked_document(query)
    assert document is not None, errors
    result = execute(
        saleor_schema(),
        document,
        root_value=saleor._root(),
        context_value={"app": True},
        variable_values=variables,
        field_resolver=_field_resolver,
    )
    assert isinstance(result, ExecutionResult)
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    return body


def _calls(saleor: SaleorStandin) -> list[tuple[str, dict[str, Any]]]:
    ids = list(saleor.orders)
    first_id = ids[0]
    return [
        (load("OrdersForSms"), {"ids": ids, "first": len(ids)}),
        (load("OrdersForSms"), {"ids": ids[1:3], "first": 2}),
        (load("OrderForSms"), {"id": first_id}),
        (load("RecentOrders"), {"first": 10}),
        (CUSTOMER_ORDERS, {"id": first_id, "key": "gift"}),
        (CUSTOMER_ORDERS, {"id": first_id, "key": "other"}),
    ]


def _assert_same(saleor: SaleorStandin) -> None:
    for query, variables in _calls(saleor):
        expected = _plain(saleor, query, variables)
        assert saleor.execute_graphql(query, variables) == expected, (query, variables)
        # The second answer comes from the kept orders; still the same.
        assert saleor.execute_graphql(query, variables) == expected, (query, variables)


def test_kept_orders_answer_as_graphql_core_before_and_after_every_change(
    saleor_standin: SaleorStandin,
) -> None:
    saleor = saleor_standin
    saleor.token, saleor.app_id = "app-token", global_id("App", 1)
    first = saleor.make_order(customer_id=7, metadata={"gift": "yes"}, tracking_numbers=["T1"])
    saleor.make_order(customer_id=7, status="FULFILLED")
    saleor.make_order(phone=None, registered=False)
    saleor.make_order(lines=[("Mug", 3, 9.5)])
    _assert_same(saleor)
    assert saleor.order_cache.hits > 0  # the comparison did go through kept orders

    hits = saleor.order_cache.hits
    first["status"] = "CANCELED"  # the order itself
    _assert_same(saleor)
    first["metadata"].append({"key": "gift", "value": "changed"})
    first["billingAddress"]["phone"] = "+48601234567"  # deep inside it
    _assert_same(saleor)
    saleor.make_order(customer_id=7)  # another order of the same customer
    _assert_same(saleor)
    other = next(o for o in saleor.orders.values() if o is not first and o["user"])
    other["status"] = "RETURNED"  # an order of the customer changes
    _assert_same(saleor)
    del saleor.orders[other["id"]]  # and one disappears
    _assert_same(saleor)
    assert saleor.order_cache.hits > hits


def test_an_order_json_cannot_write_is_executed_every_time(saleor_standin: SaleorStandin) -> None:
    saleor = saleor_standin
    saleor.token, saleor.app_id = "app-token", global_id("App", 1)
    order = saleor.make_order()
    state = {"number": "1"}
    order["number"] = lambda info: state["number"]  # a resolver graphql-core calls
    query, variables = load("OrderForSms"), {"id": order["id"]}
    assert saleor.execute_graphql(query, variables)["data"]["order"]["number"] == "1"
    state["number"] = "2"
    assert saleor.execute_graphql(query, variables) == _plain(saleor, query, variables)
    assert saleor.execute_graphql(query, variables)["data"]["order"]["number"] == "2"
