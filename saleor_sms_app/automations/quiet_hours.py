"""Quiet hours: when a text that is not transactional may reach a recipient.

The shop sets one window (default 21:00-08:00) that holds in each recipient's
own local time. The time zone comes from the phone number's region through
``phonenumbers.timezone`` (the full ``phonenumbers`` package carries that
data; ``phonenumberslite`` does not): a number whose prefix maps to exactly
one zone uses it (``+48`` → Europe/Warsaw, ``+1 202`` → America/New_York),
and a number of a country with several zones and no finer prefix (a Russian
or Australian mobile) falls back to the shop's time zone from Settings.

Transactional rules ("send at any hour") are never held back. Automations,
delayed and marketing rules whose recipient is inside the window wait for
its end on the durable scheduler (see :mod:`saleor_sms_app.automations.delayed`
and :mod:`saleor_sms_app.messages.composing`), and so do abandoned-checkout
reminders (:mod:`saleor_sms_app.checkouts.reminders`).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_time_zones

from saleor_sms_app.config.model import QuietHours, ShopSettings
from saleor_sms_app.recipients.phones import parsed_number
from saleor_sms_app.scheduler.clock import as_utc
from saleor_sms_app.scheduler.tables import ScheduledRun

#: The reason code of a scheduled run waiting for its recipient's quiet hours to end.
QUIET_HOURS = "quiet_hours"

#: What ``phonenumbers.timezone`` answers for a number it cannot place.
_UNKNOWN_ZONE = "Etc/Unknown"


@lru_cache(maxsize=4096)
def _zone_name_of_number(phone: str) -> str | None:
    """The one IANA zone of an E.164 number, or None (unknown, or several zones)."""
    try:
        parsed = parsed_number(phone)
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in phone_time_zones.time_zones_for_number(parsed) if z != _UNKNOWN_ZONE]
    return zones[0] if len(zones) == 1 else None


def recipient_zone(phone: str, shop_time_zone: str) -> ZoneInfo:
    """The recipient's time zone: from the number's region, else the shop's."""
    return ZoneInfo(_zone_name_of_number(phone) or shop_time_zone)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _window_end(window: QuietHours, local: datetime) -> datetime | None:
    """The local end of the window ``local`` is in, or None when it is outside."""
    start, end = _clock(window.start), _clock(window.end)
    now = local.time().replace(second=0, microsecond=0)
    today_end = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if start < end:  # the same day, e.g. 13:00-15:00
        return today_end if start <= now < end else None
    if now >= start:  # over midnight, evening part: ends tomorrow
        return today_end + timedelta(days=1)
    if now < end:  # over midnight, morning part: ends today
        return today_end
    return None


def quiet_until(phone: str, settings: ShopSettings, now: datetime) -> datetime | None:
    """When the quiet hours of ``phone``'s recipient end (UTC), or None if they may be texted now.

    The end is computed on the local wall clock, so a window over a daylight
    saving change still ends at the local time the shop set.
    """
    window = settings.quiet_hours
    if not window.enabled or not phone:
        return None
    zone = recipient_zone(phone, settings.shop_time_zone)
    local = now.astimezone(zone)
    end = _window_end(window, local)
    if end is None:
        return None
    # Re-attach the zone on the wall-clock end (a day added across a DST change
    # keeps the local hour), then back to UTC for the scheduler.
    return end.replace(tzinfo=zone).astimezone(UTC)


def past_send_window(run: ScheduledRun, window: timedelta | None, now: datetime) -> bool:
    """Whether a due run is past its "send no later than" ``window``.

    The window counts from when the run was first due (``send_before``), so a
    run found late because the app was down expires. A run moved on by quiet
    hours counts it from the end of the quiet hours (its new due time) instead:
    that wait was the shop's choice, not the app being down.
    """
    if run.send_before is None:
        return False
    if run.reason_code == QUIET_HOURS and window:
        return now > as_utc(run.due_at) + window
    return now > as_utc(run.send_before)
