"""The dashboard page in headless Chromium, inside a host page that plays the Saleor Dashboard.

Everything is real HTTP on loopback: the Flask app serving the built page and
the API, the loopback Saleor, and the host page on another origin (localhost
vs 127.0.0.1) so postMessage crosses origins as it does in production. One
browser per session (``browser`` in conftest.py, shared with the other browser
tests); the screenshots land in docs/screenshots/.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from saleor_sms_app.config.store import CONFIG_KEY
from saleor_sms_app.models import Message
from saleor_sms_app.services import Services
from tests.dashboard.browser import actions, inner, open_dashboard, shot

pytestmark = pytest.mark.browser


def seed_log(services: Services, tenant_id: int) -> None:
    now = datetime.now(UTC)
    rows = [
        (
            "1041",
            "+48601234567",
            "delivered",
            "ORDER_FULFILLED",
            "Hi Anna, order 1041 is on its way",
            1,
        ),
        ("1040", "+48601999888", "failed", "ORDER_CREATED", "Thanks for order 1040!", 2),
        ("1039", "+15551234567", "sent", "ORDER_CREATED", "=cmd|' /C calc'!A0", 3),
    ]
    with services.sessions.begin() as session:
        for number, phone, status, event, body, days_ago in rows:
            session.add(
                Message(
                    tenant_id=tenant_id,
                    dedupe_key=f"seed-{number}",
                    created_at=now - timedelta(days=days_ago),
                    event=event,
                    order_id=f"T3JkZXI6{number}",
                    order_number=number,
                    recipient_type="customer",
                    phone=phone,
                    body=body,
                    segments=1,
                    encoding="GSM-7",
                    provider="sandbox",
                    provider_id="sandbox",
                    status=status,
                    price=Decimal("0.04") if status != "failed" else None,
                    currency="EUR" if status != "failed" else None,
                    error_code="invalid_number" if status == "failed" else None,
                    error_text="The number does not exist" if status == "failed" else None,
                    error_hint="Ask the customer to correct the phone number"
                    if status == "failed"
                    else None,
                )
            )


def test_click_through_every_screen(
    browser: Any, dashboard: dict[str, Any], services: Services, tmp_path: Path
) -> None:
    seed_log(services, dashboard["tenant_id"])
    page, frame = open_dashboard(browser, dashboard, "light")

    # The handshake happened: notifyReady was answered and the page is authenticated.
    assert actions(page, "notifyReady")
    assert frame.get_by_text("owner@example.com").is_visible()

    # --- Providers: add one, save, send a test message and read the provider's answer.
    frame.get_by_label("Provider type").select_option("sandbox")
    frame.get_by_role("button", name="Add provider").click()
    frame.locator("input[name=provider_name]").fill("Backup sandbox")
    frame.locator("input[name=provider_sender]").fill("JuiceBar")
    frame.get_by_test_id("save-providers").click()
    page.wait_for_function("() => window.__actions.some(a => a.payload.title === 'Saved')")
    stored = json.loads(dashboard["saleor"].app_private_metadata[CONFIG_KEY])
    assert [p["name"] for p in stored["providers"]][-1] == "Backup sandbox"
    assert stored["providers"][-1]["sender"] == "JuiceBar"
    # A real provider with a secret: the secret goes in, and never comes back out.
    frame.get_by_label("Provider type").select_option("twilio")
    frame.get_by_role("button", name="Add provider").click()
    frame.locator("input[name=provider_name]").fill("Twilio")
    frame.locator("input[name=provider_sender]").fill("+15005550006")
    frame.locator("input[name=option_account_sid]").fill("AC0123456789")
    frame.locator("input[name=secret_auth_token]").fill("tok-very-secret")
    frame.get_by_test_id("save-providers").click()
    page.wait_for_function(
        "() => window.__actions.filter(a => a.payload.title === 'Saved').length >= 2"
    )
    twilio_card = frame.get_by_test_id("provider-card").nth(2)
    twilio_card.get_by_role("button", name="Edit").click()
    secret_input = frame.locator("input[name=secret_auth_token]")
    assert secret_input.input_value() == ""
    assert secret_input.get_attribute("placeholder") == "Saved — leave blank to keep"
    assert "tok-very-secret" not in dashboard["saleor"].app_private_metadata[CONFIG_KEY]
    assert "tok-very-secret" not in frame.locator("body").inner_html()
    frame.get_by_role("button", name="Close").click()

    card = frame.get_by_test_id("provider-card").nth(1)
    card.get_by_placeholder("Your phone, e.g. +48601234567").fill("+48 601 234 567")
    card.get_by_role("button", name="Send test message").click()
    answer = card.get_by_test_id("test-answer")
    answer.wait_for()
    assert "Accepted" in answer.inner_text()
    # Where the server keeps the outbox is never shown to the merchant.
    assert str(services.settings.sandbox_outbox.parent) not in answer.inner_text()
    outbox = services.settings.sandbox_outbox.read_text()
    assert '"to": "+48601234567"' in outbox
    # The sandbox is switched on and has no balance: the answer says that, not "switched off".
    card.get_by_role("button", name="Check balance").click()
    balance = card.get_by_test_id("balance")
    balance.wait_for()
    assert "has no balance to check" in balance.inner_text()
    assert "switched off" not in balance.inner_text()
    # Each provider's name shows once: the type only beside a name that does not say it.
    first, backup = frame.get_by_test_id("provider-card").nth(0), card
    assert first.inner_text().count("Sandbox") == 1
    assert backup.locator(".pill").inner_text().startswith("Sandbox (")
    card.get_by_role("button", name="Edit").click()
    card.get_by_role("button", name="Check settings").click()
    assert "no balance API" in card.get_by_test_id("check-result").inner_text()
    card.get_by_role("button", name="Close").click()
    shot(page, "providers-light")

    # --- Rules: edit a rule, the preview and segment count follow the typing.
    frame.get_by_role("tab", name="Rules").click()
    frame.get_by_role("button", name="Edit").first.click()
    editor = frame.get_by_test_id("rule-editor")
    template = editor.locator("textarea[name=rule_template]")
    template.fill("Order {{ order.number }} is ready")
    preview = editor.get_by_test_id("preview-text")
    count = editor.get_by_test_id("segment-count")
    inner(page).wait_for_function(
        "() => document.querySelector('[data-testid=preview-text]').innerText.includes('is ready')"
    )
    assert preview.inner_text().startswith("Order 1042")  # the newest real order is picked
    assert "GSM-7" in editor.get_by_test_id("segment-meter").inner_text()
    editor.get_by_label("Preview with order").select_option(
        label=editor.get_by_label("Preview with order").locator("option").nth(2).inner_text()
    )
    template.fill("Zamówienie {{ order.number }} dla {{ customer.first_name }} wysłane")
    inner(page).wait_for_function(
        "() => document.querySelector('[data-testid=preview-text]').innerText.includes('Żaneta')"
    )
    assert preview.inner_text() == "Zamówienie 1041 dla Żaneta wysłane"
    assert "UCS-2" in editor.get_by_test_id("segment-meter").inner_text()
    assert "1 SMS" in count.inner_text()
    shot(page, "rules-light")
    editor.get_by_role("button", name="Replace with plain letters").click()
    assert (
        template.input_value()
        == "Zamowienie {{ order.number }} dla {{ customer.first_name }} wyslane"
    )
    editor.get_by_placeholder("Find a token…").fill("tracking")
    editor.get_by_role("button", name="order.tracking_number").click()
    assert "{{ order.tracking_number }}" in template.input_value()
    template.fill("Broken {{ order.numbr }}")
    editor.get_by_text("order.numbr").first.wait_for()
    template.fill("Zamowienie {{ order.number }} wyslane")
    frame.get_by_test_id("save-rules").click()
    frame.get_by_role("button", name="Edit").first.wait_for()
    page.wait_for_function(
        "() => window.__actions.filter(a => a.payload.title === 'Saved').length >= 3"
    )

    # --- Message log: find the sent message, filter, open the order, export.
    frame.get_by_role("tab", name="Message log").click()
    rows = frame.get_by_test_id("log-row")
    rows.first.wait_for()
    assert rows.count() == 4
    # The test message sent from the Providers screen is the newest entry.
    assert rows.first.inner_text().split("\t")[1:2] == ["TEST"]
    assert "+48*****4567" in rows.first.inner_text()
    frame.locator("input[name=q]").fill("#1041")
    inner(page).wait_for_function(
        "() => document.querySelectorAll('[data-testid=log-row]').length === 1"
    )
    assert "+48*****4567" in rows.first.inner_text()
    rows.first.get_by_role("link", name="#1041").click()
    page.wait_for_function("() => window.__actions.some(a => a.type === 'redirect')")
    assert actions(page, "redirect")[-1]["payload"]["to"] == "/orders/T3JkZXI61041"
    frame.locator("input[name=q]").fill("")
    frame.locator("select[name=status]").select_option("failed")
    inner(page).wait_for_function(
        "() => document.querySelector('[data-testid=log-row]')?.innerText.includes('#1040')"
    )
    assert rows.count() == 1
    # The reason is a short label; the whole text and the advice are on hover.
    reason = rows.first.get_by_test_id("log-reason")
    assert reason.inner_text() == "Invalid number"
    assert "Ask the customer to correct" in (reason.get_attribute("title") or "")
    frame.locator("select[name=status]").select_option("")
    inner(page).wait_for_function(
        "() => document.querySelector('[data-testid=log-total]')?.innerText === '4 messages'"
    )
    shot(page, "message-log-light")
    with page.expect_download() as download_info:
        frame.get_by_test_id("export-csv").click()
    path = tmp_path / "export.csv"
    download_info.value.save_as(path)
    exported = list(csv.DictReader(io.StringIO(path.read_text())))
    assert [r["order_number"] for r in exported] == ["", "1041", "1040", "1039"]
    assert exported[0]["event"] == "TEST"
    assert exported[3]["body"].startswith("'=")

    # --- Settings: nothing to save until something changes; a bad country is refused
    # inline and nothing is lost.
    frame.get_by_role("tab", name="Settings").click()
    save_settings = frame.get_by_test_id("save-settings")
    assert save_settings.is_disabled()
    frame.locator("input[name=default_country]").fill("DE")
    assert save_settings.is_enabled()
    frame.locator("input[name=default_country]").fill("US")  # back to what is saved
    assert save_settings.is_disabled()
    frame.locator("input[name=default_country]").fill("XX")
    frame.get_by_test_id("save-settings").click()
    frame.get_by_text("XX is not a country with phone numbers").wait_for()
    shot(page, "settings-light")
    frame.locator("input[name=default_country]").fill("PL")
    frame.get_by_test_id("save-settings").click()
    page.wait_for_function(
        "() => window.__actions.filter(a => a.payload.title === 'Saved').length >= 4"
    )

    # --- The dashboard switches to dark: the page follows without a reload.
    page.evaluate("window.sendTheme('dark')")
    for tab, name in (
        ("Providers", "providers"),
        ("Rules", "rules"),
        ("Message log", "message-log"),
        ("Settings", "settings"),
    ):
        frame.get_by_role("tab", name=tab).click()
        if tab == "Providers":
            frame.get_by_test_id("provider-card").nth(2).get_by_role("button", name="Edit").click()
            frame.locator("input[name=provider_sender]").wait_for()
        if tab == "Rules":
            frame.get_by_role("button", name="Edit").first.click()
            frame.get_by_test_id("preview-text").wait_for()
            page.wait_for_timeout(600)
        if tab == "Message log":
            frame.get_by_test_id("log-row").first.wait_for()
        shot(page, f"{name}-dark")
    background = inner(page).evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    page.close()


def test_expired_token_is_refreshed_while_the_page_is_open(
    browser: Any, dashboard: dict[str, Any], services: Services
) -> None:
    """The page keeps working after its token expires: a 401 asks the dashboard for a new one."""
    seed_log(services, dashboard["tenant_id"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    config = {
        "appUrl": dashboard["app_url"],
        "saleorApiUrl": dashboard["saleor"].api_url,
        "appId": dashboard["saleor"].app_id,
        "theme": "light",
        "ttl": 2,
    }
    page.goto(dashboard["host"] + "/#" + quote(json.dumps(config)))
    frame = page.frame_locator("#app")
    frame.get_by_role("tab", name="Message log").click(timeout=15000)
    frame.get_by_test_id("log-row").first.wait_for()
    ready_before = len(actions(page, "notifyReady"))
    page.wait_for_timeout(2500)  # the 2-second token is now expired
    frame.locator("select[name=status]").select_option("failed")
    inner(page).wait_for_function(
        "() => document.querySelector('[data-testid=log-row]')?.innerText.includes('#1040')"
    )
    # The API said token_expired; the page asked the dashboard (notifyReady) and retried.
    ready_after = len(actions(page, "notifyReady"))
    assert ready_after > ready_before
    assert not frame.get_by_role("alert").count()

    # A tokenRefresh from the dashboard replaces the token before it runs out: no 401 at all.
    page.evaluate("window.sendTokenRefresh(300)")
    page.wait_for_timeout(2500)
    frame.locator("select[name=status]").select_option("delivered")
    inner(page).wait_for_function(
        "() => document.querySelector('[data-testid=log-row]')?.innerText.includes('#1041')"
    )
    assert len(actions(page, "notifyReady")) == ready_after
    page.close()


def test_opened_outside_the_dashboard_says_where_it_works(browser: Any, served_app: str) -> None:
    """No handshake comes to a page opened on its own: after a few seconds it explains.

    The page's clock is Playwright's, moved by the test: the few seconds pass
    without waiting for them.
    """
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.clock.install()
    page.goto(served_app + "/app")
    page.get_by_text("Connecting to your Saleor…").wait_for(timeout=15000)
    page.clock.run_for(1000)
    assert not page.get_by_test_id("outside-dashboard").count()  # not yet: still connecting
    page.clock.run_for(5000)
    help_box = page.get_by_test_id("outside-dashboard")
    help_box.wait_for(timeout=5000)
    assert "works inside the Saleor Dashboard" in help_box.inner_text()
    assert "Extensions" in help_box.inner_text()
    assert page.get_by_test_id("manifest-url").inner_text() == served_app + "/api/manifest"
    assert not page.get_by_text("Connecting to your Saleor…").count()
    page.close()


def test_dark_theme_reaches_native_controls(browser: Any, dashboard: dict[str, Any]) -> None:
    """Date pickers and select lists draw dark on the dark theme (CSS color-scheme).

    The computed ``color-scheme`` of a real select and date input is what
    Chromium draws their pop-ups and icons with; it follows a theme switch.
    """
    page, frame = open_dashboard(browser, dashboard, "dark")
    app = inner(page)
    scheme = "(s) => getComputedStyle(document.querySelector(s)).colorScheme"
    frame.get_by_label("Provider type").wait_for()
    assert app.evaluate(scheme, "select[aria-label='Provider type']") == "dark"
    frame.get_by_role("tab", name="Message log").click()
    frame.locator("input[name=from]").wait_for()
    assert app.evaluate(scheme, "input[type=date][name=from]") == "dark"
    assert app.evaluate(scheme, "select[name=status]") == "dark"
    # The option list is drawn on the theme's background, not white.
    option_background = app.evaluate(
        "getComputedStyle(document.querySelector('select[name=status] option')).backgroundColor"
    )
    assert option_background != "rgb(255, 255, 255)"
    page.evaluate("window.sendTheme('light')")
    app.wait_for_function(
        "() => getComputedStyle(document.querySelector('input[name=from]')).colorScheme === 'light'"
    )
    page.close()


def test_the_page_loads_under_its_csp_and_refuses_other_framers(
    browser: Any, dashboard: dict[str, Any], services: Services
) -> None:
    """The host page is an allowed ancestor and nothing the page loads is blocked;
    once its origin is no longer allowed, Chromium refuses to show the page in it."""
    config = {
        "appUrl": dashboard["app_url"],
        "saleorApiUrl": dashboard["saleor"].api_url,
        "appId": dashboard["saleor"].app_id,
        "theme": "light",
    }
    url = dashboard["host"] + "/#" + quote(json.dumps(config))
    messages: list[str] = []
    page = browser.new_page()
    page.on("console", lambda msg: messages.append(msg.text))
    page.goto(url)
    page.frame_locator("#app").get_by_role("tab", name="Providers").wait_for(timeout=15000)
    page.close()
    assert not [m for m in messages if "Content Security Policy" in m]

    services.settings = services.settings.with_overrides(allowed_dashboard_origins=None)
    page = browser.new_page()
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text, timeout=15000):
        page.goto(url)
    assert not any("/app?" in f.url for f in page.frames if f.url.startswith("http"))
    page.close()
