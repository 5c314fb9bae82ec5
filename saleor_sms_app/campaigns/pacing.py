"""A provider's messages per second, kept across every worker in Redis.

A generic cell rate algorithm: one Redis key per tenant and provider holds the
"theoretical arrival time" of the next message; :meth:`Pacer.reserve` moves it
on by ``n / rate`` in one Lua script (atomic, so two workers reserving at once
each get their own slot) and answers how long the caller must wait before
handing those ``n`` messages to the queue. Up to one second of messages may go
at once (the burst). When a provider refuses for sending too fast,
:meth:`Pacer.slow_down` halves the rate for a minute (down to 1/32 of it) and
pushes the next slot a second on: the campaign slows instead of failing.

The time is passed in (milliseconds since the epoch from the caller's clock),
never read from Redis, so tests move it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis import Redis

#: How far ahead of the rate messages may go at once, in milliseconds.
BURST_MS = 1000
#: How long a slow-down lasts after the last refusal, in milliseconds.
SLOW_FOR_MS = 60_000
#: The most a rate is divided by after refusals.
MAX_SLOW = 32

_RESERVE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2]) * tonumber(redis.call('GET', KEYS[2]) or '1')
local count = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tonumber(ARGV[4]) - now
if wait < 0 then wait = 0 end
local after = tat + interval * count
redis.call('SET', KEYS[1], string.format('%.3f', after), 'PX', math.ceil(after - now) + 60000)
return string.format('%.3f', wait)
"""

_SLOW_DOWN = """
local now = tonumber(ARGV[1])
local factor = math.min(tonumber(redis.call('GET', KEYS[2]) or '1') * 2, tonumber(ARGV[3]))
redis.call('SET', KEYS[2], tostring(factor), 'PX', tonumber(ARGV[2]))
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
redis.call('SET', KEYS[1], string.format('%.3f', tat + 1000), 'PX', 120000)
return tostring(factor)
"""


def _ms(when: datetime) -> float:
    return when.timestamp() * 1000


@dataclass(frozen=True)
class Pacer:
    """The pace of one tenant's provider; ``per_second`` None means no limit."""

    redis: Redis
    tenant_id: int
    provider_id: str
    per_second: float | None

    @property
    def _keys(self) -> list[str]:
        base = f"sms:pace:{self.tenant_id}:{self.provider_id}"
        return [base, f"{base}:slow"]

    def reserve(self, count: int, now: datetime) -> float:
        """Take ``count`` slots; seconds to wait before handing those messages on."""
        if self.per_second is None or count <= 0:
            return 0.0
        interval = 1000.0 / self.per_second
        answer = self.redis.eval(_RESERVE, 2, *self._keys, _ms(now), interval, count, BURST_MS)
        return float(answer) / 1000

    def slow_down(self, now: datetime) -> int:
        """A refusal for sending too fast: halve the rate for a while; the divisor now."""
        if self.per_second is None:
            return 1
        answer = self.redis.eval(_SLOW_DOWN, 2, *self._keys, _ms(now), SLOW_FOR_MS, MAX_SLOW)
        return int(float(answer))

    def divisor(self) -> int:
        """By how much refusals have slowed this provider right now (1: not at all)."""
        value = self.redis.get(self._keys[1])
        return int(float(value)) if value else 1
