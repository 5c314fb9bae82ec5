"""Delivery reports that arrive before their message's provider id is recorded:
kept (bounded in count and age) and applied where outcomes are written."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from saleor_sms_app.db import session_scope
from saleor_sms_app.delivery_reports import pending
from saleor_sms_app.messages.outcomes import record_outcome
from saleor_sms_app.models import DeliveryReport, Message, PendingDeliveryReport, utcnow
from saleor_sms_app.providers.failover import Attempt, Outcome
from saleor_sms_app.providers.models import SendResult, SendStatus
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from saleor_sms_app.settings import Settings
from tests.providers.conftest import log_message
from tests.providers.test_delivery_reports import _path, _post_twilio, _reports


def _pending(services: Services) -> list[str]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(PendingDeliveryReport.provider_message_id).order_by(PendingDeliveryReport.id)
            )
        )


def _status(services: Services, message_id: int) -> str:
    with services.sessions() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.status


def _record_sent(services: Services, shop: TenantRecord, message_id: int, sid: str) -> None:
    """The worker's own outcome write (``write_updates``), as after a real send."""
    from saleor_sms_app.config.store import ConfigStore

    provider = ConfigStore(services).load(shop).provider("tw")
    assert provider is not None
    outcome = Outcome([Attempt(provider, SendResult(SendStatus.QUEUED, sid), None, 12)])
    assert record_outcome(services, message_id, shop.id, "+48500100200", outcome) in (
        "sent",
        "delivered",
    )


def test_early_report_is_kept_then_applied_when_the_outcome_is_written(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    in_flight = log_message(services, shop.id, status="sending")
    form = {"MessageSid": "SM-EARLY", "MessageStatus": "delivered"}
    response = _post_twilio(client, settings, _path(shop), form)
    assert response.status_code == 200, response.json
    assert (response.json["applied"], response.json["pending"]) == (0, 1)
    assert _pending(services) == ["SM-EARLY"] and _reports(services) == 0
    assert _status(services, in_flight) == "sending"

    _record_sent(services, shop, in_flight, "SM-EARLY")

    assert _status(services, in_flight) == "delivered"
    assert _pending(services) == [] and _reports(services) == 1


def test_report_stored_after_the_outcome_was_written_is_applied_by_the_web(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    """The race: the worker records the id between the web's look-up and its commit."""
    in_flight = log_message(services, shop.id, status="sending")
    other = log_message(services, shop.id, status="sending")  # keeps the shop "sending"
    events = [pending._event_of(_row("SM-RACE"))]
    with session_scope(services.sessions) as session:
        pending.keep_reports(session, shop.id, "tw", "twilio", events)
    with services.sessions.begin() as session:  # recorded without looking at pending rows
        message = session.get(Message, in_flight)
        assert message is not None
        message.status, message.provider_id, message.provider = "sent", "tw", "twilio"
        message.provider_message_id = "SM-RACE"
    with session_scope(services.sessions) as session:
        assert pending.apply_pending_for_events(session, shop.id, "tw", events) == 1
    assert _status(services, in_flight) == "delivered" and _status(services, other) == "sending"
    assert _pending(services) == []


def _row(sid: str) -> PendingDeliveryReport:
    return PendingDeliveryReport(
        provider_message_id=sid, reference=None, event={"status": "delivered"}
    )


def test_report_older_than_an_hour_is_discarded_and_logged(
    client: Any,
    services: Services,
    settings: Settings,
    shop: TenantRecord,
    caplog: pytest.LogCaptureFixture,
) -> None:
    in_flight = log_message(services, shop.id, status="sending")
    form = {"MessageSid": "SM-LATE", "MessageStatus": "delivered"}
    assert _post_twilio(client, settings, _path(shop), form).status_code == 200
    with session_scope(services.sessions) as session:
        assert pending.discard_stale_reports(session, now=utcnow() + timedelta(minutes=59)) == 0
    caplog.set_level(logging.WARNING, logger="saleor_sms_app.delivery_reports.pending")
    with session_scope(services.sessions) as session:
        assert pending.discard_stale_reports(session, now=utcnow() + timedelta(minutes=61)) == 1
    assert _pending(services) == []
    assert any(
        "SM-LATE" in r.getMessage() and f"tenant {shop.id}" in r.getMessage()
        for r in caplog.records
    )
    _record_sent(services, shop, in_flight, "SM-LATE")
    assert _status(services, in_flight) == "sent" and _reports(services) == 0


def test_reports_waiting_longer_than_an_hour_are_not_applied(
    services: Services, shop: TenantRecord
) -> None:
    in_flight = log_message(services, shop.id, status="sending")
    with session_scope(services.sessions) as session:
        pending.keep_reports(
            session,
            shop.id,
            "tw",
            "twilio",
            [pending._event_of(_row("SM-OLD"))],
            now=utcnow() - timedelta(minutes=61),
        )
    _record_sent(services, shop, in_flight, "SM-OLD")
    assert _status(services, in_flight) == "sent" and _reports(services) == 0


def test_the_count_of_waiting_reports_per_tenant_is_bounded(
    client: Any,
    services: Services,
    settings: Settings,
    shop: TenantRecord,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(pending, "MAX_PENDING_PER_TENANT", 3)
    log_message(services, shop.id, status="sending")
    caplog.set_level(logging.WARNING, logger="saleor_sms_app.delivery_reports.pending")
    for n in range(5):
        form = {"MessageSid": f"SM-{n}", "MessageStatus": "delivered"}
        assert _post_twilio(client, settings, _path(shop), form).status_code == 200
    assert _pending(services) == ["SM-2", "SM-3", "SM-4"]  # the newest stay
    assert sum("dropped the 1 oldest" in r.getMessage() for r in caplog.records) == 2


def test_forged_early_report_is_refused_and_stored_nowhere(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    log_message(services, shop.id, status="sending")
    form = {"MessageSid": "SM-FORGED", "MessageStatus": "delivered"}
    assert _post_twilio(client, settings, _path(shop), form, sign=False).status_code == 401
    forged = client.post(_path(shop), data=form, headers={"X-Twilio-Signature": "AAAA"})
    assert forged.status_code == 401
    assert _post_twilio(client, settings, _path(shop, secret="guess"), form).status_code == 401
    assert _pending(services) == [] and _reports(services) == 0
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryReport)) == 0


def test_unknown_id_with_nothing_in_flight_is_still_404(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    form = {"MessageSid": "SM-STRAY", "MessageStatus": "delivered"}
    assert _post_twilio(client, settings, _path(shop), form).status_code == 404
    assert _pending(services) == []
