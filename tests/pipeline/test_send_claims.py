"""A message is sent once even with several workers: a send claimed by one worker is left
to it, and one interrupted by a dead worker is marked unknown, never sent again."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from saleor_sms_app.jobs import send_message
from saleor_sms_app.messages import dispatching
from saleor_sms_app.models import Message
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.pipeline.support import messages, outbox
from tests.providers.conftest import log_message
from tests.standin.saleor import SaleorStandin


def _set_status(services: Services, message_id: int, status: str, **values: Any) -> None:
    with services.sessions() as session, session.begin():
        message = session.get(Message, message_id)
        assert message is not None
        message.status = status
        for name, value in values.items():
            setattr(message, name, value)


def test_a_message_being_sent_by_another_worker_is_left_to_it(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    message_id = log_message(services, tenant.id)
    _set_status(services, message_id, "sending")  # claimed by another worker
    assert send_message(message_id) == "sending"
    assert dispatching.send_messages(services, [message_id, message_id]) == {"sending": 2}
    assert outbox(services) == []
    _set_status(services, message_id, "queued")  # that worker gave it back
    assert send_message(message_id) == "sent" and len(outbox(services)) == 1
    assert send_message(message_id) == "sent" and len(outbox(services)) == 1


def test_two_workers_on_the_same_messages_send_each_once(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    ids = [log_message(services, tenant.id, body=f"Order {i} shipped") for i in range(6)]
    results: list[dict[str, int]] = []
    threads = [
        threading.Thread(target=lambda: results.append(dispatching.send_messages(services, ids)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outbox(services)) == 6
    assert sorted(line["reference"] for line in outbox(services)) == sorted(str(i) for i in ids)
    assert sum(r.get("sent", 0) + r.get("sending", 0) for r in results) == 4 * 6


def test_a_send_interrupted_by_a_dead_worker_is_marked_unknown_not_sent_again(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    stale, fresh = log_message(services, tenant.id), log_message(services, tenant.id)
    _set_status(
        services,
        stale,
        "sending",
        updated_at=datetime.now(UTC) - timedelta(seconds=dispatching.SEND_LOCK_SECONDS + 5),
    )
    _set_status(services, fresh, "sending")
    assert dispatching.release_stale_sends(services) == 1
    statuses = {m.id: m for m in messages(services)}
    assert statuses[stale].status == "unknown"
    assert statuses[stale].error_code == "send_interrupted"
    assert statuses[fresh].status == "sending"
    assert send_message(stale) == "unknown" and outbox(services) == []


def test_the_worker_marks_interrupted_sends_when_it_starts(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    stale = log_message(services, tenant.id)
    _set_status(
        services,
        stale,
        "sending",
        updated_at=datetime.now(UTC) - timedelta(seconds=dispatching.SEND_LOCK_SECONDS + 5),
    )
    drain_queue(services)  # an SmsWorker: RQ's maintenance runs as it starts
    assert [(m.status, m.error_code) for m in messages(services)] == [
        ("unknown", "send_interrupted")
    ]


def test_the_worker_uses_the_configured_age_and_a_timeout_sized_grace(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord
) -> None:
    """``SEND_LOCK_SECONDS`` and ``JOB_TIMEOUT`` (the chaos suite shortens both) are
    what the worker's maintenance and RQ's abandoned-job check go by."""
    from saleor_sms_app.worker import SmsWorker

    services.settings = services.settings.with_overrides(job_timeout=10, send_lock_seconds=15)
    older = log_message(services, tenant.id)
    _set_status(services, older, "sending", updated_at=datetime.now(UTC) - timedelta(seconds=20))
    drain_queue(services)
    assert [m.status for m in messages(services)] == ["unknown"]

    worker = SmsWorker([services.queue], connection=services.redis)
    job = services.queue.enqueue("operator.truth", job_timeout=10)
    assert worker.get_heartbeat_ttl(job) == 20  # RQ alone would give 10 + 60
    job = services.queue.enqueue("operator.truth", job_timeout=180)
    assert worker.get_heartbeat_ttl(job) == 240  # the default is unchanged
