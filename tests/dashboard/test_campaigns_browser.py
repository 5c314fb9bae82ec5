"""The Campaigns screen in headless Chromium, light and dark, inside the host page
that plays the Saleor Dashboard: audience preview, bad lines, estimate, Send (a
double click makes one campaign), progress, Pause, Resume, Cancel."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from saleor_sms_app.campaigns.tables import Campaign
from saleor_sms_app.services import Services
from tests.dashboard.browser import open_dashboard, shot
from tests.standin.customers import make_customer
from tests.standin.saleor import SaleorStandin, address

pytestmark = pytest.mark.browser


def _customers(saleor: SaleorStandin) -> None:
    consent = {"sms_marketing_consent": "2026-11-01"}
    for n in range(14):
        saleor.customers.add(
            make_customer(
                n + 1,
                first_name=f"Ewa{n}",
                last_name="Kowalska",
                shipping=address(phone=f"+4860180{n:04d}", country_code="PL"),
                metadata=consent,
            )
        )
    saleor.customers.add(make_customer(50, shipping=address(phone=None, country_code="PL")))


def _stored(services: Services) -> list[Campaign]:
    with services.sessions() as session:
        return list(session.scalars(select(Campaign)))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_campaigns_screen(
    browser: Any,
    dashboard: dict[str, Any],
    services: Services,
    theme: str,
) -> None:
    _customers(dashboard["saleor"])
    page, frame = open_dashboard(browser, dashboard, theme)
    frame.get_by_role("tab", name="Campaigns").click()
    frame.get_by_text("No campaign yet.").wait_for()

    # Numbers: a bad line is listed with its line number and why.
    frame.get_by_label("Numbers (typed, pasted or CSV)").check()
    frame.get_by_label("Numbers", exact=True).fill("+48601000001\nhello\n+48601000001\n")
    frame.get_by_role("button", name="Check numbers").click()
    summary = frame.get_by_test_id("numbers-summary")
    summary.wait_for()
    assert summary.inner_text() == "1 numbers · 1 duplicates left out · 1 lines are not numbers"
    bad = frame.get_by_test_id("bad-lines")
    assert "2" in bad.locator("tbody td").first.inner_text()
    assert "hello" in bad.inner_text()

    # The audience: counts, ten masked examples, who is left out and why.
    frame.get_by_label("Customers from Saleor").check()
    frame.get_by_label("Country").fill("PL")
    frame.get_by_role("button", name="Preview audience").click()
    frame.get_by_test_id("would-get").wait_for()
    assert frame.get_by_test_id("would-get").inner_text() == "14 customers would get it"
    assert frame.get_by_test_id("examples").locator("tbody tr").count() == 10
    assert "+48*****0000" in frame.get_by_test_id("examples").inner_text()
    assert "1 left out: No phone number" in frame.get_by_test_id("left-out").inner_text()

    # The text: segments with the opt-out line, the estimate.
    frame.get_by_label("Campaign name").fill("Black Friday")
    frame.get_by_label("Campaign text").fill(
        "Hi {{ customer.first_name }}, -30% today at {{ shop.name }}"
    )
    frame.get_by_text("1 segment per message").wait_for()
    frame.get_by_role("button", name="Estimate cost").click()
    assert "× 14 recipients" in frame.get_by_test_id("estimate").inner_text()

    # A date in the past is refused beside the field; nothing is stored.
    frame.get_by_label("At", exact=True).check()
    frame.get_by_label("Send at").fill("2020-01-01T09:00")
    frame.get_by_role("button", name="Schedule").click()
    frame.get_by_text("in the past").first.wait_for()
    assert _stored(services) == []

    # Send now, with a double click: one campaign.
    frame.get_by_label("Send now").check()
    frame.get_by_role("button", name="Send", exact=True).dblclick()
    row = frame.get_by_test_id("campaign-row")
    row.first.wait_for()
    page.wait_for_timeout(500)
    assert len(_stored(services)) == 1 and row.count() == 1
    assert "Black Friday" in row.first.inner_text()
    progress = frame.get_by_test_id("campaign-progress").first.inner_text()
    assert "queued" in progress and "delivered" in progress and "clicks" in progress
    shot(page, f"campaigns-{theme}")

    frame.get_by_role("button", name="Pause").click()
    frame.get_by_role("button", name="Resume").wait_for()
    assert _stored(services)[0].state == "paused"
    frame.get_by_role("button", name="Resume").click()
    frame.get_by_role("button", name="Pause").wait_for()
    frame.get_by_role("button", name="Cancel").click()
    row.filter(has_text="cancelled").wait_for()
    assert _stored(services)[0].state == "cancelled"
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 1
    page.close()
