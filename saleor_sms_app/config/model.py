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
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from saleor_sms_app.config.reminders import CheckoutReminders, StockAlerts
from saleor_sms_app.events import ORDER_STATUSES, RULE_EVENTS

#: 2 added the paid, tracking-number and refunded default rules, 3 the ready-made
#: automations (switched off; see config/defaults.py).
CONFIG_SCHEMA_VERSION = 3

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DryRun(_Model):
    """Send every SMS to one test number instead of the real recipient."""

    enabled: bool = False
    number: str = ""


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


class RuleConditions(_Model):
    #: Order statuses (Saleor OrderStatus) the order must be in; empty means any.
    statuses: list[str] = Field(default_factory=list)
    #: Channel slugs; empty means any.
    channels: list[str] = Field(default_factory=list)

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        return _known_statuses(value)


#: Saleor's OrderChargeStatusEnum: how much of the order is paid.
CHARGE_STATUSES: tuple[str, ...] = ("NONE", "PARTIAL", "FULL", "OVERCHARGED")
#: The longest a rule may wait after its event, in minutes (90 days).
MAX_DELAY_MINUTES = 90 * 24 * 60


def _known_statuses(value: list[str]) -> list[str]:
    unknown = [s for s in value if s not in ORDER_STATUSES]
    if unknown:
        raise ValueError(f"unknown order status: {', '.join(unknown)}")
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
        unknown = [s for s in value if s not in CHARGE_STATUSES]
        if unknown:
            raise ValueError(
                f"unknown charge status: {', '.join(unknown)} (use {', '.join(CHARGE_STATUSES)})"
            )
        return value


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
