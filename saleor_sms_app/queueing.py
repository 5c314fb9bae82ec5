"""Handing a verified webhook to the worker exactly once.

Saleor has no delivery id and retries after timeouts, so the same delivery can
arrive twice (even concurrently). The de-duplication key is a hash of the
tenant, the event and the raw body; ``SET NX`` on it decides which request
enqueues, and the job id is derived from it too, so even a race past the key
cannot create two jobs. Two Redis round trips per new webhook: the ``SET NX``,
then the job written and queued in one pipeline.

If Redis fails we answer 503 (:class:`QueueUnavailable`) so Saleor retries, and
remove the key we may have set so that the retry is not taken for a duplicate.
"""

from __future__ import annotations

import hashlib
import logging

from redis.exceptions import RedisError
from rq import Retry

from saleor_sms_app.errors import QueueUnavailable
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

HANDLE_WEBHOOK_JOB = "saleor_sms_app.jobs.handle_webhook"
#: Longer than Saleor's whole retry schedule, short enough to keep Redis small.
DEDUPE_TTL_SECONDS = 7 * 24 * 3600
#: A job that cannot reach Saleor tries again after these delays (seconds).
WEBHOOK_RETRY_INTERVALS = [10, 30, 60, 300, 900]


def dedupe_key(saleor_api_url: str, event: str, raw_body: bytes) -> str:
    """sha256 of ``api_url \\n event \\n body`` (the contract with the job, ARCHITECTURE.md)."""
    digest = hashlib.sha256()
    digest.update(saleor_api_url.encode())
    digest.update(b"\n")
    digest.update(event.encode())
    digest.update(b"\n")
    digest.update(raw_body)
    return digest.hexdigest()


def dedupe_redis_key(key: str) -> str:
    return f"sms:webhook:{key}"


def enqueue_webhook(services: Services, saleor_api_url: str, event: str, raw_body: bytes) -> bool:
    """Queue ``handle_webhook`` for this delivery; ``False`` when it was seen before."""
    key = dedupe_key(saleor_api_url, event, raw_body)
    redis_key = dedupe_redis_key(key)
    try:
        fresh = services.redis.set(redis_key, b"1", nx=True, ex=DEDUPE_TTL_SECONDS)
    except RedisError as exc:
        raise QueueUnavailable("the job queue (Redis) is not available") from exc
    if not fresh:
        return False
    try:
        pipe = services.redis.pipeline(transaction=True)
        services.queue.enqueue_call(
            HANDLE_WEBHOOK_JOB,
            args=(saleor_api_url, event, raw_body.decode(), key),
            job_id=f"webhook-{key}",
            retry=Retry(max=len(WEBHOOK_RETRY_INTERVALS), interval=WEBHOOK_RETRY_INTERVALS),
            description=f"{event} from {saleor_api_url}",
            pipeline=pipe,
        )
        pipe.execute()
    except RedisError as exc:
        try:
            services.redis.delete(redis_key)
        except RedisError:
            log.warning("could not remove de-duplication key %s after a failed enqueue", key)
        raise QueueUnavailable("the job queue (Redis) is not available") from exc
    return True
