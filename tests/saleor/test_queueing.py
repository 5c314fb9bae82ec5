"""``enqueue_webhook``: the compiled Lua script writes what RQ itself would write."""

from __future__ import annotations

import zlib
from typing import cast

from rq import Retry
from rq.job import Job

from saleor_sms_app.queueing import (
    HANDLE_WEBHOOK_JOB,
    WEBHOOK_RETRY_INTERVALS,
    dedupe_key,
    enqueue_webhook,
)
from saleor_sms_app.services import Services

API_URL = "https://shop.example.com/graphql/"
#: Everything a Lua literal or a format string could trip over.
AWKWARD_BODY = (
    '{"order": {"id": "T3JkZXI6MQ==", "note": "it\'s 100% \\"ok\\" \\\\ ]] {x} %s'
    ' \\n Zürich 東京 \U0001f600"}}'
).encode()


def _hash_without_timestamps(services: Services, job_id: str) -> dict[bytes, bytes]:
    # The services' client does not decode responses: keys and values are bytes.
    fields = cast(dict[bytes, bytes], services.redis.hgetall(f"rq:job:{job_id}"))
    for name in (b"created_at", b"enqueued_at"):
        assert fields.pop(name, b"").endswith(b"Z")
    fields[b"data"] = _plain(fields[b"data"])
    return fields


def _plain(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return data


def test_the_script_writes_the_job_rq_would_write(services: Services) -> None:
    key = dedupe_key(API_URL, "ORDER_CREATED", AWKWARD_BODY)
    assert enqueue_webhook(services, API_URL, "ORDER_CREATED", AWKWARD_BODY) is True

    # The same job through RQ's own enqueue, under another id.
    reference_id = "reference-job"
    services.queue.enqueue_call(
        HANDLE_WEBHOOK_JOB,
        args=(API_URL, "ORDER_CREATED", AWKWARD_BODY.decode(), key),
        job_id=reference_id,
        retry=Retry(max=len(WEBHOOK_RETRY_INTERVALS), interval=WEBHOOK_RETRY_INTERVALS),
        description=f"ORDER_CREATED from {API_URL}",
    )
    ours = _hash_without_timestamps(services, f"webhook-{key}")
    theirs = _hash_without_timestamps(services, reference_id)
    assert ours == theirs
    assert services.queue.job_ids == [f"webhook-{key}", reference_id]
    assert services.redis.sismember("rq:queues", services.queue.key)

    job = Job.fetch(f"webhook-{key}", connection=services.redis)
    assert job.args == (API_URL, "ORDER_CREATED", AWKWARD_BODY.decode(), key)
    assert job.created_at is not None and job.enqueued_at == job.created_at


def test_a_seen_delivery_writes_nothing(services: Services) -> None:
    assert enqueue_webhook(services, API_URL, "ORDER_CREATED", AWKWARD_BODY) is True
    before = services.redis.dbsize()
    assert enqueue_webhook(services, API_URL, "ORDER_CREATED", AWKWARD_BODY) is False
    assert services.redis.dbsize() == before and services.queue.count == 1


def test_a_redis_that_forgot_the_script_loads_it_again(services: Services) -> None:
    assert enqueue_webhook(services, API_URL, "ORDER_CREATED", b'{"n": 1}') is True
    services.redis.script_flush()  # what a Redis restart or failover does
    assert enqueue_webhook(services, API_URL, "ORDER_CREATED", b'{"n": 2}') is True
    assert services.queue.count == 2
