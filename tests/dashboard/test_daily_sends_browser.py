"""The Campaigns screen's daily sends in headless Chromium, light and dark, inside the host
page that plays the Saleor Dashboard: a field message on bad input, today's preview (who gets
it, examples, who is left out and why), Save (a double click makes one), switch off, edit,
delete (a second click confirms; its log rows stay); a yearly anniversary days before."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from saleor_sms_app.anniversaries.tables import DailySend
from saleor_sms_app.services import Services
from tests.dashboard.browser import open_dashboard, shot
from tests.standin.customers import make_customer
from tests.standin.saleor import SaleorStandin, address

pytestmark = pytest.mark.browser


def _customers(saleor: SaleorStandin) -> None:
    today = datetime.now(UTC).strftime("%m-%d")  # the shop's zone is UTC here
    consent = {"sms_marketing_consent": "true"}
    for n in range(12):
        saleor.customers.add(
            make_customer(
                n + 1,
                first_name=f"Ewa{n}",
                last_name="Kowalska",
                shipping=address(phone=f"+4860180{n:04d}", country_code="PL"),
                metadata={**consent, "birthday": f"1990-{today}"},
            )
        )
    saleor.customers.add(make_customer(50, metadata={**consent, "birthday": "1990-13-45"}))
    saleor.customers.add(
        make_customer(
            51,
            shipping=address(phone="+48601809999", country_code="PL"),
            metadata={"birthday": today},
        )
    )


def _stored(services: Services) -> list[DailySend]:
    with services.sessions() as session:
        return list(session.scalars(select(DailySend)))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_daily_sends_section(
    browser: Any,
    dashboard: dict[str, Any],
    services: Services,
    theme: str,
) -> None:
    _customers(dashboard["saleor"])
    page, frame = open_dashboard(browser, dashboard, theme)
    frame.get_by_role("tab", name="Campaigns").click()
    frame.get_by_text("No daily send yet.").wait_for()
    frame.get_by_role("button", name="New daily send").click()
    form = frame.get_by_test_id("daily-send-form")
    form.wait_for()

    # No text: refused beside the field, nothing stored.
    form.get_by_label("Daily send name").fill("Birthday")
    form.get_by_role("button", name="Save").click()
    form.get_by_text("write the text").first.wait_for()
    assert _stored(services) == []

    # A negative offset: the field says so.
    form.get_by_label("Date", exact=True).select_option("joined")
    form.get_by_label("Offset", exact=True).fill("-1")
    form.get_by_label("Daily send text").fill("Happy birthday {{ customer.first_name }}!")
    form.get_by_role("button", name="Save").click()
    form.get_by_text("0-3660").wait_for()
    assert _stored(services) == []
    form.get_by_label("Date", exact=True).select_option("birthday")

    # Today's preview: 12 birthdays, ten examples, who is left out and why.
    form.get_by_label("Hour").select_option("10")
    form.get_by_role("button", name="Preview today").click()
    would_get = form.get_by_test_id("would-get")
    would_get.wait_for()
    assert would_get.inner_text().endswith("12 customers would get it")
    assert form.get_by_test_id("examples").locator("tbody tr").count() == 10
    left_out = form.get_by_test_id("left-out").inner_text()
    assert "1 left out: The date in the customer's metadata is not a date" in left_out
    assert "1 left out: Did not agree to marketing texts" in left_out
    form.get_by_test_id("left-out").scroll_into_view_if_needed()
    shot(page, f"daily-sends-{theme}")

    # Save with a double click: one daily send, listed with its next run.
    form.get_by_role("button", name="Save").dblclick()
    row = frame.get_by_test_id("daily-send-row")
    row.first.wait_for()
    page.wait_for_timeout(500)
    assert len(_stored(services)) == 1 and row.count() == 1
    assert "Birthday (metadata “birthday”) at 10:00" in row.first.inner_text()

    # Switch off, then edit the hour.
    row.first.get_by_role("button", name="Switch off").click()
    row.first.get_by_role("button", name="Switch on").wait_for()
    assert _stored(services)[0].enabled is False
    row.first.get_by_role("button", name="Edit").click()
    form.get_by_label("Hour").select_option("8")
    form.get_by_role("button", name="Save").click()
    row.first.get_by_text("at 08:00").wait_for()
    assert _stored(services)[0].hour == 8 and _stored(services)[0].enabled is False

    # Delete: the first click only asks; Keep keeps it; the confirmed one deletes it.
    row.first.get_by_role("button", name="Delete").click()
    row.first.get_by_text("Delete it? Its texts stay in the log.").wait_for()
    row.first.get_by_role("button", name="Keep").click()
    assert row.count() == 1 and _stored(services)[0].deleted_at is None
    row.first.get_by_role("button", name="Delete").click()
    row.first.get_by_role("button", name="Confirm deleting Birthday").click()
    frame.get_by_text("No daily send yet.").wait_for()
    assert _stored(services)[0].deleted_at is not None  # kept for its log rows, listed nowhere
    page.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_yearly_anniversary_days_before_with_a_field_message(
    browser: Any,
    dashboard: dict[str, Any],
    services: Services,
    theme: str,
) -> None:
    page, frame = open_dashboard(browser, dashboard, theme)
    frame.get_by_role("tab", name="Campaigns").click()
    frame.get_by_role("button", name="New daily send").click()
    form = frame.get_by_test_id("daily-send-form")
    form.get_by_label("Daily send name").fill("A year with us")
    form.get_by_label("Date", exact=True).select_option("joined")
    assert form.get_by_label("Days before").count() == 0  # "N after, once" has none
    form.get_by_label("Repeat").select_option("yearly")
    assert form.get_by_label("Offset", exact=True).count() == 0
    form.get_by_label("From year").fill("1")
    form.get_by_label("Days before").fill("45")
    form.get_by_label("Daily send text").fill(
        "{{ customer.first_name }}, your {{ years_ordinal }} year with {{ shop.name }}: -10%"
    )
    form.get_by_role("button", name="Save").click()
    form.get_by_text("0-30").wait_for()
    assert _stored(services) == []
    form.get_by_label("Days before").scroll_into_view_if_needed()
    shot(page, f"daily-sends-yearly-{theme}")
    form.get_by_label("Days before").fill("3")
    assert form.get_by_text("0-30").count() == 0  # the message goes with the edit
    form.get_by_role("button", name="Save").click()
    row = frame.get_by_test_id("daily-send-row")
    row.first.get_by_text("Every year after joining, 3 days before, at 09:00").wait_for()
    (stored,) = _stored(services)
    assert (stored.repeat, stored.days_before, stored.from_year) == ("yearly", 3, 1)
    page.close()
