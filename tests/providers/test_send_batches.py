"""Batched sends (``send_messages`` jobs) keep every guarantee of one job per message.

Real RQ on a real Redis (SmsWorker in this process), a real database and a
loopback stand-in provider.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.messages import dispatching, send_jobs
from saleor_sms_app.models import Message, MessageAttempt
from saleor_sms_app.providers import failover
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.providers.conftest import generic_config, log_message, use_config
from tests.standin.provider import StandinProvider


def _status(services: Services, message_id: int) -> tuple[str, str | None]:
    with services.sessions() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.status, message.error_text


def _attempts(services: Services, message_id: int) -> list[str]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(MessageAttempt.status)
                .where(MessageAttempt.message_id == message_id)
                .order_by(MessageAttempt.id)
            )
        )


@pytest.fixture
def provider(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider
) -> StandinProvider:
    use_config(services, tenant, AppConfig(providers=[generic_config("a", standin_provider.url)]))
    return standin_provider


def test_many_messages_go_out_in_one_batch_job_each_sent_once(
    services: Services, tenant: TenantRecord, provider: StandinProvider
) -> None:
    ids = [log_message(services, tenant.id, body=f"Order {i} shipped") for i in range(5)]
    send_jobs.enqueue_sends(services, ids)
    assert services.queue.count == 1
    drain_queue(services)
    assert [_status(services, i) for i in ids] == [("sent", None)] * 5
    assert [_attempts(services, i) for i in ids] == [["queued"]] * 5
    assert sorted(r.json["ref"] for r in provider.requests) == sorted(str(i) for i in ids)


def test_a_batch_skips_rows_no_longer_queued_and_repeated_ids(
    services: Services, tenant: TenantRecord, provider: StandinProvider
) -> None:
    sent = log_message(services, tenant.id)
    assert dispatching.send_message(services, sent) == "sent"
    fresh = log_message(services, tenant.id)
    provider.requests.clear()
    counts = dispatching.send_messages(services, [sent, fresh, fresh])
    assert counts == {"sent": 3}
    assert [r.json["ref"] for r in provider.requests] == [str(fresh)]
    assert _attempts(services, sent) == ["queued"] and _attempts(services, fresh) == ["queued"]


def test_a_temporary_failure_leaves_the_batch_for_its_own_retry_job(
    services: Services,
    tenant: TenantRecord,
    provider: StandinProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(send_jobs, "SEND_RETRY_INTERVALS", [0, 0])
    first, second = log_message(services, tenant.id), log_message(services, tenant.id)
    provider.mode = "5xx"
    assert dispatching.send_messages(services, [first, second]) == {"retrying": 2}
    status, text = _status(services, first)
    assert status == "queued" and (text or "").startswith("Waiting to retry")
    assert sorted(services.queue.job_ids) == sorted([f"send-{first}", f"send-{second}"])
    provider.mode = "accept"
    drain_queue(services)
    assert _status(services, first) == ("sent", None) and _status(services, second)[0] == "sent"
    assert _attempts(services, first) == ["failed", "queued"]


def test_a_temporary_failure_that_persists_fails_after_the_same_number_of_tries(
    services: Services,
    tenant: TenantRecord,
    provider: StandinProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(send_jobs, "SEND_RETRY_INTERVALS", [0, 0, 0])
    ids = [log_message(services, tenant.id), log_message(services, tenant.id)]
    provider.mode = "5xx"
    send_jobs.enqueue_sends(services, ids)
    drain_queue(services)
    for message_id in ids:
        assert _status(services, message_id)[0] == "failed"
        assert len(_attempts(services, message_id)) == 1 + len(send_jobs.SEND_RETRY_INTERVALS)


def test_the_retry_job_waits_the_first_interval(
    services: Services,
    tenant: TenantRecord,
    provider: StandinProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(send_jobs, "SEND_RETRY_INTERVALS", [30, 120])
    message_id = log_message(services, tenant.id)
    provider.mode = "5xx"
    assert dispatching.send_messages(services, [message_id]) == {"retrying": 1}
    assert services.queue.count == 0
    scheduled = ScheduledJobRegistry(queue=services.queue)
    assert scheduled.get_job_ids() == [f"send-{message_id}"]
    job = services.queue.fetch_job(f"send-{message_id}")
    assert job is not None and job.retries_left == 1 and job.retry_intervals == [120]


def test_a_permanent_failure_in_a_batch_is_recorded_and_the_rest_are_sent(
    services: Services, tenant: TenantRecord, provider: StandinProvider
) -> None:
    good = log_message(services, tenant.id)
    bad = log_message(services, tenant.id, phone="0048")  # no "+": the stand-in refuses it
    assert dispatching.send_messages(services, [bad, good]) == {"failed": 1, "sent": 1}
    assert _status(services, bad)[0] == "failed" and _status(services, good)[0] == "sent"
    assert services.queue.count == 0


def _count_in_flight(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Wrap the provider call; returns a list whose max is the most sends in flight at once."""
    lock, in_flight, seen = threading.Lock(), [0], [0]
    real = failover.send_with_failover

    def counted(*args: Any, **kwargs: Any) -> Any:
        with lock:
            in_flight[0] += 1
            seen.append(in_flight[0])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(dispatching, "send_with_failover", counted)
    return seen


def test_a_slow_provider_gets_the_batch_side_by_side_each_message_once(
    services: Services,
    tenant: TenantRecord,
    provider: StandinProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "settings", services.settings.with_overrides(send_concurrency=4))
    seen = _count_in_flight(monkeypatch)
    provider.mode, provider.slow_seconds = "slow", 0.15
    ids = [log_message(services, tenant.id, body=f"Order {i} shipped") for i in range(9)]
    assert dispatching.send_messages(services, ids) == {"sent": 9}
    assert max(seen) > 1  # the first answer was slow, so the rest went together
    assert max(seen) <= 4
    assert sorted(r.json["ref"] for r in provider.requests) == sorted(str(i) for i in ids)
    assert [_attempts(services, i) for i in ids] == [["queued"]] * 9


def test_a_fast_provider_gets_the_batch_one_at_a_time(
    services: Services,
    tenant: TenantRecord,
    provider: StandinProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "settings", services.settings.with_overrides(send_concurrency=4))
    monkeypatch.setattr(dispatching, "SIDE_BY_SIDE_AFTER_MS", 10_000.0)
    seen = _count_in_flight(monkeypatch)
    ids = [log_message(services, tenant.id) for _ in range(6)]
    assert dispatching.send_messages(services, ids) == {"sent": 6}
    assert max(seen) == 1


def test_an_unexpected_error_gives_the_message_back_for_a_retry(
    services: Services,
    tenant: TenantRecord,
    provider: StandinProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(send_jobs, "SEND_RETRY_INTERVALS", [0])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr(dispatching, "send_with_failover", broken)
    message_id = log_message(services, tenant.id)
    assert dispatching.send_messages(services, [message_id]) == {"retrying": 1}
    status, text = _status(services, message_id)
    assert status == "queued" and (text or "").startswith("Waiting to retry: Unexpected error")
    monkeypatch.undo()
    use_config(services, tenant, AppConfig(providers=[generic_config("a", provider.url)]))
    drain_queue(services)
    assert _status(services, message_id) == ("sent", None)
