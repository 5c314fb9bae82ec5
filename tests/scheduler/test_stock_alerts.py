"""Staff stock alerts: low stock once per crossing per variant and warehouse, out of / back in
stock, all gathered 10 minutes into one SMS by the scheduler. Stock webhooks come from the
loopback Saleor running the app's real subscriptions over the 3.23 schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from saleor_sms_app.config.reminders import StockAlerts
from saleor_sms_app.models import Message
from saleor_sms_app.saleor.manifest import build_manifest
from saleor_sms_app.services import Services
from saleor_sms_app.stock import alerts
from tests.pipeline.conftest import configure
from tests.scheduler.test_delayed_rules import Shop, runs_of, shop, tick_and_drain, worker_clock
from tests.standin.saleor.stock import make_variant, warehouse

__all__ = ["shop", "worker_clock"]


@pytest.fixture(autouse=True)
def subscribed(shop: Shop) -> None:
    shop.saleor.manifest = build_manifest("https://sms.example.com")
    current = shop.store.load(shop.tenant, fresh=True).settings
    settings = current.model_copy(
        update={
            "staff_numbers": ["+12025550111"],
            "stock_alerts": StockAlerts(out_of_stock=True, low_stock_threshold=5),
        }
    )
    configure(shop.store, shop.tenant, settings=settings)


def deliver(shop: Shop, deliveries: list[tuple[str, bytes]]) -> list[int]:
    found = [
        alerts.process_stock_event(
            shop.services, shop.saleor.api_url, event, body.decode(), shop.clock
        )
        for event, body in deliveries
    ]
    return [a for a in found if a is not None]


def staff_texts(services: Services) -> list[Message]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(Message).where(Message.rule_id == "stock-alerts").order_by(Message.id)
            )
        )


def test_low_stock_alerts_once_per_crossing_and_gathers_into_one_text(shop: Shop) -> None:
    services, saleor, _, _, clock = shop.parts()
    tee, main = make_variant(), warehouse("Main")
    assert deliver(shop, saleor.set_stock(tee, main, 10)) == []
    assert len(deliver(shop, saleor.set_stock(tee, main, 4))) == 1  # crosses below 5
    assert deliver(shop, saleor.set_stock(tee, main, 3)) == []  # still below: no new alert
    mug = make_variant("Mug", "", "MUG")
    clock.advance(timedelta(minutes=3))
    # Out of stock (ticked) and low stock for the mug: two alerts, one digest pending.
    assert len(deliver(shop, saleor.set_stock(mug, main, 0))) == 2
    (digest,) = runs_of(services)
    assert (digest.kind, digest.state) == ("stock_digest", "pending")

    clock.advance(timedelta(minutes=7))
    assert tick_and_drain(services, clock) == 1
    (text,) = staff_texts(services)
    assert text.status == "sent" and text.phone == "+12025550111"
    assert text.body.startswith("Stock alerts (3):")
    assert "Monospace Tee / M (TEE-M) @ Main: low stock (4 left)" in text.body
    assert "Mug (MUG) @ Main: out of stock" in text.body
    assert "Reply STOP" not in text.body  # staff texts are not marketing

    # Back to 10 re-arms the alert; below 5 again alerts again, in a new digest.
    deliver(shop, saleor.set_stock(tee, main, 10))
    assert len(deliver(shop, saleor.set_stock(tee, main, 1))) == 1
    clock.advance(timedelta(minutes=10))
    tick_and_drain(services, clock)
    assert len(staff_texts(services)) == 2


def test_each_warehouse_crosses_on_its_own(shop: Shop) -> None:
    saleor = shop.saleor
    tee = make_variant()
    assert len(deliver(shop, saleor.set_stock(tee, warehouse("A"), 2))) == 1
    assert len(deliver(shop, saleor.set_stock(tee, warehouse("B"), 2))) == 1


def test_back_in_stock_alerts_only_when_ticked(shop: Shop) -> None:
    saleor, tee, main = shop.saleor, make_variant(), warehouse()
    deliver(shop, saleor.set_stock(tee, main, 0))
    events = saleor.set_stock(tee, main, 20)
    assert "PRODUCT_VARIANT_BACK_IN_STOCK" in [e for e, _ in events]
    assert deliver(shop, events) == []  # back in stock is not ticked
