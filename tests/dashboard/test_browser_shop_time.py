"""Times on the dashboard in the shop's time zone, in headless Chromium.

Walked on a real Saleor: a daily send set at 11:00 (the form asks for the hour
in the shop's zone, Asia/Kolkata there) was listed "Next (UTC) 05:30", and the
Scheduled screen said the same. Both now show the shop-zone time with the zone
named, UTC on hover. And after the day's run, Preview today counted those it
had texted as getting it; now they are counted apart. Same real parts as
``test_browser.py``; the daily send is saved through the page's own form.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from saleor_sms_app.anniversaries.tables import DailySend
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.saleor.tenants import get_tenant_by_id
from saleor_sms_app.scheduler.clock import as_utc
from saleor_sms_app.scheduler.tables import ScheduledRun
from saleor_sms_app.services import Services
from tests.dashboard.browser import open_dashboard
from tests.dashboard.test_daily_sends_api import logged
from tests.standin.customers import make_customer
from tests.standin.saleor import address, global_id

pytestmark = pytest.mark.browser

ZONE = "Asia/Kolkata"  # UTC+05:30: an hour in it is never a whole hour in UTC


def _shop_in_kolkata(services: Services, tenant_id: int) -> None:
    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    store = ConfigStore(services)
    config = store.load(tenant, fresh=True)
    settings = config.settings.model_copy(update={"shop_time_zone": ZONE})
    store.save(
        tenant, config.model_copy(update={"settings": settings}), expected_revision=config.revision
    )


def test_daily_send_and_scheduled_times_are_in_the_shops_zone(
    browser: Any, dashboard: dict[str, Any], services: Services
) -> None:
    _shop_in_kolkata(services, dashboard["tenant_id"])
    today = datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()
    for n in (1, 2):
        dashboard["saleor"].customers.add(
            make_customer(
                n,
                first_name=f"Asha{n}",
                shipping=address(phone=f"+4860180000{n}", country_code="PL"),
                metadata={"sms_marketing_consent": "true", "birthday": f"1990-{today:%m-%d}"},
            )
        )
    page, frame = open_dashboard(browser, dashboard, "light")
    frame.get_by_role("tab", name="Campaigns").click()
    frame.get_by_role("button", name="New daily send").click()
    form = frame.get_by_test_id("daily-send-form")
    frame.get_by_text(f"({ZONE}, the shop's time zone)").first.wait_for()
    form.get_by_label("Daily send name").fill("Birthday")
    form.get_by_label("Hour").select_option("11")
    form.get_by_label("Daily send text").fill("Happy birthday {{ customer.first_name }}!")
    form.get_by_role("button", name="Save").click()
    shown = frame.get_by_test_id("daily-send-row").get_by_test_id("shop-time")
    shown.wait_for()
    with services.sessions() as session:
        due = as_utc(session.scalars(select(ScheduledRun.due_at)).one())
    shop_text = due.astimezone(ZoneInfo(ZONE)).strftime(f"%Y-%m-%d %H:%M {ZONE}")
    utc_text = due.strftime("%Y-%m-%d %H:%M UTC")
    assert shop_text.endswith(f"11:00 {ZONE}") and not utc_text.endswith("11:00 UTC")

    assert shown.inner_text() == shop_text
    assert shown.get_attribute("title") == utc_text
    assert "UTC" not in frame.get_by_test_id("daily-sends-table").locator("thead").inner_text()

    # The Scheduled screen lists the same run, due at the same shop-zone time.
    frame.get_by_role("tab", name="Scheduled").click()
    due_cell = frame.get_by_test_id("scheduled-row").get_by_test_id("shop-time")
    due_cell.wait_for()
    assert due_cell.inner_text() == shop_text
    assert due_cell.get_attribute("title") == utc_text

    # After the day's run texted Asha1, Preview today counts her apart, not as getting it.
    send_id = _send_id(services)
    with session_scope(services.sessions) as session:
        session.add(
            logged(dashboard["tenant_id"], send_id, today.isoformat(), global_id("User", 1), "")
        )
    frame.get_by_role("tab", name="Campaigns").click()
    frame.get_by_test_id("daily-send-row").get_by_role("button", name="Edit").click()
    form.get_by_role("button", name="Preview today").click()
    already = form.get_by_test_id("already-today")
    already.wait_for()
    assert already.inner_text().startswith("1 already texted today")
    assert form.get_by_test_id("would-get").inner_text().endswith("1 customer would get it")
    page.close()


def _send_id(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalars(select(DailySend.id)).one())
