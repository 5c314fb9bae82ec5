"""The customer list's "Send SMS" popup in headless Chromium, light and dark.

Opened the way the Dashboard 3.23 opens a CUSTOMER_OVERVIEW_MORE_ACTIONS extension:
the extension's URL in the host page's iframe with ``customerIds`` (the ticked rows,
comma-joined, the comma encoded, as the Dashboard's ``qs`` "comma" format writes
them: the very value the real Dashboard 3.23.27 sent, from
``dashboard_ui/src/popup-urls.captured.json``), then the handshake. The staff
member has MANAGE_USERS only. The campaign goes through the real API, database,
loopback Saleor, Redis queue (a burst worker in the test) and the sandbox provider.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from saleor_sms_app.campaigns.tables import Campaign
from saleor_sms_app.models import Message
from saleor_sms_app.saleor.manifest import POPUP_PATH
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.dashboard.browser import ROOT, open_dashboard, shot
from tests.standin.customers import make_customer
from tests.standin.saleor import address

pytestmark = pytest.mark.browser

CONSENT = {"sms_marketing_consent": "2026-11-01"}
CAPTURED = json.loads((ROOT / "dashboard_ui/src/popup-urls.captured.json").read_text())


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_send_sms_to_the_customers_ticked_in_the_list(
    browser: Any, dashboard: dict[str, Any], services: Services, any_hour: None, theme: str
) -> None:
    saleor = dashboard["saleor"]
    # The customers the real Dashboard's captured URL names, in its order (User 6, 10, 7, 11, 9).
    ticked = parse_qs(urlsplit(CAPTURED["customers"]).query)["customerIds"][0]
    phones = {6: "+48601400001", 10: "+48601400002", 7: "+48601400003", 9: "+48601400005"}
    names = {6: "Ewa", 10: "Jan", 7: "Ola"}
    for pk in (6, 10, 7, 11, 9):
        saleor.customers.add(
            make_customer(
                pk,
                first_name=names.get(pk, "Anna"),
                shipping=address(phone=phones.get(pk)),
                metadata=CONSENT if pk != 9 else None,
            )
        )
    dashboard["staff"]["permissions"] = ["MANAGE_USERS"]
    page, frame = open_dashboard(
        browser,
        dashboard,
        theme,
        path=POPUP_PATH,
        params={"customerIds": ticked},
        ready=lambda f: f.get_by_test_id("send-to-customers"),
        viewport=(760, 900),
    )
    frame.get_by_test_id("would-get").filter(has_text="3 customers would get it").wait_for()
    assert "5 ticked in Saleor" in frame.get_by_test_id("ticked").inner_text()
    left_out = frame.get_by_test_id("left-out").inner_text()
    assert "1 left out: No phone number" in left_out
    assert "1 left out: Did not agree to marketing texts" in left_out

    # A rule's template, then free text: preview with the opt-out line, segments, recipients.
    frame.get_by_label("Start from").select_option(label="Template of “Order shipped”")
    text = frame.get_by_label("Text", exact=True)
    assert text.input_value().startswith("Order {{ order.number }}")
    text.fill("Hi {{ customer.first_name }}, -20% for you at {{ shop.name }} ")
    # As the first ticked customer who can get it will read it (not a made-up sample).
    frame.get_by_test_id("send-preview").filter(has_text="Hi Ewa, -20% for you").wait_for()
    frame.get_by_test_id("estimate").filter(has_text="× 3 recipients").wait_for()
    assert "1 SMS" in frame.get_by_test_id("estimate").inner_text()
    send = frame.get_by_role("button", name="Send to 3")
    shot(page, f"send-sms-customers-popup-{theme}")

    # A double click is one campaign; the popup follows its progress.
    send.dblclick()
    progress = frame.get_by_test_id("send-progress")
    progress.wait_for()
    drain_queue(services)
    progress.filter(has_text="3 sent").wait_for(timeout=15000)
    assert "2 skipped" in progress.inner_text()
    with services.sessions() as session:
        [campaign] = list(session.scalars(select(Campaign)))
        logged = list(session.scalars(select(Message)))
    assert campaign.created_by == "owner@example.com"
    assert sorted(m.phone for m in logged if m.status == "sent") == [
        "+48601400001",
        "+48601400002",
        "+48601400003",
    ]
    assert {m.rule_name for m in logged} == {"Sent by hand by owner@example.com"}
    assert send.is_disabled()
    page.close()

    # The message log (the main page, for a staff member who may see it) says who sent them.
    dashboard["staff"]["permissions"] = None
    page, frame = open_dashboard(browser, dashboard, theme)
    frame.get_by_role("tab", name="Message log").click()
    frame.get_by_test_id("log-row").first.wait_for()
    rows = frame.get_by_test_id("log-row")
    assert rows.count() == 5
    for n in range(5):
        sent_by = rows.nth(n).get_by_test_id("sent-by").inner_text()
        assert sent_by == "Sent by hand by owner@example.com"
    page.close()
