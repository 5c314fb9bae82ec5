"""The message log's drawer and personal-data panel in headless Chromium, light and dark.

Same real parts as ``test_browser.py`` (the fixtures in conftest.py, its helpers): the built
page inside the host page that plays the Saleor Dashboard, the Flask app and
the loopback Saleor over loopback HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.models import DeliveryReport, Message, MessageAttempt
from saleor_sms_app.saleor.tenants import get_tenant_by_id
from saleor_sms_app.services import Services
from tests.dashboard.browser import inner, open_dashboard, shot

pytestmark = pytest.mark.browser


def seed_failed_over(services: Services, tenant_id: int) -> int:
    """A message the first Twilio account refused and the second sent and got delivered."""
    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    twilio = {
        "type": "twilio",
        "sender": "+15005550006",
        "options": {"account_sid": "AC1"},
        "secrets": {"auth_token": "tok-1"},
    }
    ConfigStore(services).save(
        tenant,
        AppConfig(
            providers=[
                ProviderConfig.model_validate({**twilio, "id": "eu", "name": "Twilio EU"}),
                ProviderConfig.model_validate({**twilio, "id": "us", "name": "Twilio US"}),
            ]
        ),
        expected_revision=0,
    )
    now = datetime.now(UTC)
    with services.sessions.begin() as session:
        message = Message(
            tenant_id=tenant_id,
            dedupe_key="failed-over",
            created_at=now - timedelta(minutes=5),
            event="ORDER_CREATED",
            order_id="T3JkZXI6MTA1MA==",
            order_number="1050",
            rule_name="Order confirmation",
            recipient_type="customer",
            phone="+48601234567",
            body="Thanks for order 1050!",
            segments=1,
            encoding="GSM-7",
            provider="twilio",
            provider_id="us",
            provider_message_id="SMus1",
            status="delivered",
            delivery_code="delivered",
            status_changed_at=now - timedelta(minutes=4),
        )
        session.add(message)
        session.flush()
        session.add_all(
            [
                MessageAttempt(
                    message_id=message.id,
                    created_at=now - timedelta(minutes=5),
                    provider_id="eu",
                    provider="twilio",
                    status="failed",
                    error_code="20003",
                    error_text="Authenticate",
                    temporary=False,
                    duration_ms=120,
                    raw_response='{"code": 20003, "message": "Authenticate", "status": 401}',
                ),
                MessageAttempt(
                    message_id=message.id,
                    created_at=now - timedelta(minutes=5),
                    provider_id="us",
                    provider="twilio",
                    status="queued",
                    provider_message_id="SMus1",
                    duration_ms=95,
                    raw_response='{"sid": "SMus1", "status": "queued"}',
                ),
                DeliveryReport(
                    tenant_id=tenant_id,
                    message_id=message.id,
                    received_at=now - timedelta(minutes=4),
                    provider="twilio",
                    provider_message_id="SMus1",
                    status="delivered",
                    raw={"MessageSid": "SMus1", "MessageStatus": "delivered"},
                ),
            ]
        )
        return message.id


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_message_drawer_shows_attempts_and_reports(
    browser: Any, dashboard: dict[str, Any], services: Services, theme: str
) -> None:
    message_id = seed_failed_over(services, dashboard["tenant_id"])
    page, frame = open_dashboard(browser, dashboard, theme)
    frame.get_by_role("tab", name="Message log").click()
    row = frame.get_by_test_id("log-row").first
    row.wait_for()
    assert "Twilio US" in row.inner_text() and "2 attempts" in row.inner_text()
    assert "+48601234567" not in frame.locator("table").inner_text()

    frame.get_by_role("button", name=f"Details of message {message_id}").click()
    drawer = frame.get_by_test_id("message-drawer")
    drawer.get_by_test_id("attempt").nth(1).wait_for()
    attempts = drawer.get_by_test_id("attempt")
    first, second = attempts.nth(0).inner_text(), attempts.nth(1).inner_text()
    assert "Twilio EU" in first and "failed" in first and "20003" in first
    assert "Twilio US" in second and "SMus1" in second
    assert "delivered" in drawer.get_by_test_id("delivery-report").inner_text()
    # The full number only here, for staff who manage orders (the tokens' user does).
    assert drawer.get_by_test_id("drawer-phone").inner_text() == "+48601234567"
    attempts.nth(0).get_by_text("Provider's answer").click()
    assert '"code": 20003' in attempts.nth(0).locator("pre").inner_text()
    background = inner(page).evaluate(
        "getComputedStyle(document.querySelector('[data-testid=message-drawer]')).backgroundColor"
    )
    assert (background == "rgb(255, 255, 255)") == (theme == "light")
    shot(page, f"message-detail-{theme}")
    page.keyboard.press("Escape")
    drawer.wait_for(state="detached")
    page.close()


def test_personal_data_panel_erases_a_number(
    browser: Any, dashboard: dict[str, Any], services: Services
) -> None:
    seed_failed_over(services, dashboard["tenant_id"])
    page, frame = open_dashboard(browser, dashboard, "light")
    frame.get_by_role("tab", name="Message log").click()
    frame.get_by_test_id("log-row").first.wait_for()
    panel = frame.get_by_test_id("personal-data")
    panel.get_by_text("Personal data of one number").click()
    panel.locator("input[name=personal_phone]").fill("+48 601 234 567")
    panel.get_by_test_id("personal-erase").click()
    panel.get_by_test_id("personal-erase-confirm").click()
    result = panel.get_by_test_id("personal-result")
    result.wait_for()
    assert result.inner_text().startswith("1 messages, 2 provider answers, 1 delivery reports")
    inner(page).wait_for_function(
        "() => !document.querySelector('[data-testid=log-row]').innerText.includes('4567')"
    )
    with services.sessions() as session:
        message = session.query(Message).one()
    assert (message.phone, message.body) == ("", "")
    page.close()


def test_event_filter_finds_a_daily_sends_texts(
    browser: Any, dashboard: dict[str, Any], services: Services
) -> None:
    """Walked on the real Dashboard: the filter listed only the rules' events, so a daily send's
    (or a campaign's, a reminder's) texts could not be picked out of the log."""
    seed_failed_over(services, dashboard["tenant_id"])
    with services.sessions.begin() as session:
        session.add(
            Message(
                tenant_id=dashboard["tenant_id"],
                dedupe_key="daily:1:2026-12-03:VXNlcjo2",
                event="DAILY_SEND",
                rule_name="Daily send: Birthday coupon",
                recipient_type="customer",
                phone="+12125550106",
                body="Hi Ashley, your birthday is in 3 days!",
                segments=1,
                encoding="GSM-7",
                provider="sandbox",
                status="sent",
            )
        )
    page, frame = open_dashboard(browser, dashboard, "light")
    frame.get_by_role("tab", name="Message log").click()
    frame.get_by_test_id("log-row").nth(1).wait_for()
    event = frame.locator("select[name=event]")
    labels = event.locator("option").all_inner_texts()
    for label in (
        "Daily sends (birthdays, anniversaries)",
        "Campaigns",
        "Sent by hand",
        "Checkout started",
        "Test message",
        "Answers to HELP",
    ):
        assert label in labels
    event.select_option(label="Daily sends (birthdays, anniversaries)")
    inner(page).wait_for_function(
        "() => document.querySelectorAll('[data-testid=log-row]').length === 1"
        " && document.querySelector('[data-testid=log-row]').innerText.includes('DAILY_SEND')"
    )
    page.close()
