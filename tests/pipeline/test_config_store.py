"""The configuration in Saleor's private metadata, against the loopback Saleor."""

from __future__ import annotations

import json
from typing import Any

import pytest

from saleor_sms_app.config import store as store_module
from saleor_sms_app.config.defaults import SANDBOX_PROVIDER_ID, default_config
from saleor_sms_app.config.model import DryRun, ProviderConfig, Recipients, Rule, ShopSettings
from saleor_sms_app.config.store import (
    CONFIG_KEY,
    ConfigStore,
    UnreadableConfiguration,
    cache_key,
    redacted,
)
from saleor_sms_app.crypto import SecretBox
from saleor_sms_app.errors import Conflict, InvalidConfiguration, NewerConfiguration
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.pipeline.conftest import configure
from tests.standin.saleor import SaleorStandin

SECRET = "twilio-auth-token-s3cret"


def twilio_like(**kw: object) -> ProviderConfig:
    return ProviderConfig(
        id="p1", type="sandbox", name="Main", secrets={"auth_token": SECRET}, **kw
    )


def test_a_new_install_gets_the_standard_templates_without_writing(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin
) -> None:
    config = store.load(tenant)
    assert config.revision == 0
    assert [(r.name, r.event, r.enabled) for r in config.rules] == [
        ("Customer: order confirmation", "ORDER_CREATED", True),
        ("Customer: order paid", "ORDER_FULLY_PAID", True),
        ("Customer: order shipped", "FULFILLMENT_CREATED", True),
        ("Customer: tracking number", "FULFILLMENT_TRACKING_NUMBER_UPDATED", True),
        ("Customer: order cancelled", "ORDER_CANCELLED", True),
        ("Customer: order refunded", "ORDER_REFUNDED", True),
        ("Staff: new order", "ORDER_CREATED", True),
        ("Automation: remind to pay", "ORDER_CREATED", False),
        ("Automation: review request", "FULFILLMENT_CREATED", False),
        ("Automation: come-back promo (type your code into the text)", "ORDER_FULFILLED", False),
        ("Customer: payment received (partly paid)", "ORDER_PAID", False),
        ("Customer: order expired", "ORDER_EXPIRED", False),
        ("Customer: shipment cancelled", "FULFILLMENT_CANCELED", False),
        ("Customer: shipment approved", "FULFILLMENT_APPROVED", False),
    ]
    # The ready-made automations come switched off: the merchant ticks the ones wanted.
    assert [r.enabled for r in config.rules if r.delay_minutes] == [False, False, False]
    assert [(p.id, p.type) for p in config.providers] == [(SANDBOX_PROVIDER_ID, "sandbox")]
    assert CONFIG_KEY not in saleor.app_private_metadata
    assert saleor.count(operation="UpdateAppSmsConfig") == 0


def test_round_trip_keeps_secrets_encrypted_in_saleor_and_redis(
    services: Services, store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin
) -> None:
    saved = configure(store, tenant, providers=[twilio_like()])
    assert saved.revision == 1

    blob = saleor.app_private_metadata[CONFIG_KEY]
    assert SECRET not in blob
    stored_secret = json.loads(blob)["providers"][0]["secrets"]["auth_token"]
    assert SecretBox.is_encrypted(stored_secret)
    assert services.secret_box.decrypt(stored_secret) == SECRET

    loaded = store.load(tenant)
    assert loaded == saved
    assert loaded.providers[0].secrets == {"auth_token": SECRET}
    cached = services.redis.get(cache_key(tenant.id))
    assert cached is not None and SECRET.encode() not in cached
    assert SECRET not in repr(loaded) and SECRET not in redacted(loaded).model_dump_json()


def test_blank_secrets_keep_the_stored_ones_only_for_the_same_provider(
    store: ConfigStore, tenant: TenantRecord
) -> None:
    configure(store, tenant, providers=[twilio_like()])
    from_browser = redacted(store.load(tenant))
    assert from_browser.providers[0].secrets == {"auth_token": ""}
    kept = store.save(
        tenant,
        from_browser.model_copy(
            update={"providers": [from_browser.providers[0].model_copy(update={"name": "X"})]}
        ),
        expected_revision=1,
    )
    assert kept.providers[0].secrets == {"auth_token": SECRET}
    assert store.load(tenant, fresh=True).providers[0].name == "X"

    changed_type = ProviderConfig(id="p1", type="scripted-other", secrets={})
    with pytest.raises(InvalidConfiguration):  # unknown type, and no secret carried over
        store.save(
            tenant, kept.model_copy(update={"providers": [changed_type]}), expected_revision=2
        )
    assert (
        store_module.merge_secrets(kept.model_copy(update={"providers": [changed_type]}), kept)
        .providers[0]
        .secrets
        == {}
    )


