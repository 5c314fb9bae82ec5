"""Times on the dashboard in the shop's time zone, in headless Chromium.

Walked on a real Saleor: a daily send set at 11:00 (the form asks for the hour
in the shop's zone, Asia/Kolkata there) was listed "Next (UTC) 05:30", and the
Scheduled screen said the same. Both now show the shop-zone time with the zone
named, UTC on hover. Same real parts as ``test_browser.py``; the daily send is
stored through :mod:`saleor_sms_app.anniversaries.store`, its run booked by it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from saleor_sms_app.anniversaries import store as daily
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.saleor.tenants import get_tenant_by_id
from saleor_sms_app.scheduler.clock import as_utc
from saleor_sms_app.scheduler.tables import ScheduledRun
from saleor_sms_app.services import Services
from tests.dashboard.browser import open_dashboard

pytestmark = pytest.mark.browser

ZONE = "Asia/Kolkata"  # UTC+05:30: an hour in it is never a whole hour in UTC


def _daily_send_at_eleven(services: Services, tenant_id: int) -> datetime:
    """The shop in Asia/Kolkata with a daily send at 11:00; its booked run's due time."""
    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    store = ConfigStore(services)
    config = store.load(tenant, fresh=True)
    settings = config.settings.model_copy(update={"shop_time_zone": ZONE})
    store.save(
        tenant, config.model_copy(update={"settings": settings}), expected_revision=config.revision
    )
    fields = {
        "name": "Birthday",
        "hour": 11,
        "source": "birthday",
        "date_key": "birthday",
        "template": "Happy birthday {{ customer.first_name }}!",
    }
    values = daily.checked(fields, store.load(tenant, fresh=True), "https://app.example")
    with session_scope(services.sessions) as session:
        daily.create(
            session, tenant_id, "key-shop-time", values, "owner@example.com",
            ZoneInfo(ZONE), datetime.now(UTC),
        )  # fmt: skip
    with services.sessions() as session:
        return as_utc(session.scalars(select(ScheduledRun.due_at)).one())


def test_daily_send_and_scheduled_times_are_in_the_shops_zone(
    browser: Any, dashboard: dict[str, Any], services: Services
) -> None:
    due = _daily_send_at_eleven(services, dashboard["tenant_id"])
    shop_text = due.astimezone(ZoneInfo(ZONE)).strftime(f"%Y-%m-%d %H:%M {ZONE}")
    utc_text = due.strftime("%Y-%m-%d %H:%M UTC")
    assert shop_text.endswith(f"11:00 {ZONE}") and not utc_text.endswith("11:00 UTC")

    page, frame = open_dashboard(browser, dashboard, "light")
    frame.get_by_role("tab", name="Campaigns").click()
    shown = frame.get_by_test_id("daily-send-row").get_by_test_id("shop-time")
    shown.wait_for()
    assert shown.inner_text() == shop_text
    assert shown.get_attribute("title") == utc_text
    assert "UTC" not in frame.get_by_test_id("daily-sends-table").locator("thead").inner_text()

    # The Scheduled screen lists the same run, due at the same shop-zone time.
    frame.get_by_role("tab", name="Scheduled").click()
    due_cell = frame.get_by_test_id("scheduled-row").get_by_test_id("shop-time")
    due_cell.wait_for()
    assert due_cell.inner_text() == shop_text
    assert due_cell.get_attribute("title") == utc_text
    page.close()
