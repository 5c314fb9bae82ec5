"""The shape of a tenant's configuration, validated with pydantic.

It is stored as one JSON document in the app's private metadata in Saleor
(:mod:`saleor_sms_app.config.store`). ``schema_version`` says which shape the
document has (a newer one than :data:`CONFIG_SCHEMA_VERSION` is refused, never
overwritten); ``revision`` goes up by one on every save so that two people
saving at once are detected instead of one silently winning.

Provider ``secrets`` hold plain values only in memory: the store encrypts them
on the way to Saleor and the dashboard API never sends them to a browser.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from saleor_sms_app.config.reminders import CheckoutReminders, StockAlerts
from saleor_sms_app.saleor.events import ORDER_STATUSES, RULE_EVENTS

#: 2 added the paid, tracking-number and refunded default rules, 3 the ready-made
#: automations (switched off; see config/defaults.py), 4 a rule's further conditions,
#: texts per language and "transactional" flag, and the shop's quiet hours, time
#: zone and marketing caps (a version-3 rule gets ``transactional`` from its delay
#: and marketing flag, see :meth:`Rule._derive_transactional`).
CONFIG_SCHEMA_VERSION = 4

_COUNTRY = re.compile(r"^[A-Z]{2}$")
#: Saleor's LanguageCodeEnum spelling: ``EN``, ``PT_BR``, ``SR_LATN_RS`` ...
_LANGUAGE = re.compile(r"^[A-Z]{2,3}(_[A-Z0-9]{2,4}){0,2}$")
_CLOCK_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DryRun(_Model):
    """Send every SMS to one test number instead of the real recipient."""

    enabled: bool = False
    number: str = ""


class QuietHours(_Model):
    """No automation, delayed or marketing text reaches a recipient between ``start``
    and ``end`` of their local time (the window may run over midnight)."""

    enabled: bool = True
    start: str = "21:00"
    end: str = Field(default="08:00", validate_default=True)

    @field_validator("start", "end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        value = value.strip()
        if not _CLOCK_TIME.match(value):
            raise ValueError("must be a time of day such as 21:00")
        return value

    @field_validator("end")
    @classmethod
    def _not_empty(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("start"):
            raise ValueError("must differ from the start (switch quiet hours off instead)")
        return value


def _known_countries(value: list[str]) -> list[str]:
    out = [c.strip().upper() for c in value]
    bad = [c for c in out if not _COUNTRY.match(c)]
    if bad:
        raise ValueError(f"not a two-letter country code: {', '.join(bad)}")
    return out


class ShopSettings(_Model):
    #: Region for customer numbers written without a country code, when the
    #: order's channel has no default country.
    default_country: str = "US"
    #: Region for staff numbers written without a country code.
    staff_country: str = "US"
    staff_numbers: list[str] = Field(default_factory=list)
    #: Key in the customer's (user's) metadata that holds a phone number.
    phone_metadata_key: str = "phone"
    #: Alert staff when a provider's balance drops below this (provider's currency).
    low_balance_threshold: float | None = None
    dry_run: DryRun = Field(default_factory=DryRun)
    #: Keep messages this many days; older ones are deleted, or their phone
    #: numbers and texts blanked (``retention_mode``), by the worker in batches.
    retention_days: int = Field(default=365, ge=1, le=3650)
    #: "blank" keeps that a message went out (and its cost) without whom to or what.
    retention_mode: Literal["delete", "blank"] = "delete"
    #: What the app answers a customer who texts HELP (empty: no answer).
    help_reply: str = Field(
        default="Reply STOP to stop texts from us, START to get them again.", max_length=640
    )
    #: Appended on a new line to every marketing text (counted in its segments).
    opt_out_line: str = Field(default="Reply STOP to opt out", max_length=160)
    #: Abandoned-checkout reminders (off until ticked).
    checkout_reminders: CheckoutReminders = Field(default_factory=CheckoutReminders)
    #: Staff texts about stock (off until ticked).
    stock_alerts: StockAlerts = Field(default_factory=StockAlerts)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    #: The shop's IANA time zone: quiet hours for numbers of countries with several zones.
    shop_time_zone: str = "UTC"
    #: At most this many marketing texts (automations, delayed and marketing rules,
    #: never transactional ones) to one number in any 24 hours / any 7 days (None: no cap).
    marketing_cap_per_day: int | None = Field(default=None, ge=1, le=100)
    marketing_cap_per_week: int | None = Field(default=None, ge=1, le=500)

    @field_validator("shop_time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        value = value.strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "must be a time zone such as Europe/Warsaw or America/New_York"
            ) from None
        return value

    @field_validator("default_country", "staff_country")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.strip().upper()
        if not _COUNTRY.match(value):
            raise ValueError("must be a two-letter country code such as PL or US")
        return value


class ProviderConfig(_Model):
    id: str = Field(default_factory=new_id)
    #: Provider type: sandbox, twilio, vonage, smsapi, plivo, mocean, infobip, generic.
    type: str
    name: str = ""
    enabled: bool = True
    #: Sender name or number shown to recipients.
    sender: str = ""
    #: Saleor channel slugs this provider serves; empty means every channel.
    channels: list[str] = Field(default_factory=list)
    #: Non-secret options (account SID, base URL, region ...).
    options: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    #: Secret options (API keys, tokens). Plain here, encrypted at rest, never sent to browsers.
    secrets: dict[str, str] = Field(default_factory=dict, repr=False)
    #: Most campaign messages a second through this provider, kept across every
    #: worker (:mod:`saleor_sms_app.campaigns.pacing`); None: as fast as it takes them.
    messages_per_second: float | None = Field(default=None, gt=0, le=10_000)


class RuleConditions(_Model):
    """What the order must be like when the rule's event happens; empty checks nothing."""

    #: Order statuses (Saleor OrderStatus) the order must be in; empty means any.
    statuses: list[str] = Field(default_factory=list)
    #: Channel slugs; empty means any.
    channels: list[str] = Field(default_factory=list)
    #: Two-letter country codes of the shipping / billing address.
    shipping_countries: list[str] = Field(default_factory=list)
    billing_countries: list[str] = Field(default_factory=list)
    #: The order's gross total, in the order's own currency, from / up to (inclusive).
    total_min: float | None = Field(default=None, ge=0)
    total_max: float | None = Field(default=None, ge=0)
    #: Shipping method names (compared ignoring case and surrounding spaces).
    shipping_methods: list[str] = Field(default_factory=list)
    #: The order's charge status (NONE = unpaid, PARTIAL, FULL, OVERCHARGED).
    charge_statuses: list[str] = Field(default_factory=list)
    #: Who placed the order: a guest (no account) or a registered customer.
    customer: Literal["any", "guest", "registered"] = "any"
    #: The customer's first order, or a repeat one (registered customers' orders
    #: are counted in Saleor; a guest's order counts as a first one).
    order_of_customer: Literal["any", "first", "repeat"] = "any"
    #: The order's metadata key must hold exactly this value.
    metadata_key: str = Field(default="", max_length=256)
    metadata_value: str = Field(default="", max_length=1024)

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        return _known_statuses(value)

    @field_validator("shipping_countries", "billing_countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        return _known_countries(value)

    @field_validator("charge_statuses")
    @classmethod
    def _charge(cls, value: list[str]) -> list[str]:
        return _known_charge_statuses(value)

    @field_validator("shipping_methods")
    @classmethod
    def _methods(cls, value: list[str]) -> list[str]:
        return [m.strip() for m in value if m.strip()]

    @field_validator("total_max")
    @classmethod
    def _range(cls, value: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("total_min")
        if value is not None and low is not None and value < low:
            raise ValueError("must not be less than the lowest total")
        return value

    @field_validator("metadata_value")
    @classmethod
    def _value_needs_key(cls, value: str, info: ValidationInfo) -> str:
        if value and not str(info.data.get("metadata_key") or "").strip():
            raise ValueError("name the metadata key the value is for")
        return value


#: Saleor's OrderChargeStatusEnum: how much of the order is paid.
CHARGE_STATUSES: tuple[str, ...] = ("NONE", "PARTIAL", "FULL", "OVERCHARGED")
#: The longest a rule may wait after its event, in minutes (90 days).
MAX_DELAY_MINUTES = 90 * 24 * 60


def _known_statuses(value: list[str]) -> list[str]:
    unknown = [s for s in value if s not in ORDER_STATUSES]
    if unknown:
        raise ValueError(f"unknown order status: {', '.join(unknown)}")
    return value


def _known_charge_statuses(value: list[str]) -> list[str]:
    unknown = [s for s in value if s not in CHARGE_STATUSES]
    if unknown:
        raise ValueError(
            f"unknown charge status: {', '.join(unknown)} (use {', '.join(CHARGE_STATUSES)})"
        )
    return value


class SendOnlyIf(_Model):
    """What a delayed rule re-checks on the order fetched fresh at send time.

    Empty lists and false flags check nothing. Instant rules check the same
    conditions on the order they were triggered by.
    """

    #: The order's status must be one of these (Saleor OrderStatus).
    statuses: list[str] = Field(default_factory=list)
    #: ... and none of these.
    statuses_not: list[str] = Field(default_factory=list)
    #: The order's charge status must be one of these (NONE = unpaid, PARTIAL, FULL ...).
    charge_statuses: list[str] = Field(default_factory=list)
    not_cancelled: bool = False
    not_fulfilled: bool = False
    not_refunded: bool = False

    @field_validator("statuses", "statuses_not")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        return _known_statuses(value)

    @field_validator("charge_statuses")
    @classmethod
    def _charge(cls, value: list[str]) -> list[str]:
        return _known_charge_statuses(value)


class Recipients(_Model):
    customer: bool = False
    staff: bool = False
    #: Extra fixed numbers, in E.164 or in the staff country's format.
    numbers: list[str] = Field(default_factory=list)


class Rule(_Model):
    id: str = Field(default_factory=new_id)
    name: str
    enabled: bool = True
    event: str
    conditions: RuleConditions = Field(default_factory=RuleConditions)
    recipients: Recipients = Field(default_factory=Recipients)
    #: Jinja syntax, rendered in a sandbox: ``Order {{ order.number }} ...``.
    template: str
    #: Minutes to wait after the event before sending (0: at once; at most 90 days).
    delay_minutes: int = 0
    #: Conditions re-checked on the order fetched fresh at send time.
    send_only_if: SendOnlyIf = Field(default_factory=SendOnlyIf)
    #: A delayed text due while the app was down is still sent this many minutes
    #: after its due time, and skipped as expired after that (None: no limit).
    send_no_later_than_minutes: int | None = None
    #: A marketing text (an offer, not news about the customer's order): it ends
    #: with the shop's opt-out line. Transactional texts do not.
    marketing: bool = False
    #: Texts per language code (Saleor's LanguageCodeEnum, e.g. ``DE`` or ``PT_BR``):
    #: the order's language picks one, else ``template`` is sent.
    templates: dict[str, str] = Field(default_factory=dict)
    #: "Send at any hour": quiet hours and the marketing caps do not hold it back.
    #: When a document leaves it out, an instant non-marketing rule is transactional.
    transactional: bool = True

    @model_validator(mode="before")
    @classmethod
    def _derive_transactional(cls, data: Any) -> Any:
        """A rule saved without the flag (format 3, or a new one from an older page) is
        transactional when it is an instant rule about the order, not an offer."""
        if isinstance(data, dict) and "transactional" not in data:
            delay = data.get("delay_minutes") or 0
            data = {**data, "transactional": not data.get("marketing") and not delay}
        return data

    @field_validator("templates")
    @classmethod
    def _languages(cls, value: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for code, text in value.items():
            key = code.strip().upper().replace("-", "_")
            if not _LANGUAGE.match(key):
                raise ValueError(f"{code!r} is not a language code such as DE or PT_BR")
            if key in out:
                raise ValueError(f"the language {key} has two texts")
            if text.strip():
                out[key] = text
        return out

    @field_validator("transactional")
    @classmethod
    def _not_an_offer(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("marketing"):
            raise ValueError("a marketing text cannot be sent at any hour (untick marketing)")
        return value

    @field_validator("event")
    @classmethod
    def _event(cls, value: str) -> str:
        if value not in RULE_EVENTS:
            raise ValueError(f"unknown event {value!r}")
        return value

    @field_validator("delay_minutes")
    @classmethod
    def _delay(cls, value: int) -> int:
        if not 0 <= value <= MAX_DELAY_MINUTES:
            raise ValueError("the wait must be from 0 minutes to 90 days")
        return value

    @field_validator("send_no_later_than_minutes")
    @classmethod
    def _window(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= MAX_DELAY_MINUTES:
            raise ValueError("must be from 1 minute to 90 days, or empty for no limit")
        return value

    @property
    def send_window(self) -> timedelta | None:
        """How long after its due time a delayed text may still go out (None: no limit)."""
        minutes = self.send_no_later_than_minutes
        return timedelta(minutes=minutes) if minutes else None


class AppConfig(_Model):
    schema_version: Annotated[int, Field(ge=1)] = CONFIG_SCHEMA_VERSION
    revision: int = 0
    settings: ShopSettings = Field(default_factory=ShopSettings)
    #: In failover order: the first enabled provider serving the channel is tried first.
    providers: list[ProviderConfig] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    kind: Literal["saleor-sms-app/config"] = "saleor-sms-app/config"

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def provider(self, provider_id: str) -> ProviderConfig | None:
        return next((p for p in self.providers if p.id == provider_id), None)
