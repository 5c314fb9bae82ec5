"""The Scheduled screen and the Rules screen's delay fields, in headless Chromium, light and dark.

Same real parts as ``test_browser.py`` (fixtures in ``browser.py``): the Flask
app serving the built page, the loopback Saleor, the host page on another
origin. Runs are written through the scheduler's own ``schedule``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from saleor_sms_app.db import session_scope
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.tables import RunState, ScheduledRun
from saleor_sms_app.services import Services
from tests.dashboard.browser import inner, open_dashboard, shot

pytestmark = pytest.mark.browser


def seed_runs(services: Services, tenant_id: int) -> dict[str, int]:
    now = datetime.now(UTC)
    made: dict[str, int] = {}
    rows = [
        ("1042", "Automation: remind to pay", timedelta(hours=1, minutes=40), None),
        ("1041", "Automation: review request", timedelta(days=6), None),
        ("1039", "Automation: remind to pay", timedelta(hours=-3), "no_longer_matches"),
    ]
    with session_scope(services.sessions) as session:
        for number, rule, due_in, closed in rows:
            run_id = runs.schedule(
                session,
                tenant_id=tenant_id,
                kind="rule",
                dedupe_key=f"seed-{number}",
                due_at=now + due_in,
                now=now,
                rule_id="automation-remind-to-pay",
                rule_name=rule,
                event="ORDER_CREATED",
                order_id=f"T3JkZXI6{number}",
                order_number=number,
            )
            assert run_id is not None
            made[number] = run_id
            if closed:
                found = session.get(ScheduledRun, run_id)
                assert found is not None
                found.state = RunState.CLOSED.value
                found.reason_code = closed
                found.reason_text = "Not sent: the order's payment (charge) status is FULL"
    return made


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_scheduled_screen_lists_and_cancels(
    browser: Any, dashboard: dict[str, Any], services: Services, theme: str
) -> None:
    made = seed_runs(services, dashboard["tenant_id"])
    page, frame = open_dashboard(browser, dashboard, theme)

    frame.get_by_role("tab", name="Scheduled").click()
    rows = frame.get_by_test_id("scheduled-row")
    rows.first.wait_for()
    # Waiting ones only, soonest first.
    assert rows.count() == 2
    assert "#1042" in rows.nth(0).inner_text() and "remind to pay" in rows.nth(0).inner_text()
    assert "#1041" in rows.nth(1).inner_text() and "pending" in rows.nth(1).inner_text()
    shot(page, f"scheduled-{theme}")

    rows.nth(0).get_by_role("button", name="Cancel").click()
    page.wait_for_function(
        "() => window.__actions.some(a => a.payload.title === 'Scheduled text cancelled')"
    )
    inner(page).wait_for_function(
        "() => document.querySelectorAll('[data-testid=scheduled-row]').length === 1"
    )
    with services.sessions() as session:
        cancelled = session.get(ScheduledRun, made["1042"])
        assert cancelled is not None and cancelled.state == "cancelled"

    # "Not sent" shows why each one was not sent.
    frame.get_by_label("Show").select_option(label="Not sent")
    inner(page).wait_for_function(
        "() => document.querySelectorAll('[data-testid=scheduled-row]').length === 2"
    )
    text = frame.get_by_test_id("scheduled-table").inner_text()
    assert "Cancelled in the app's Scheduled screen" in text
    assert "payment (charge) status is FULL" in text
    page.close()


def test_a_daily_sends_booked_day_says_what_it_is(
    browser: Any, dashboard: dict[str, Any], services: Services
) -> None:
    """Walked on the real Dashboard: a daily send's run showed "—" under "Order or checkout" and
    the screen's words named only rules, reminders and stock alerts."""
    now = datetime.now(UTC)
    with session_scope(services.sessions) as session:
        runs.schedule(
            session,
            tenant_id=dashboard["tenant_id"],
            kind="daily_send",
            dedupe_key="daily:1:2026-12-01",
            due_at=now + timedelta(hours=3),
            now=now,
            rule_id="daily:1",
            rule_name="Daily send: Birthday coupon",
            event="DAILY_SEND",
            payload={"send_id": 1, "day": "2026-12-01"},
        )
    page, frame = open_dashboard(browser, dashboard, "light")
    frame.get_by_role("tab", name="Scheduled").click()
    row = frame.get_by_test_id("scheduled-row")
    row.first.wait_for()
    assert "birthdays and anniversaries" in row.first.inner_text()
    words = frame.locator("body").inner_text()
    assert "Each daily send (Campaigns) books its next day here too" in words
    page.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_rules_screen_sets_a_delay_and_send_only_if(
    browser: Any, dashboard: dict[str, Any], services: Services, theme: str
) -> None:
    page, frame = open_dashboard(browser, dashboard, theme)
    frame.get_by_role("tab", name="Rules").click()
    remind = frame.locator("tr", has_text="Automation: remind to pay").first
    assert "after 2 h" in remind.get_by_test_id("rule-when").inner_text()
    assert "if unpaid/partly paid, not cancelled" in remind.inner_text()
    remind.get_by_role("button", name="Edit").click()
    fields = frame.get_by_test_id("delay-fields")
    delay = fields.locator("input[name=rule_delay]")
    assert delay.input_value() == "2"
    assert fields.get_by_label("Wait before sending unit").input_value() == "60"

    # 91 days is refused with the field named, and nothing is saved.
    fields.get_by_label("Wait before sending unit").select_option(label="days")
    delay.fill("91")
    frame.get_by_test_id("save-rules").click()
    fields.get_by_text("the wait must be from 0 minutes to 90 days").wait_for()
    page.mouse.wheel(0, 0)
    inner(page).evaluate(
        "document.querySelector('[data-testid=delay-fields]').scrollIntoView({block: 'center'})"
    )
    shot(page, f"rules-delay-{theme}")

    delay.fill("3")
    fields.get_by_label("not fulfilled").check()
    # The preview says whether the picked order would get the text, and if not, why.
    match = frame.get_by_test_id("preview-match")
    match.wait_for()
    assert match.inner_text() == "This order meets the rule's conditions."
    picker = frame.get_by_label("Preview with order")
    picker.select_option(label=picker.locator("option", has_text="#1041").inner_text())
    inner(page).wait_for_function(
        "() => document.querySelector('[data-testid=preview-match]')"
        "?.innerText.includes('would not get')"
    )
    assert match.inner_text() == "This order would not get the text: the order is fulfilled."
    frame.get_by_test_id("save-rules").click()
    page.wait_for_function("() => window.__actions.some(a => a.payload.title === 'Saved')")
    saved = dashboard["saleor"].app_private_metadata
    assert saved, "the configuration was saved to Saleor"
    config = next(iter(v for k, v in saved.items() if "config" in k.lower()))
    assert '"delay_minutes": 4320' in config or '"delay_minutes":4320' in config
    assert '"not_fulfilled": true' in config or '"not_fulfilled":true' in config
    page.close()
