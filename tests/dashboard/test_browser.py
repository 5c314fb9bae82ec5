"""The dashboard page in headless Chromium, inside a host page that plays the Saleor Dashboard.

Everything is real HTTP on loopback: the Flask app serving the built page and
the API, the loopback Saleor, and the host page on another origin (localhost
vs 127.0.0.1) so postMessage crosses origins as it does in production. One
browser per session; the screenshots land in docs/screenshots/.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from saleor_sms_app.config.store import CONFIG_KEY
from saleor_sms_app.models import Message
from saleor_sms_app.services import Services

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
#: The committed screenshots are refreshed with UPDATE_SCREENSHOTS=1; ordinary runs
#: write to test-artifacts/ so `make test` leaves the work tree clean.
SCREENSHOTS = ROOT / (
    "docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else "test-artifacts/screenshots"
)
# The browser, the served page and the host page are fixtures in conftest.py,
# shared with test_browser_log.py (one Chromium per session).


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


def open_dashboard(browser: Any, dashboard: dict[str, Any], theme: str) -> tuple[Any, Any]:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    config = {
        "appUrl": dashboard["app_url"],
        "saleorApiUrl": dashboard["saleor"].api_url,
        "appId": dashboard["saleor"].app_id,
        "theme": theme,
    }
    page.goto(dashboard["host"] + "/#" + quote(json.dumps(config)))
    frame = page.frame_locator("#app")
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}"))
    try:
        frame.get_by_role("tab", name="Providers").wait_for(timeout=15000)
    except Exception:
        page.screenshot(path="/tmp/dashboard-failed.png")
        raise AssertionError("the page did not start: " + "\n".join(errors)) from None
    page.set_default_timeout(10000)
    return page, frame


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let the last render and fonts settle
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def inner(page: Any) -> Any:
    """The app's own frame (cross-origin: its document is not reachable from the host)."""
    return next(f for f in page.frames if "/app?" in f.url)


def actions(page: Any, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(
        f"window.__actions.filter(a => a.type === {json.dumps(kind)})"
    )
    return found


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
    outbox = services.settings.sandbox_outbox.read_text()
    assert '"to": "+48601234567"' in outbox
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

    # --- Settings: a bad country is refused inline and nothing is lost.
    frame.get_by_role("tab", name="Settings").click()
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