def test_conflicting_saves_are_refused_and_nothing_is_lost(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin
) -> None:
    base = store.load(tenant)
    first = store.save(
        tenant, base.model_copy(update={"providers": [twilio_like()]}), expected_revision=0
    )
    blob = saleor.app_private_metadata[CONFIG_KEY]
    with pytest.raises(Conflict) as info:
        store.save(tenant, base, expected_revision=0)
    assert info.value.details == {"current_revision": 1}
    assert saleor.app_private_metadata[CONFIG_KEY] == blob
    assert store.load(tenant, fresh=True) == first


def test_a_newer_document_is_refused_and_never_overwritten(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin
) -> None:
    newer = json.dumps({"schema_version": 99, "revision": 7, "future": {"x": 1}})
    saleor.app_private_metadata[CONFIG_KEY] = newer
    with pytest.raises(NewerConfiguration) as info:
        store.load(tenant)
    assert "newer version" in info.value.message
    with pytest.raises(NewerConfiguration):
        store.save(tenant, default_config(), expected_revision=7)
    assert saleor.app_private_metadata[CONFIG_KEY] == newer


@pytest.mark.parametrize(
    ("blob", "code"),
    [
        ("{not json", "configuration_unreadable"),
        ('["a list"]', "configuration_unreadable"),
        ('{"schema_version": 1, "rules": [{"name": "no event"}]}', "configuration_unreadable"),
        (
            '{"schema_version": 1, "providers": [{"id": "p", "type": "sandbox", '
            '"secrets": {"k": "v1:gAAAAABnot-a-token"}}]}',
            "configuration_secret_undecryptable",
        ),
        (
            '{"schema_version": 1, "providers": [{"id": "p", "type": "sandbox", '
            '"secrets": {"k": "plain text secret"}}]}',
            "configuration_secret_undecryptable",
        ),
    ],
)
def test_an_unreadable_document_is_a_clear_error_and_stays(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin, blob: str, code: str
) -> None:
    saleor.app_private_metadata[CONFIG_KEY] = blob
    with pytest.raises(UnreadableConfiguration) as info:
        store.load(tenant)
    assert info.value.code == code
    with pytest.raises(UnreadableConfiguration):
        store.save(tenant, default_config(), expected_revision=0)
    assert saleor.app_private_metadata[CONFIG_KEY] == blob


