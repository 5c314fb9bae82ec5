"""Which of the merchant's rules fire for an event, and to whom.

A rule fires when it is enabled, is for this event, and the order matches its
conditions (status in the rule's set and channel in the rule's set; an empty
set means any) and its "send only if" conditions
(:mod:`saleor_sms_app.automations.conditions`; a delayed rule checks them again
when it sends). Saleor's "notify customer" tick box on a fulfillment is
honoured: when staff untick it, no customer rule for FULFILLMENT_CREATED sends,
while staff and fixed-number recipients of the same rule still do (they are
the shop's own people, not the customer Saleor was told not to bother).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from saleor_sms_app.automations.conditions import failing_rule_condition
from saleor_sms_app.config.model import AppConfig, Rule
from saleor_sms_app.models import RecipientType

FULFILLMENT_CREATED = "FULFILLMENT_CREATED"


@dataclass(frozen=True)
class Recipient:
    """Who one message of a rule goes to, and why it must not be sent, if so.

    ``number`` is the number as configured (staff and fixed recipients) or empty
    for the customer, whose number is looked up on the order. ``skip_code`` and
    ``skip_reason`` are set when the message is to be logged ``skipped`` rather
    than sent, so the merchant sees why nothing went out.
    """

    type: RecipientType
    number: str = ""
    skip_code: str | None = None
    skip_reason: str | None = None

    @property
    def key(self) -> str:
        """Stable identity within a rule, part of the message's de-duplication key."""
        return f"{self.type.value}:{self.number}" if self.number else self.type.value


@dataclass(frozen=True)
class Match:
    rule: Rule
    recipients: tuple[Recipient, ...]


def is_marketing(rule: Rule) -> bool:
    """Whether the rule's texts are marketing: held by quiet hours, counted and capped.

    Every rule that is not transactional ("send at any hour") is: automations,
    delayed and marketing rules unless the merchant ticked transactional.
    """
    return not rule.transactional


def template_for(rule: Rule, language: object) -> tuple[str, str | None]:
    """The rule's text for an order's ``languageCodeEnum`` and the language it is in.

    The exact code first (``PT_BR``), then its language alone (``PT``), else the
    rule's default text (language None).
    """
    code = str(language or "").upper()
    for key in (code, code.split("_")[0]):
        if key and key in rule.templates:
            return rule.templates[key], key
    return rule.template, None


def conditions_met(rule: Rule, event: str, order: Mapping[str, Any]) -> bool:
    """Whether ``rule`` is for this event and the order meets its conditions (on or off)."""
    return rule.event == event and failing_rule_condition(rule, order) is None


def recipients(rule: Rule, config: AppConfig, *, notify_customer: bool = True) -> list[Recipient]:
    """The rule's recipients in a fixed order: customer, staff numbers, fixed numbers.

    A number listed twice (as staff and as fixed, say) gets one message. A
    switched-off rule, a customer Saleor said not to notify, and a staff rule
    with no staff numbers yet give recipients marked to be skipped.
    """
    out: list[Recipient] = []
    if rule.recipients.customer:
        if notify_customer:
            out.append(Recipient(RecipientType.CUSTOMER))
        else:
            out.append(
                Recipient(
                    RecipientType.CUSTOMER,
                    skip_code="customer_not_notified",
                    skip_reason="Notify customer was unticked for this shipment in Saleor",
                )
            )
    staff_numbers = config.settings.staff_numbers if rule.recipients.staff else []
    if rule.recipients.staff and not any(n.strip() for n in staff_numbers):
        out.append(
            Recipient(
                RecipientType.STAFF,
                skip_code="no_staff_numbers",
                skip_reason="No staff numbers are set in the app's settings",
            )
        )
    seen: set[str] = set()
    for kind, numbers in (
        (RecipientType.STAFF, staff_numbers),
        (RecipientType.FIXED, rule.recipients.numbers),
    ):
        for raw in numbers:
            number = raw.strip()
            if number and number not in seen:
                seen.add(number)
                out.append(Recipient(kind, number))
    if not rule.enabled:
        out = [
            Recipient(r.type, r.number, "rule_disabled", f"The rule {rule.name!r} is switched off")
            for r in out
        ]
    return out


def customer_allowed(event: str, notify_customer: bool | None) -> bool:
    """False when staff unticked "notify customer" on a shipment (created or approved)."""
    return not (event in (FULFILLMENT_CREATED, "FULFILLMENT_APPROVED") and notify_customer is False)


def matching_rules(
    config: AppConfig,
    event: str,
    order: Mapping[str, Any],
    *,
    notify_customer: bool | None = None,
) -> list[Match]:
    """Every rule for this event whose conditions the order meets, with its recipients.

    Switched-off rules are included with every recipient marked skipped, so the
    log answers "why did no SMS go out?" (switched-off delayed rules are not:
    those are automations the merchant has not chosen). ``notify_customer`` is the webhook's
    ``notifyCustomer`` flag; it only counts for FULFILLMENT_CREATED, the one
    event where Saleor asks the question.
    """
    allow_customer = customer_allowed(event, notify_customer)
    matches: list[Match] = []
    for rule in config.rules:
        if not rule.enabled and rule.delay_minutes:
            # A switched-off automation (the ready-made ones are installed off)
            # would otherwise put a "switched off" row in the log for every order.
            continue
        if not conditions_met(rule, event, order):
            continue
        people = recipients(rule, config, notify_customer=allow_customer)
        if people:
            matches.append(Match(rule, tuple(people)))
    return matches
