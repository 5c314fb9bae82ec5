"""Where the scheduler gets the time: the system clock, or one a test moves.

Every decision about due, expired and retry-later goes through a
:class:`Clock`, never ``datetime.now`` directly, so the tests move time by hand
(also backwards) instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move (tests, benchmarks)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move by ``delta`` (negative moves it back, as a wrongly set server clock does)."""
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


SYSTEM_CLOCK = SystemClock()


def as_utc(value: datetime) -> datetime:
    """A datetime read back from the database as aware UTC (SQLite drops the zone)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
