"""Which rules fire for an event and an order, and to whom."""

from __future__ import annotations

from typing import Any

from saleor_sms_app.automations.rules import Recipient, matching_rules
from saleor_sms_app.config.model import AppConfig, Recipients, RuleConditions, ShopSettings
from saleor_sms_app.models import RecipientType
from tests.pipeline.support import rule

ORDER: dict[str, Any] = {"status": "UNFULFILLED", "channel": {"slug": "channel-pln"}}


def fired(config: AppConfig, event: str, order: dict[str, Any] = ORDER, **kw: Any) -> list[str]:
    return [m.rule.name for m in matching_rules(config, event, order, **kw)]


def test_event_status_and_channel_must_all_match() -> None:
    config = AppConfig(
        rules=[
            rule("any"),
            rule("other event", event="ORDER_CANCELLED"),
            rule("status ok", conditions=RuleConditions(statuses=["UNFULFILLED", "UNCONFIRMED"])),
            rule("status no", conditions=RuleConditions(statuses=["FULFILLED"])),
            rule("channel ok", conditions=RuleConditions(channels=["channel-pln"])),
            rule("channel no", conditions=RuleConditions(channels=["channel-usd"])),
            rule(
                "both",
                conditions=RuleConditions(statuses=["UNFULFILLED"], channels=["channel-pln"]),
            ),
        ]
    )
    assert fired(config, "ORDER_CREATED") == ["any", "status ok", "channel ok", "both"]
    assert fired(config, "ORDER_CANCELLED") == ["other event"]
    assert fired(config, "ORDER_CREATED", {"status": "FULFILLED"}) == ["any", "status no"]


def test_recipients_customer_staff_and_fixed_without_duplicates() -> None:
    config = AppConfig(
        settings=ShopSettings(staff_numbers=["+48601000001", " +48601000002 ", ""]),
        rules=[
            rule(
                "all",
                recipients=Recipients(
                    customer=True, staff=True, numbers=["+48601000002", "+48700000000"]
                ),
            )
        ],
    )
    (match,) = matching_rules(config, "ORDER_CREATED", ORDER)
    assert match.recipients == (
        Recipient(RecipientType.CUSTOMER),
        Recipient(RecipientType.STAFF, "+48601000001"),
        Recipient(RecipientType.STAFF, "+48601000002"),
        Recipient(RecipientType.FIXED, "+48700000000"),
    )
    assert [r.key for r in match.recipients] == [
        "customer",
        "staff:+48601000001",
        "staff:+48601000002",
        "fixed:+48700000000",
    ]


def test_switched_off_rules_and_missing_staff_numbers_are_marked_skipped() -> None:
    config = AppConfig(
        rules=[
            rule("off", enabled=False),
            rule("staff", recipients=Recipients(staff=True)),
            rule("nobody", recipients=Recipients()),
        ]
    )
    off, staff = matching_rules(config, "ORDER_CREATED", ORDER)
    assert [(r.type, r.skip_code) for r in off.recipients] == [
        (RecipientType.CUSTOMER, "rule_disabled")
    ]
    assert off.recipients[0].skip_reason == "The rule 'off' is switched off"
    assert [(r.type, r.skip_code) for r in staff.recipients] == [
        (RecipientType.STAFF, "no_staff_numbers")
    ]


def test_fulfillment_notify_customer_flag_only_stops_the_customer() -> None:
    config = AppConfig(
        rules=[
            rule(
                "shipped",
                event="FULFILLMENT_CREATED",
                recipients=Recipients(customer=True, numbers=["+48700000000"]),
            )
        ]
    )
    (match,) = matching_rules(config, "FULFILLMENT_CREATED", ORDER, notify_customer=False)
    assert [(r.type, r.skip_code) for r in match.recipients] == [
        (RecipientType.CUSTOMER, "customer_not_notified"),
        (RecipientType.FIXED, None),
    ]
    (match,) = matching_rules(config, "FULFILLMENT_CREATED", ORDER, notify_customer=True)
    assert all(r.skip_code is None for r in match.recipients)
    # The flag exists only on fulfillments; elsewhere it is ignored.
    created = AppConfig(rules=[rule("created")])
    (match,) = matching_rules(created, "ORDER_CREATED", ORDER, notify_customer=False)
    assert match.recipients[0].skip_code is None
