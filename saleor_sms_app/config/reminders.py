"""Settings of the abandoned-checkout reminders and the staff stock alerts.

Both are shop-wide settings (not rules): reminders follow a checkout, not an
order, and stock alerts go to the staff numbers. Both are switched off until
the merchant ticks them. Templates are checked on save by
:func:`saleor_sms_app.checkouts.texts.template_problems` (the checkout tokens
differ from an order's).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: The token a storefront URL template must hold.
CHECKOUT_TOKEN_PLACEHOLDER = "{checkout.token}"
#: At most this many reminders per checkout.
MAX_REMINDER_STEPS = 3
#: A reminder waits at least this long (a shopper still typing is not abandoning).
MIN_REMINDER_DELAY_MINUTES = 15
#: ... and at most this long (30 days).
MAX_REMINDER_DELAY_MINUTES = 30 * 24 * 60

_METADATA_KEY = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
_CHANNEL_SLUG = re.compile(r"^[A-Za-z0-9_\-]{1,255}$")

FIRST_REMINDER = (
    "{{ shop.name }}: you left {{ checkout.products }} in your cart ({{ checkout.total }}). "
    "Finish your order: {{ checkout.url }}"
)
SECOND_REMINDER = (
    "{{ shop.name }}: {{ customer.first_name }}, your cart is still waiting for you "
    "({{ checkout.total }}): {{ checkout.url }}"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ReminderStep(_Model):
    """One reminder: how long after the checkout's last change, and what it says."""

    delay_minutes: int
    template: str = Field(max_length=1600)

    @field_validator("delay_minutes")
    @classmethod
    def _delay(cls, value: int) -> int:
        if not MIN_REMINDER_DELAY_MINUTES <= value <= MAX_REMINDER_DELAY_MINUTES:
            raise ValueError(
                f"the wait must be from {MIN_REMINDER_DELAY_MINUTES} minutes to 30 days"
            )
        return value

    @field_validator("template")
    @classmethod
    def _template(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the reminder needs a text")
        return value


def _default_steps() -> list[ReminderStep]:
    return [
        ReminderStep(delay_minutes=60, template=FIRST_REMINDER),
        ReminderStep(delay_minutes=24 * 60, template=SECOND_REMINDER),
    ]


class CheckoutReminders(_Model):
    """Abandoned-checkout reminders: marketing texts, sent only with the owner's consent."""

    enabled: bool = False
    #: Metadata key on the checkout or its customer whose value (true/yes/1 or a
    #: date) is the owner's consent to marketing texts; one key for all marketing.
    consent_metadata_key: str = "sms_marketing_consent"
    #: Channel slug → storefront URL template holding ``{checkout.token}``.
    storefront_urls: dict[str, str] = Field(default_factory=dict)
    steps: list[ReminderStep] = Field(default_factory=_default_steps)

    @field_validator("consent_metadata_key")
    @classmethod
    def _key(cls, value: str) -> str:
        value = value.strip()
        if not _METADATA_KEY.match(value):
            raise ValueError("must be 1-64 letters, digits or _ . : -")
        return value

    @field_validator("storefront_urls")
    @classmethod
    def _urls(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned: dict[str, str] = {}
        for slug, url in value.items():
            if not _CHANNEL_SLUG.match(slug):
                raise ValueError(f"{slug!r} is not a channel slug")
            url = url.strip()
            if not url.startswith(("https://", "http://")) or len(url) > 500:
                raise ValueError(f"the URL of {slug} must start with https:// (at most 500 chars)")
            if CHECKOUT_TOKEN_PLACEHOLDER not in url:
                raise ValueError(f"the URL of {slug} must hold {CHECKOUT_TOKEN_PLACEHOLDER}")
            cleaned[slug] = url
        return cleaned

    @field_validator("steps")
    @classmethod
    def _steps(cls, value: list[ReminderStep]) -> list[ReminderStep]:
        if not 1 <= len(value) <= MAX_REMINDER_STEPS:
            raise ValueError(f"from 1 to {MAX_REMINDER_STEPS} reminders")
        delays = [s.delay_minutes for s in value]
        if delays != sorted(set(delays)):
            raise ValueError("each reminder must wait longer than the one before")
        return value

    def storefront_url(self, channel_slug: str, token: str) -> str:
        """The resume link of a checkout, or "" when its channel has no storefront URL."""
        template = self.storefront_urls.get(channel_slug, "")
        return template.replace(CHECKOUT_TOKEN_PLACEHOLDER, token) if template else ""


class StockAlerts(_Model):
    """Texts to the staff numbers about stock, gathered 10 minutes into one SMS."""

    out_of_stock: bool = False
    back_in_stock: bool = False
    #: Alert once when a variant's stock in a warehouse drops below this (None: off).
    low_stock_threshold: int | None = None

    @field_validator("low_stock_threshold")
    @classmethod
    def _threshold(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 1_000_000:
            raise ValueError("must be from 1 to 1,000,000, or empty for off")
        return value
