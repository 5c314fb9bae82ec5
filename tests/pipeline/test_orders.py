"""Orders fetched from the loopback Saleor with the app token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from saleor_sms_app.errors import NotFound, SaleorUnavailable
from saleor_sms_app.message_templates.order_tokens import order_context
from saleor_sms_app.message_templates.sandbox import render
from saleor_sms_app.saleor.orders import fetch_order, recent_orders
from saleor_sms_app.saleor.tenants import TenantRecord, saleor_client
from saleor_sms_app.services import Services
from tests.pipeline.test_rendering import EXPECTED
from tests.standin.saleor import SaleorStandin


def test_fetch_order_brings_every_field_the_tokens_need(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    order = saleor.make_order(
        number=77,
        tracking_numbers=["TRK-1"],
        metadata={"gift_note": "For you"},
        user_metadata={"phone": "+48500100200"},
    )
    snapshot = fetch_order(saleor_client(services, tenant), order["id"])
    assert snapshot.shop_name == "Sklep Testowy"
    context = order_context(snapshot.order, shop_name=snapshot.shop_name)
    # Every token resolves on a real answer (none left undefined by a missing field).
    for token in EXPECTED:
        render(f"[{{{{ {token} }}}}]", context)
    assert render("{{ order.number }} {{ order.tracking_number }}", context) == "77 TRK-1"
    assert render("{{ order.metadata.gift_note }} {{ channel.slug }}", context) == (
        "For you default-channel"
    )
    assert snapshot.order["channel"]["defaultCountry"]["code"] == "US"
    assert snapshot.order["user"]["metadata"] == [{"key": "phone", "value": "+48500100200"}]


def test_a_missing_order_and_an_outage_are_told_apart(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    client = saleor_client(services, tenant)
    with pytest.raises(NotFound):
        fetch_order(client, "T3JkZXI6bm9uZQ==")
    saleor.fail_next(status=500)
    with pytest.raises(SaleorUnavailable):
        fetch_order(client, "T3JkZXI6bm9uZQ==")


def test_recent_orders_newest_first_for_the_preview_picker(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    now = datetime.now(UTC)
    old = saleor.make_order(number=1, created=now - timedelta(days=2))
    new = saleor.make_order(
        number=2, first_name="Anna", last_name="Nowak", created=now - timedelta(hours=1)
    )
    guest = saleor.make_order(number=3, registered=False, created=now - timedelta(days=1))
    summaries = recent_orders(saleor_client(services, tenant), first=2)
    assert [(s.id, s.number) for s in summaries] == [(new["id"], "2"), (guest["id"], "3")]
    assert summaries[0].customer_name == "Anna Nowak"
    assert summaries[1].customer_name == "Jane Doe"  # a guest: the billing name
    assert summaries[0].total == "32.00 USD"
    assert old["id"] not in {s.id for s in recent_orders(saleor_client(services, tenant), 2)}
