"""The Rules screen's conditions, language tabs and transactional tick, and the Settings
screen's quiet hours, shop time zone and caps, in headless Chromium, light and dark.

Same real parts as ``test_browser.py`` (fixtures in ``browser.py``): the Flask app
serving the built page, the loopback Saleor (orders 1042, EN_US, and 1041, which
these tests put in German), the host page on another origin.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from saleor_sms_app.config.store import CONFIG_KEY
from tests.dashboard.browser import inner, open_dashboard, shot

pytestmark = pytest.mark.browser


def stored(dashboard: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(dashboard["saleor"].app_private_metadata[CONFIG_KEY])
    return found


def wait_text(page: Any, test_id: str, words: str) -> None:
    found = f"document.querySelector('[data-testid={test_id}]')"
    inner(page).wait_for_function(f"() => {found}?.innerText.includes({json.dumps(words)})")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_rules_screen_conditions_languages_and_transactional(
    browser: Any, dashboard: dict[str, Any], theme: str
) -> None:
    saleor = dashboard["saleor"]
    german = next(o for o in saleor.orders.values() if o["number"] == "1041")
    german["languageCodeEnum"] = "DE_DE"
    page, frame = open_dashboard(browser, dashboard, theme)
    frame.get_by_role("tab", name="Rules").click()
    row = frame.locator("tr", has_text="Customer: order confirmation").first
    row.get_by_role("button", name="Edit").click()
    fields = frame.get_by_test_id("condition-fields")

    # A condition the picked order (1042, shipped to the US) fails is named in the preview.
    fields.locator("input[name=cond_shipping_countries]").fill("pl, de")
    wait_text(page, "preview-match", "would not get")
    assert frame.get_by_test_id("preview-match").inner_text() == (
        "This order would not get the text: the order ships to US, not PL, DE."
    )
    # A total range upside down is refused with the field named; nothing is saved.
    fields.locator("input[name=cond_total_min]").fill("100")
    fields.locator("input[name=cond_total_max]").fill("5")
    frame.get_by_test_id("save-rules").click()
    fields.get_by_text("must not be less than the lowest total").wait_for()
    assert CONFIG_KEY not in saleor.app_private_metadata
    inner(page).evaluate(
        "document.querySelector('[data-testid=condition-fields]').scrollIntoView({block: 'center'})"
    )
    shot(page, f"rules-conditions-{theme}")

    fields.locator("input[name=cond_total_min]").fill("")
    fields.locator("input[name=cond_total_max]").fill("500")
    fields.locator("input[name=cond_shipping_countries]").fill("")
    fields.locator("select[name=cond_customer]").select_option("registered")
    wait_text(page, "preview-match", "meets")

    # A German text: a tab of its own; picking the German order switches the preview to it.
    tabs = frame.get_by_test_id("language-tabs")
    tabs.get_by_label("New language code").fill("de")
    tabs.get_by_role("button", name="Add language").click()
    assert tabs.get_by_role("tab", name="DE", exact=True).get_attribute("aria-selected") == "true"
    frame.locator("textarea[name=rule_template]").fill("Hallo {{ customer.first_name }}!")
    wait_text(page, "preview-text", "Hallo Jane!")
    tabs.get_by_role("tab", name="Default", exact=True).click()
    wait_text(page, "preview-language", "EN_US: it gets the default text")
    picker = frame.get_by_label("Preview with order")
    picker.select_option(label=picker.locator("option", has_text="#1041").inner_text())
    wait_text(page, "preview-text", "Hallo Żaneta!")
    assert tabs.get_by_role("tab", name="DE", exact=True).get_attribute("aria-selected") == "true"
    wait_text(page, "preview-language", "DE_DE: it gets the DE text")

    # An instant order rule is transactional (any hour) until unticked; marketing can't be.
    transactional = frame.locator("input[name=rule_transactional]")
    assert transactional.is_checked()
    transactional.uncheck()
    inner(page).evaluate(
        "document.querySelector('[data-testid=language-tabs]').scrollIntoView({block: 'center'})"
    )
    shot(page, f"rules-languages-{theme}")
    frame.get_by_test_id("save-rules").click()
    page.wait_for_function("() => window.__actions.some(a => a.payload.title === 'Saved')")
    rule = next(
        r for r in stored(dashboard)["rules"] if r["name"] == "Customer: order confirmation"
    )
    assert rule["templates"] == {"DE": "Hallo {{ customer.first_name }}!"}
    assert rule["transactional"] is False
    assert (rule["conditions"]["total_max"], rule["conditions"]["customer"]) == (500, "registered")
    assert "registered customer" in row.get_by_test_id("rule-conditions").inner_text()
    page.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_settings_screen_quiet_hours_time_zone_and_caps(
    browser: Any, dashboard: dict[str, Any], theme: str
) -> None:
    page, frame = open_dashboard(browser, dashboard, theme)
    frame.get_by_role("tab", name="Settings").click()
    box = frame.get_by_test_id("quiet-hours")
    box.wait_for()
    assert box.locator("input[name=quiet_hours_enabled]").is_checked()
    assert box.locator("input[name=quiet_hours_start]").input_value() == "21:00"
    assert box.locator("input[name=quiet_hours_end]").input_value() == "08:00"

    box.locator("input[name=shop_time_zone]").fill("Europe/Atlantis")
    box.locator("input[name=marketing_cap_per_day]").fill("0")
    frame.get_by_test_id("save-settings").click()
    box.get_by_text("must be a time zone such as Europe/Warsaw").wait_for()
    box.get_by_text("greater than or equal to 1").wait_for()
    inner(page).evaluate(
        "document.querySelector('[data-testid=quiet-hours]').scrollIntoView({block: 'center'})"
    )
    shot(page, f"settings-quiet-hours-{theme}")

    box.locator("input[name=shop_time_zone]").fill("Europe/Warsaw")
    box.locator("input[name=marketing_cap_per_day]").fill("2")
    box.locator("input[name=marketing_cap_per_week]").fill("5")
    box.locator("input[name=quiet_hours_end]").fill("07:30")
    frame.get_by_test_id("save-settings").click()
    page.wait_for_function("() => window.__actions.some(a => a.payload.title === 'Saved')")
    settings = stored(dashboard)["settings"]
    assert settings["quiet_hours"] == {"enabled": True, "start": "21:00", "end": "07:30"}
    assert settings["shop_time_zone"] == "Europe/Warsaw"
    assert (settings["marketing_cap_per_day"], settings["marketing_cap_per_week"]) == (2, 5)
    page.close()
