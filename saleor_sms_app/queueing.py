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

from redis.commands.core import Script
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


#: Stand-ins for the per-delivery values while RQ builds the template job
#: (letters only, so they are valid in RQ job ids and never occur by chance).
_PLACEHOLDERS = {
    "key": "smsplaceholderkeyqzx",
    "api_url": "smsplaceholderurlqzx",
    "event": "smsplaceholdereventqzx",
    "body": "smsplaceholderbodyqzx",
}
_TIMESTAMP_FIELDS = ("created_at", "enqueued_at")
#: The script's ARGV after the TTL (ARGV[1]), in order; ``body`` only if RQ ever
#: puts it outside the pickled data (today it does not, so it is not sent twice).
_VARIABLES = ("key", "api_url", "event", "data", "now", "body")


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


def _lua_string(value: bytes) -> str:
    """A Lua literal for any bytes: printable ASCII as is, the rest and quote/backslash escaped."""
    return "'" + "".join(_LUA_BYTES[b] for b in value) + "'"


_LUA_BYTES = [chr(b) if 32 <= b < 127 and chr(b) not in "'\\" else f"\\{b:03d}" for b in range(256)]


@dataclass(frozen=True)
class _JobTemplate:
    """RQ's enqueue commands for a webhook job, compiled once into a Lua script.

    Building a job through RQ (``Job.create``, ``to_dict``, pickling, zlib,
    strftime, serializer protocol checks) cost about as much web CPU as the
    rest of the request, and sending its ~50 command arguments to Redis on
    every delivery cost the web process more again (redis-py encodes each).
    The commands differ between deliveries only in the job id, the
    description, the data and two timestamps, so RQ builds them once with
    placeholders, and they become a script with every constant written into
    its source: a delivery sends only its own values (``_VARIABLES``), and the
    ``SET NX`` on the de-duplication key (KEYS[1]) decides in the same script
    whether the job is written at all. The template checks itself against
    RQ's own encoding when it is built, so an RQ upgrade that changes the job
    format fails loudly in tests instead of silently.
    """

    #: Which of ``_VARIABLES`` the script reads, in ARGV order after the TTL.
    variables: tuple[str, ...]
    script: Script

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
        # The bytes redis-py itself would send for each constant.
        encoder = services.redis.get_encoder()
        used: set[str] = set()
        calls: list[str] = []
        for command, _options in pipe.command_stack:
            parts: list[str] = []
            previous: Any = None
            for value in command:
                if previous == "data":
                    if zlib.decompress(value) != _job_data(args):
                        raise RuntimeError("RQ encodes job data differently; update queueing.py")
                    parts.append("data")
                    used.add("data")
                elif previous in _TIMESTAMP_FIELDS:
                    parts.append("now")
                    used.add("now")
                elif isinstance(value, str) and any(x in value for x in p.values()):
                    parts.append(_lua_concatenation(value, used))
                else:
                    parts.append(_lua_string(encoder.encode(value)))  # type: ignore[no-untyped-call]
                previous = value
            calls.append(f"redis.call({', '.join(parts)})")
        pipe.reset()
        variables = tuple(name for name in _VARIABLES if name in used)
        names = ", ".join(variables)
        values = ", ".join(f"ARGV[{i}]" for i in range(2, len(variables) + 2))
        source = "\n".join(
            [
                "if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end",
                f"local {names} = {values}",
                *calls,
                "return 1",
            ]
        )
        return cls(variables, services.redis.register_script(source))

    def enqueue_if_new(
        self, services: Services, saleor_api_url: str, event: str, raw_body: bytes, key: str
    ) -> bool:
        """Run the script for one delivery: ``True`` if its job was written, ``False`` if seen."""
        text = raw_body.decode()
        values: dict[str, str | bytes] = {
            "key": key,
            "api_url": saleor_api_url,
            "event": event,
            "body": text,
            "now": _timestamp(),
            "data": _job_data((saleor_api_url, event, text, key)),
        }
        argv = [DEDUPE_TTL_SECONDS, *(values[name] for name in self.variables)]
        return bool(self.script(keys=[dedupe_redis_key(key)], args=argv, client=services.redis))


def _lua_concatenation(template: str, used: set[str]) -> str:
    """A Lua expression for a string with placeholders: literals and variables joined by ``..``."""
    pieces: list[str] = []
    rest = template
    while rest:
        found = [(rest.find(ph), name) for name, ph in _PLACEHOLDERS.items() if ph in rest]
        if not found:
            pieces.append(_lua_string(rest.encode()))
            break
        index, name = min(found)
        if index:
            pieces.append(_lua_string(rest[:index].encode()))
        pieces.append(name)
        used.add(name)
        rest = rest[index + len(_PLACEHOLDERS[name]) :]
    return " .. ".join(pieces)


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
        return _template(services).enqueue_if_new(services, saleor_api_url, event, raw_body, key)
    except RedisError as exc:
        raise QueueUnavailable("the job queue (Redis) is not available") from exc