def test_an_older_document_is_migrated_on_read(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(store, tenant, providers=[twilio_like()])

    current = store_module.CURRENT_SCHEMA_VERSION
    newer = current + 1

    def rename_rules(doc: dict[str, object]) -> dict[str, object]:
        for rule in doc["rules"]:  # type: ignore[attr-defined]
            rule["name"] = "vNext " + rule["name"]
        doc["schema_version"] = newer
        return doc

    monkeypatch.setattr(store_module, "CURRENT_SCHEMA_VERSION", newer)
    monkeypatch.setitem(store_module.MIGRATIONS, current, rename_rules)
    config = store.load(tenant, fresh=True)
    assert config.schema_version == newer
    assert config.rules[0].name == "vNext Customer: order confirmation"
    assert config.providers[0].secrets == {"auth_token": SECRET}
    # Saving writes the new format.
    store.save(tenant, config, expected_revision=1)
    assert json.loads(saleor.app_private_metadata[CONFIG_KEY])["schema_version"] == newer


#: A configuration as the app saved it before the paid, tracking and refund rules
#: existed (format 1): the four standard rules, one edited, and the merchant's
#: own refund rule.
FORMAT_1_RULES = [
    {
        "id": "customer-order-confirmation",
        "name": "Customer: order confirmation",
        "enabled": True,
        "event": "ORDER_CREATED",
        "conditions": {"statuses": [], "channels": []},
        "recipients": {"customer": True, "staff": False, "numbers": []},
        "template": "Thanks for order {{ order.number }}",
    },
    {
        "id": "customer-order-shipped",
        "name": "Customer: order shipped",
        "enabled": True,
        "event": "FULFILLMENT_CREATED",
        "conditions": {"statuses": [], "channels": []},
        "recipients": {"customer": True, "staff": False, "numbers": []},
        "template": "Shipped {{ order.number }} {{ order.tracking_number }}",
    },
    {
        "id": "a1b2c3d4e5f6",
        "name": "Refund (mine)",
        "enabled": True,
        "event": "ORDER_FULLY_REFUNDED",
        "conditions": {"statuses": [], "channels": []},
        "recipients": {"customer": True, "staff": False, "numbers": []},
        "template": "Refunded {{ order.number }}",
    },
]


def test_a_saved_format_1_configuration_keeps_its_rules_and_gets_the_new_ones_switched_off(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin
) -> None:
    document = {"schema_version": 1, "revision": 4, "providers": [], "rules": FORMAT_1_RULES}
    saleor.app_private_metadata[CONFIG_KEY] = json.dumps(document)

    config = store.load(tenant, fresh=True)
    assert config.schema_version == 4 and config.revision == 4
    kept = [r.model_dump(mode="json") for r in config.rules[:3]]
    # Every field the merchant saved is kept; fields added since take their defaults.
    assert [kept_part(rule, saved) for rule, saved in zip(kept, FORMAT_1_RULES, strict=True)] == (
        FORMAT_1_RULES
    )
    assert all(rule["marketing"] is False for rule in kept)
    added = [(r.id, r.event, r.enabled) for r in config.rules[3:]]
    assert added == [
        ("customer-order-paid", "ORDER_FULLY_PAID", False),
        ("customer-tracking-number", "FULFILLMENT_TRACKING_NUMBER_UPDATED", False),
        ("customer-order-refunded", "ORDER_REFUNDED", False),
        *READY_MADE_SWITCHED_OFF,
    ]
    # Read again before any save: the same rules with the same ids.
    assert store.load(tenant, fresh=True) == config
    # Nothing is written until the merchant saves; then the new format is stored.
    assert json.loads(saleor.app_private_metadata[CONFIG_KEY]) == document
    store.save(tenant, config, expected_revision=4)
    assert json.loads(saleor.app_private_metadata[CONFIG_KEY])["schema_version"] == 4


def kept_part(dumped: Any, saved: Any) -> Any:
    """The part of ``dumped`` that ``saved`` had (fields added since left out, at any depth)."""
    if isinstance(saved, dict) and isinstance(dumped, dict):
        return {k: kept_part(dumped.get(k), v) for k, v in saved.items()}
    return dumped


#: The ready-made automations as a saved configuration of format 1 or 2 gets them.
READY_MADE_SWITCHED_OFF = [
    ("automation-remind-to-pay", "ORDER_CREATED", False),
    ("automation-review-request", "FULFILLMENT_CREATED", False),
    ("automation-come-back-promo", "ORDER_FULFILLED", False),
]


def test_a_saved_format_2_configuration_gets_the_automations_switched_off_once(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin
) -> None:
    # The merchant already has one of them (ticked, text edited): kept as is.
    mine = {**FORMAT_1_RULES[0], "id": "automation-review-request", "template": "Review?"}
    document = {"schema_version": 2, "revision": 2, "rules": [*FORMAT_1_RULES, mine]}
    saleor.app_private_metadata[CONFIG_KEY] = json.dumps(document)

    config = store.load(tenant, fresh=True)
    assert config.schema_version == 4
    assert [(r.id, r.event, r.enabled) for r in config.rules[3:]] == [
        ("automation-review-request", "ORDER_CREATED", True),
        READY_MADE_SWITCHED_OFF[0],
        READY_MADE_SWITCHED_OFF[2],
    ]
    assert config.rules[3].template == "Review?"
    assert all(r.delay_minutes > 0 for r in config.rules[4:])


def test_a_saved_format_3_configuration_gets_transactional_flags_and_new_settings(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin
) -> None:
    """Format 3 → 4: instant order rules send at any hour; delayed and marketing rules
    wait for quiet hours and count towards the caps; the new settings take their
    defaults and nothing the merchant saved changes."""
    instant = {**FORMAT_1_RULES[0], "id": "instant"}
    delayed = {**FORMAT_1_RULES[0], "id": "later", "delay_minutes": 120}
    offer = {**FORMAT_1_RULES[0], "id": "offer", "marketing": True}
    settings = {"default_country": "PL", "opt_out_line": "STOP = no more"}
    document = {
        "schema_version": 3,
        "revision": 9,
        "settings": settings,
        "rules": [instant, delayed, offer],
    }
    saleor.app_private_metadata[CONFIG_KEY] = json.dumps(document)

    config = store.load(tenant, fresh=True)
    assert (config.schema_version, config.revision) == (4, 9)
    assert [(r.id, r.transactional) for r in config.rules] == [
        ("instant", True),
        ("later", False),
        ("offer", False),
    ]
    for rule, saved in zip(config.rules, [instant, delayed, offer], strict=True):
        dumped = rule.model_dump(mode="json")
        assert kept_part(dumped, saved) == saved
        assert dumped["templates"] == {} and dumped["conditions"]["customer"] == "any"
    assert (config.settings.default_country, config.settings.opt_out_line) == (
        "PL",
        "STOP = no more",
    )
    quiet = config.settings.quiet_hours
    assert (quiet.enabled, quiet.start, quiet.end) == (True, "21:00", "08:00")
    assert config.settings.shop_time_zone == "UTC"
    assert (config.settings.marketing_cap_per_day, config.settings.marketing_cap_per_week) == (
        None,
        None,
    )
    # Stored in the new format only when the merchant saves, with the flags written out.
    assert json.loads(saleor.app_private_metadata[CONFIG_KEY]) == document
    store.save(tenant, config, expected_revision=9)
    stored = json.loads(saleor.app_private_metadata[CONFIG_KEY])
    assert stored["schema_version"] == 4
    assert [r["transactional"] for r in stored["rules"]] == [True, False, False]


def test_the_migration_adds_no_rule_for_an_event_the_merchant_already_texts_on(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin
) -> None:
    mine = {**FORMAT_1_RULES[2], "id": "zz", "event": "ORDER_REFUNDED"}
    document = {"schema_version": 1, "revision": 1, "rules": [mine]}
    saleor.app_private_metadata[CONFIG_KEY] = json.dumps(document)
    config = store.load(tenant, fresh=True)
    assert [r.event for r in config.rules] == [
        "ORDER_REFUNDED",
        "ORDER_FULLY_PAID",
        "FULFILLMENT_TRACKING_NUMBER_UPDATED",
        *(event for _, event, _ in READY_MADE_SWITCHED_OFF),
    ]


def test_the_cache_saves_saleor_calls_and_a_save_invalidates_it(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin
) -> None:
    store.load(tenant)
    store.load(tenant)
    assert saleor.count(operation="AppSmsConfig") == 1  # "nothing stored" is cached too

    configure(store, tenant, providers=[twilio_like()])
    calls = saleor.count(operation="AppSmsConfig")
    assert store.load(tenant).providers[0].id == "p1"
    assert saleor.count(operation="AppSmsConfig") == calls + 1  # the save dropped the cache

    # A change made elsewhere shows after the TTL, or at once when asked for fresh.
    doc = json.loads(saleor.app_private_metadata[CONFIG_KEY])
    doc["providers"][0]["name"] = "Edited elsewhere"
    saleor.app_private_metadata[CONFIG_KEY] = json.dumps(doc)
    assert store.load(tenant).providers[0].name == "Main"
    assert store.load(tenant, fresh=True).providers[0].name == "Edited elsewhere"


def test_templates_and_provider_fields_are_checked_before_saving(
    store: ConfigStore, tenant: TenantRecord, saleor: SaleorStandin
) -> None:
    bad = Rule(
        name="typo",
        event="ORDER_CREATED",
        recipients=Recipients(customer=True),
        template="Order {{ order.numbr }}",
    )
    bad.recipients.numbers = ["+48 601 234 567", "601"]
    with pytest.raises(InvalidConfiguration) as info:
        configure(
            store,
            tenant,
            rules=[bad],
            settings=ShopSettings(
                staff_numbers=["+12025550123", "nope"],
                dry_run=DryRun(enabled=True, number=""),
            ),
        )
    assert info.value.details == {
        "rules.0.template": "line 1: unknown token {{ order.numbr }}",
        "rules.0.recipients.numbers.1": "the phone number is not a valid number for US: '601'",
        "settings.staff_numbers.1": "this is not a phone number: 'nope'",
        "settings.dry_run.number": "the phone number is empty: ''",
    }
    assert CONFIG_KEY not in saleor.app_private_metadata
