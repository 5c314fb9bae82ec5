"""Handing a verified webhook to the worker exactly once.

Saleor has no delivery id and retries after timeouts, so the same delivery can
arrive twice (even concurrently). The de-duplication key is a hash of the
tenant, the event and the raw body; ``SET NX`` on it decides which request
enqueues, and the job id is derived from it too, so even a race past the key
cannot create two jobs. The ``SET NX`` and the job's writes run in one Lua
script: one Redis round trip per webhook, and the key never exists without its
job.

If Redis fails we answer 503 (:class:`QueueUnavailable`) so Saleor retries;
nothing was written, so the retry is not taken for a duplicate.
"""

from __future__ import annotations

import hashlib
from typing import Any

from redis.exceptions import RedisError
from rq import Retry

from saleor_sms_app.errors import QueueUnavailable
from saleor_sms_app.services import Services

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


#: Runs the commands RQ would pipeline for the enqueue only if the ``SET NX`` on
#: the de-duplication key (KEYS[1]) succeeds; ARGV = TTL, then for each command
#: its argument count followed by its arguments.
_ENQUEUE_IF_NEW = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1
"""


def enqueue_webhook(services: Services, saleor_api_url: str, event: str, raw_body: bytes) -> bool:
    """Queue ``handle_webhook`` for this delivery; ``False`` when it was seen before.

    RQ builds the job into a pipeline that is never executed; its commands run
    in one Lua script together with the ``SET NX``. So the check and the enqueue
    are one round trip and atomic: no process crash between them can leave a
    key without a job (which would make Saleor's retry look like a duplicate).
    """
    key = dedupe_key(saleor_api_url, event, raw_body)
    try:
        pipe = services.redis.pipeline(transaction=False)
        services.queue.enqueue_call(
            HANDLE_WEBHOOK_JOB,
            args=(saleor_api_url, event, raw_body.decode(), key),
            job_id=f"webhook-{key}",
            retry=Retry(max=len(WEBHOOK_RETRY_INTERVALS), interval=WEBHOOK_RETRY_INTERVALS),
            description=f"{event} from {saleor_api_url}",
            pipeline=pipe,
        )
        argv: list[Any] = [DEDUPE_TTL_SECONDS]
        for args, _options in pipe.command_stack:
            argv.append(len(args))
            argv.extend(args)
        pipe.reset()
        enqueued = services.redis.register_script(_ENQUEUE_IF_NEW)(
            keys=[dedupe_redis_key(key)], args=argv
        )
    except RedisError as exc:
        raise QueueUnavailable("the job queue (Redis) is not available") from exc
    return bool(enqueued)
