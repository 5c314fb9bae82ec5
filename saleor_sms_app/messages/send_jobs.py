"""The RQ jobs that send logged messages: one message, a batch, a retry.

Queueing only: the jobs run :mod:`saleor_sms_app.messages.dispatching` through
:mod:`saleor_sms_app.jobs`. Kept apart from dispatching so that whoever logs a
message (an event, a low-balance alert) can queue it without importing the
sending machinery.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rq import Retry

from saleor_sms_app.services import Services

#: Seconds between tries of a send after a temporary provider failure (RQ's
#: scheduler runs them; tests set zeros to run them at once).
SEND_RETRY_INTERVALS: list[int] = [30, 120, 600, 1800]
#: Most messages one :func:`saleor_sms_app.jobs.send_messages` job sends.
SEND_BATCH_SIZE = 50


def enqueue_send(services: Services, message_id: int, *, after_seconds: int = 0) -> None:
    """Queue :func:`saleor_sms_app.jobs.send_message` for a logged ``queued`` message,
    at once or ``after_seconds`` from now (RQ's scheduler runs it then)."""
    args: tuple[Any, ...] = ("saleor_sms_app.jobs.send_message", message_id)
    kwargs: dict[str, Any] = {
        "job_id": f"send-{message_id}",
        "retry": Retry(max=len(SEND_RETRY_INTERVALS), interval=SEND_RETRY_INTERVALS),
        "description": f"send SMS message {message_id}",
    }
    if after_seconds > 0:
        services.queue.enqueue_in(timedelta(seconds=after_seconds), *args, **kwargs)
    else:
        services.queue.enqueue(*args, **kwargs)


def enqueue_sends(services: Services, message_ids: list[int]) -> None:
    """Queue sends for several logged messages: one job for one, batch jobs for more
    (nothing for none).

    RQ's own bookkeeping costs more than an SMS, so many messages go in
    :func:`saleor_sms_app.jobs.send_messages` jobs of up to
    :data:`SEND_BATCH_SIZE`; each message is still sent as
    :func:`saleor_sms_app.messages.dispatching.send_message` sends one.
    """
    if len(message_ids) == 1:
        enqueue_send(services, message_ids[0])
        return
    for start in range(0, len(message_ids), SEND_BATCH_SIZE):
        batch = message_ids[start : start + SEND_BATCH_SIZE]
        services.queue.enqueue(
            "saleor_sms_app.jobs.send_messages",
            batch,
            job_id=f"send-{batch[0]}-{batch[-1]}-{len(batch)}",
            # A batch that dies half-way is re-run whole: rows already sent are
            # no longer ``queued`` and are skipped, so nothing goes out twice.
            retry=Retry(max=len(SEND_RETRY_INTERVALS), interval=SEND_RETRY_INTERVALS),
            description=f"send {len(batch)} SMS messages from {batch[0]}",
        )


def enqueue_retry(services: Services, message_id: int) -> None:
    """Hand one message of a batch to its own job for the remaining tries.

    The batch was its first try, so the job starts after the first interval and
    keeps the other intervals: the same tries, at the same times, as a message
    sent alone.
    """
    first, *rest = SEND_RETRY_INTERVALS
    kwargs: dict[str, Any] = {
        "job_id": f"send-{message_id}",
        "description": f"send SMS message {message_id}",
    }
    if rest:
        kwargs["retry"] = Retry(max=len(rest), interval=rest)
    if first > 0:
        services.queue.enqueue_in(
            timedelta(seconds=first), "saleor_sms_app.jobs.send_message", message_id, **kwargs
        )
    else:
        services.queue.enqueue("saleor_sms_app.jobs.send_message", message_id, **kwargs)
