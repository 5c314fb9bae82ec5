"""The Suppressions screen in headless Chromium, light and dark, inside the host page
that plays the Saleor Dashboard (the fixtures of :mod:`tests.dashboard.test_browser`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from saleor_sms_app.consent.suppressions import suppress
from saleor_sms_app.models import Suppression
from saleor_sms_app.services import Services
from tests.dashboard.browser import open_dashboard, shot

pytestmark = pytest.mark.browser


def _listed(services: Services, tenant_id: int) -> dict[str, str]:
    with services.sessions() as session:
        rows = session.scalars(select(Suppression).where(Suppression.tenant_id == tenant_id))
        return {r.phone: r.source for r in rows}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_suppressions_screen(
    browser: Any,
    dashboard: dict[str, Any],
    services: Services,
    tmp_path: Path,
    theme: str,
) -> None:
    tenant_id = dashboard["tenant_id"]
    with services.sessions.begin() as session:
        suppress(session, tenant_id, "+48601234567", reason="replied STOP", source="twilio")
        suppress(session, tenant_id, "+12025550123", reason="replied NIE", source="smsapi")
    page, frame = open_dashboard(browser, dashboard, theme)
    frame.get_by_role("tab", name="Suppressions").click()
    rows = frame.get_by_test_id("suppression-row")
    rows.first.wait_for()
    assert rows.count() == 2
    assert frame.get_by_test_id("suppression-total").inner_text() == "2 numbers"

    # Add by hand: a bad number is a field message, a good one joins the list.
    frame.locator("input[name=suppress_phone]").fill("call me maybe")
    frame.get_by_test_id("add-suppression").click()
    frame.get_by_text("this is not a phone number").wait_for()
    frame.locator("input[name=suppress_phone]").fill("+48 500 100 200")
    frame.locator("input[name=suppress_reason]").fill("asked by e-mail")
    frame.get_by_test_id("add-suppression").click()
    frame.get_by_text("+48500100200").wait_for()
    assert _listed(services, tenant_id)["+48500100200"] == "manual"

    # Import a CSV: good lines in, every bad line listed with its line number and why.
    csv_file = tmp_path / "numbers.csv"
    csv_file.write_text("phone,reason\n+48 602 345 678,complaint\nnot a number\n+48601234567\n")
    frame.locator("input[name=suppressions_file]").set_input_files(str(csv_file))
    result = frame.get_by_test_id("import-result")
    result.wait_for()
    assert "1 added, 1 already on the list, 1 line not imported" in result.inner_text()
    problem = frame.get_by_test_id("import-problem")
    assert problem.count() == 1 and problem.first.inner_text().startswith("3")
    assert "+48602345678" in _listed(services, tenant_id)

    # Search by digits narrows the list.
    frame.locator("input[name=suppression_search]").fill("601 234")
    # The search is debounced: wait for the list to show only the match.
    frame.get_by_test_id("suppression-total").filter(has_text="1 number").wait_for()
    assert rows.count() == 1
    shot(page, f"suppressions-{theme}")

    # Export downloads the whole list.
    with page.expect_download() as download:
        frame.get_by_test_id("export-suppressions").click()
    text = Path(download.value.path()).read_text()
    assert text.splitlines()[0] == "phone,reason,source,added_at"
    assert len(text.splitlines()) == 5

    # Remove takes a second click in the row (the Dashboard's iframe allows no
    # confirm() dialog); then the customer is texted again.
    frame.get_by_role("button", name="Remove +48601234567").click()
    assert "+48601234567" in _listed(services, tenant_id)
    frame.get_by_role("button", name="Confirm removing +48601234567").click()
    frame.get_by_text("No number matches.").wait_for()
    assert "+48601234567" not in _listed(services, tenant_id)
    page.close()
