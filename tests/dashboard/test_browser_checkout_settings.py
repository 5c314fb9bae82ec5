"""Settings' checkout-reminder and stock-alert fields, and a closed checkout reminder on the
Scheduled screen, in headless Chromium, light and dark (fixtures in ``browser.py``: the Flask
app serving the built page, the loopback Saleor, the host page on another origin)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from saleor_sms_app.config.store import CONFIG_KEY
from saleor_sms_app.db import session_scope
from saleor_sms_app.messages.keys import checkout_key
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.services import Services
from tests.dashboard.browser import open_dashboard, shot

pytestmark = pytest.mark.browser

URL = "https://shop.example.com/checkout?token={checkout.token}"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_checkout_and_stock_settings_are_checked_per_field_and_saved(
    browser: Any, dashboard: dict[str, Any], theme: str
) -> None:
    page, frame = open_dashboard(browser, dashboard, theme)
    frame.get_by_role("tab", name="Settings").click()
    section = frame.get_by_test_id("checkout-stock-settings")
    section.wait_for()
    save = frame.get_by_test_id("save-settings")

    section.locator("input[name=checkout_reminders_enabled]").check()
    section.get_by_role("button", name="Add storefront URL").click()
    section.locator("input[name=storefront_0_channel]").fill("default-channel")
    section.locator("input[name=storefront_0_url]").fill("https://shop.example.com/checkout")
    section.locator("textarea[name=reminder_1_template]").fill("Hi {{ order.number }}")
    section.locator("input[name=low_stock_threshold]").fill("0")
    save.click()
    # Each bad field says so beside itself; nothing is stored.
    frame.get_by_test_id("storefront-urls-error").wait_for()
    assert "{checkout.token}" in frame.get_by_test_id("storefront-urls-error").inner_text()
    frame.get_by_text("must be from 1 to 1,000,000").wait_for()
    stored = json.loads(dashboard["saleor"].app_private_metadata.get(CONFIG_KEY) or "{}")
    assert not stored.get("settings", {}).get("checkout_reminders", {}).get("enabled")
    frame.get_by_test_id("storefront-urls-error").scroll_into_view_if_needed()
    shot(page, f"settings-checkouts-{theme}")

    # The shape is right now; the reminder's text is checked next (checkout tokens only).
    section.locator("input[name=storefront_0_url]").fill(URL)
    section.locator("input[name=low_stock_threshold]").fill("5")
    save.click()
    frame.get_by_text("unknown token {{ order }}").wait_for()  # a checkout has no order
    section.locator("textarea[name=reminder_1_template]").fill(
        "Hi {{ customer.first_name }}: {{ checkout.url }}"
    )
    section.locator("input[name=stock_out_of_stock]").check()
    section.get_by_role("button", name="Add reminder").click()
    section.locator("input[name=reminder_2_hours]").fill("72")
    save.click()
    page.wait_for_function("() => window.__actions.some(a => a.payload.title === 'Saved')")
    settings = json.loads(dashboard["saleor"].app_private_metadata[CONFIG_KEY])["settings"]
    reminders = settings["checkout_reminders"]
    assert reminders["enabled"] is True
    assert reminders["storefront_urls"] == {"default-channel": URL}
    assert [s["delay_minutes"] for s in reminders["steps"]] == [60, 1440, 4320]
    assert settings["stock_alerts"] == {
        "out_of_stock": True,
        "back_in_stock": False,
        "low_stock_threshold": 5,
    }
    page.close()


def test_a_checkout_reminder_closed_by_an_order_shows_why(
    browser: Any, dashboard: dict[str, Any], services: Services
) -> None:
    now = datetime.now(UTC)
    with session_scope(services.sessions) as session:
        run_id = runs.schedule(
            session,
            tenant_id=dashboard["tenant_id"],
            kind="checkout",
            dedupe_key=checkout_key("run", "Q2hlY2tvdXQ6MQ==", 0),
            due_at=now + timedelta(hours=1),
            now=now,
            rule_id="checkout-reminder-1",
            rule_name="Checkout reminder 1 of 2",
            event="CHECKOUT_UPDATED",
            order_id="Q2hlY2tvdXQ6MQ==",
        )
        found = session.get(ScheduledRun, run_id)
        assert found is not None
        found.state = RunState.CLOSED.value
        found.reason_code = "order_placed"
        found.reason_text = "Order #1043 was placed; the reminders stop"
    page, frame = open_dashboard(browser, dashboard, "light")
    frame.get_by_role("tab", name="Scheduled").click()
    frame.get_by_label("Show").select_option(label="Not sent")
    row = frame.get_by_test_id("scheduled-row").first
    row.wait_for()
    text = row.inner_text()
    assert "Checkout reminder 1 of 2" in text and "Checkout" in text
    assert "Order #1043 was placed" in text
    page.close()
