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
import pickle
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
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


def _argv_of(pipe: Any) -> list[Any]:
    """The commands RQ queued on a never-executed pipeline, flattened for the script's ARGV."""
    argv: list[Any] = []
    for args, _options in pipe.command_stack:
        argv.append(len(args))
        argv.extend(args)
    pipe.reset()
    return argv


#: Stand-ins for the per-delivery values while RQ builds the template job
#: (letters only, so they are valid in RQ job ids and never occur by chance).
_PLACEHOLDERS = {
    "key": "smsplaceholderkeyqzx",
    "api_url": "smsplaceholderurlqzx",
    "event": "smsplaceholdereventqzx",
    "body": "smsplaceholderbodyqzx",
}
_TIMESTAMP_FIELDS = ("created_at", "enqueued_at")
#: One slot of the template: a constant, or how to fill it per delivery.
_Slot = tuple[str, Any]


def _job_data(args: tuple[str, str, str, str]) -> bytes:
    """The job's ``data`` field as RQ's worker reads it: the pickled call.

    Left uncompressed: ``Job.restore`` takes data that is not zlib as is, and
    compressing a few hundred bytes (zlib sets up 256 KiB of state) cost more
    web CPU than the whole rest of the job.
    """
    return pickle.dumps((HANDLE_WEBHOOK_JOB, None, args, {}), protocol=pickle.HIGHEST_PROTOCOL)


def _timestamp() -> str:
    """Now in RQ's timestamp format (``%Y-%m-%dT%H:%M:%S.%fZ``), without strftime's cost."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@dataclass(frozen=True)
class _JobTemplate:
    """RQ's enqueue commands for a webhook job, built once, filled in per delivery.

    Building a job through RQ (``Job.create``, ``to_dict``, pickling, zlib,
    strftime, serializer protocol checks) cost about as much web CPU as the
    rest of the request. The commands differ between deliveries only in the job
    id, the description, the data and two timestamps, so RQ builds them once
    with placeholders and each delivery substitutes its values. The template
    checks itself against RQ's own encoding when it is built, so an RQ upgrade
    that changes the job format fails loudly in tests instead of silently.
    """

    slots: tuple[_Slot, ...]

    @classmethod
    def build(cls, services: Services) -> _JobTemplate:
        p = _PLACEHOLDERS
        args = (p["api_url"], p["event"], p["body"], p["key"])
        pipe = services.redis.pipeline(transaction=False)
        services.queue.enqueue_call(
            HANDLE_WEBHOOK_JOB,
            args=args,
            job_id=_job_id(p["key"]),
            retry=Retry(max=len(WEBHOOK_RETRY_INTERVALS), interval=WEBHOOK_RETRY_INTERVALS),
            description=_description(p["api_url"], p["event"]),
            pipeline=pipe,
        )
        slots: list[_Slot] = []
        previous: Any = None
        for value in _argv_of(pipe):
            if previous == "data":
                if zlib.decompress(value) != _job_data(args):
                    raise RuntimeError("RQ encodes job data differently; update queueing.py")
                slots.append(("data", None))
            elif previous in _TIMESTAMP_FIELDS:
                slots.append(("timestamp", None))
            elif isinstance(value, str) and any(x in value for x in p.values()):
                template = value.replace("{", "{{").replace("}", "}}")
                for name, placeholder in p.items():
                    template = template.replace(placeholder, "{" + name + "}")
                slots.append(("format", template))
            else:
                slots.append(("constant", value))
            previous = value
        return cls(tuple(slots))

    def argv(self, saleor_api_url: str, event: str, raw_body: str, key: str) -> list[Any]:
        values = {"api_url": saleor_api_url, "event": event, "body": raw_body, "key": key}
        data = _job_data((saleor_api_url, event, raw_body, key))
        now = _timestamp()
        argv: list[Any] = []
        for kind, value in self.slots:
            if kind == "constant":
                argv.append(value)
            elif kind == "format":
                argv.append(value.format_map(values))
            elif kind == "data":
                argv.append(data)
            else:
                argv.append(now)
        return argv


def _job_id(key: str) -> str:
    return f"webhook-{key}"


def _description(saleor_api_url: str, event: str) -> str:
    return f"{event} from {saleor_api_url}"


_templates: dict[str, _JobTemplate] = {}


def _template(services: Services) -> _JobTemplate:
    """The job template for this queue, built on first use (building it twice is harmless)."""
    template = _templates.get(services.queue.key)
    if template is None:
        template = _templates[services.queue.key] = _JobTemplate.build(services)
    return template


def enqueue_webhook(services: Services, saleor_api_url: str, event: str, raw_body: bytes) -> bool:
    """Queue ``handle_webhook`` for this delivery; ``False`` when it was seen before.

    The job's commands (RQ's own, from :class:`_JobTemplate`) run in one Lua
    script together with the ``SET NX``. So the check and the enqueue are one
    round trip and atomic: no process crash between them can leave a key
    without a job (which would make Saleor's retry look like a duplicate).
    """
    key = dedupe_key(saleor_api_url, event, raw_body)
    try:
        argv = _template(services).argv(saleor_api_url, event, raw_body.decode(), key)
        enqueued = services.redis.register_script(_ENQUEUE_IF_NEW)(
            keys=[dedupe_redis_key(key)], args=[DEDUPE_TTL_SECONDS, *argv]
        )
    except RedisError as exc:
        raise QueueUnavailable("the job queue (Redis) is not available") from exc
    return bool(enqueued)
