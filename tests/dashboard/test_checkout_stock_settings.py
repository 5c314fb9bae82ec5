"""Settings of the abandoned-checkout reminders and the stock alerts through the dashboard API:
every field checked on save, a bad one named in the answer and nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.dashboard.conftest import Headers
from tests.dashboard.test_config_api import assert_refused_naming, load, save
from tests.standin.saleor import SaleorStandin

URL = "https://shop.example.com/checkout?token={checkout.token}"


def reminders(c: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = c["settings"]["checkout_reminders"]
    return found


def test_a_new_install_has_them_switched_off_with_two_steps(
    client: FlaskClient, auth: Headers
) -> None:
    settings = load(client, auth)["settings"]
    assert settings["checkout_reminders"]["enabled"] is False
    assert settings["checkout_reminders"]["consent_metadata_key"] == "sms_marketing_consent"
    assert [s["delay_minutes"] for s in settings["checkout_reminders"]["steps"]] == [60, 1440]
    assert settings["stock_alerts"] == {
        "out_of_stock": False,
        "back_in_stock": False,
        "low_stock_threshold": None,
    }


def test_valid_settings_are_saved_and_read_back(client: FlaskClient, auth: Headers) -> None:
    config = load(client, auth)
    reminders(config).update(
        enabled=True,
        consent_metadata_key="sms_ok",
        storefront_urls={"default-channel": URL},
        steps=[
            {"delay_minutes": 30, "template": "{{ checkout.url }}"},
            {"delay_minutes": 120, "template": "Hi {{ customer.first_name }}"},
            {"delay_minutes": 2880, "template": "{{ checkout.total }}"},
        ],
    )
    config["settings"]["stock_alerts"] = {
        "out_of_stock": True,
        "back_in_stock": True,
        "low_stock_threshold": 3,
    }
    assert save(client, auth, config).status_code == 200
    again = load(client, auth)["settings"]
    assert again["checkout_reminders"]["storefront_urls"] == {"default-channel": URL}
    assert len(again["checkout_reminders"]["steps"]) == 3
    assert again["stock_alerts"]["low_stock_threshold"] == 3


def _step(c: dict[str, Any], **fields: Any) -> None:
    reminders(c)["steps"][0].update(fields)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: reminders(c).update(consent_metadata_key=""), "consent_metadata_key"),
        (lambda c: reminders(c).update(consent_metadata_key="a b"), "consent_metadata_key"),
        (
            lambda c: reminders(c).update(storefront_urls={"default-channel": "https://x.y/"}),
            "storefront_urls",
        ),
        (
            lambda c: reminders(c).update(storefront_urls={"default-channel": "javascript:1"}),
            "storefront_urls",
        ),
        (lambda c: reminders(c).update(storefront_urls={"bad slug": URL}), "storefront_urls"),
        (lambda c: reminders(c).update(steps=[]), "steps"),
        (lambda c: reminders(c).update(steps=reminders(c)["steps"] * 2), "steps"),
        (lambda c: reminders(c)["steps"].reverse(), "steps"),
        (lambda c: _step(c, delay_minutes=5), "steps.0.delay_minutes"),
        (lambda c: _step(c, delay_minutes=31 * 24 * 60), "steps.0.delay_minutes"),
        (lambda c: _step(c, template=" "), "steps.0.template"),
        (lambda c: _step(c, template="{{ order.number }}"), "steps.0.template"),
        (lambda c: _step(c, template="{{ checkout.url "), "steps.0.template"),
        (
            lambda c: c["settings"]["stock_alerts"].update(low_stock_threshold=0),
            "stock_alerts.low_stock_threshold",
        ),
        (
            lambda c: c["settings"]["stock_alerts"].update(low_stock_threshold="few"),
            "stock_alerts.low_stock_threshold",
        ),
        (lambda c: c["settings"]["stock_alerts"].update(sms_all=True), "stock_alerts.sms_all"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_stored(
    client: FlaskClient,
    auth: Headers,
    saleor: SaleorStandin,
    change: Callable[[dict[str, Any]], None],
    field: str,
) -> None:
    section = "" if field.startswith("stock_alerts") else "checkout_reminders."
    assert_refused_naming(client, auth, saleor, change, f"settings.{section}{field}")
