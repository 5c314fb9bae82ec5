"""The order and customer pages' "Send SMS" popup in headless Chromium, light and dark.

Opened the way the Dashboard opens a POPUP extension: the manifest extension's
URL (``/app/send-sms``) in the host page's iframe with ``orderId`` (``customerId``
for a customer) among the iframe's parameters, then the handshake. The message
goes through the real API, database, Redis queue (a burst worker in the test)
and the sandbox provider.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from saleor_sms_app.models import Message
from saleor_sms_app.saleor.manifest import POPUP_PATH
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.dashboard.browser import open_dashboard, shot
from tests.standin.customers import make_customer
from tests.standin.saleor import address

pytestmark = pytest.mark.browser


def open_popup(browser: Any, dashboard: dict[str, Any], theme: str, **params: str) -> Any:
    """The popup as the Dashboard opens it: the extension URL with the page's id."""
    return open_dashboard(
        browser,
        dashboard,
        theme,
        path=POPUP_PATH,
        params=params,
        ready=lambda f: f.get_by_test_id("send-sms"),
        viewport=(760, 720),
    )


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_send_sms_from_the_order_page(
    browser: Any,
    dashboard: dict[str, Any],
    services: Services,
    sandbox_shop: None,
    theme: str,
) -> None:
    saleor = dashboard["saleor"]
    order = next(o for o in saleor.orders.values() if str(o["number"]) == "1041")
    page, frame = open_popup(browser, dashboard, theme, orderId=order["id"])
    text = frame.get_by_label("Text", exact=True)
    preview = frame.get_by_test_id("send-preview")
    send = frame.get_by_role("button", name="Send")

    # A broken template is named under the preview and cannot be sent.
    text.fill("Order {{ order.number ")
    frame.get_by_text("unexpected end of template", exact=False).wait_for()
    assert send.is_disabled()

    # A rule's template, rendered with this order's tokens, and its segments.
    frame.get_by_label("Start from").select_option(label="Template of “Order shipped”")
    preview.filter(has_text="Order 1041 is on its way, Żaneta").wait_for()
    assert "1 SMS" in frame.get_by_test_id("segment-count").inner_text()
    text.fill("Hi {{ customer.first_name }}, order {{ order.number }} is packed")
    preview.filter(has_text="Hi Żaneta, order 1041 is packed").wait_for()
    shot(page, f"send-sms-popup-{theme}")

    # A double click is one message; the popup then follows the log row's status.
    send.dblclick()
    status = frame.get_by_test_id("send-status")
    status.filter(has_text="queued").wait_for()
    drain_queue(services)
    status.filter(has_text="sent").wait_for()
    with services.sessions() as session:
        rows = list(session.scalars(select(Message)))
    assert len(rows) == 1
    assert rows[0].event == "MANUAL" and rows[0].order_id == order["id"]
    assert rows[0].body == "Hi Żaneta, order 1041 is packed"
    assert rows[0].rule_name == "Sent by hand by owner@example.com"
    assert send.is_disabled()
    page.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_send_sms_from_the_customer_page(
    browser: Any,
    dashboard: dict[str, Any],
    services: Services,
    sandbox_shop: None,
    theme: str,
) -> None:
    saleor = dashboard["saleor"]
    customer = saleor.customers.add(
        make_customer(7, first_name="Zofia", shipping=address(phone="+48601200300"))
    )
    page, frame = open_popup(browser, dashboard, theme, customerId=customer["id"])
    frame.get_by_text("Send SMS to the customer").wait_for()
    frame.get_by_label("Text", exact=True).fill("Hi {{ customer.first_name }}, your voucher waits")
    frame.get_by_test_id("send-preview").filter(has_text="Hi Zofia, your voucher waits").wait_for()
    shot(page, f"send-sms-customer-popup-{theme}")
    frame.get_by_role("button", name="Send").click()
    status = frame.get_by_test_id("send-status")
    status.filter(has_text="queued").wait_for()
    drain_queue(services)
    status.filter(has_text="sent").wait_for()
    with services.sessions() as session:
        [row] = list(session.scalars(select(Message)))
    assert row.phone == "+48601200300" and row.body == "Hi Zofia, your voucher waits"
    assert row.event == "MANUAL" and row.order_id is None
    page.close()


def test_the_customer_popup_needs_only_the_customers_permission(
    browser: Any, dashboard: dict[str, Any], services: Services, sandbox_shop: None
) -> None:
    """A staff member who may manage customers but not orders opens the customer page's
    popup, picks a rule's template and sends; the page asked nothing that needs
    MANAGE_ORDERS (before, it stopped at "lacks the MANAGE_ORDERS permission")."""
    dashboard["staff"]["permissions"] = ["MANAGE_USERS"]
    customer = dashboard["saleor"].customers.add(
        make_customer(8, first_name="Ida", shipping=address(phone="+48601200301"))
    )
    page, frame = open_popup(browser, dashboard, "light", customerId=customer["id"])
    frame.get_by_label("Start from").select_option(label="Template of “Order shipped”")
    frame.get_by_label("Text", exact=True).fill("Hi {{ customer.first_name }}, see you soon")
    frame.get_by_test_id("send-preview").filter(has_text="Hi Ida, see you soon").wait_for()
    frame.get_by_role("button", name="Send").click()
    status = frame.get_by_test_id("send-status")
    status.filter(has_text="queued").wait_for()
    drain_queue(services)
    status.filter(has_text="sent").wait_for()
    assert frame.get_by_role("alert").count() == 0
    page.close()
