"""Configuration through the dashboard: no secrets out, revision-checked saves, field errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from saleor_sms_app.config.store import CONFIG_KEY
from tests.dashboard.conftest import Headers
from tests.standin.saleor import SaleorStandin


def load(client: FlaskClient, auth: Headers) -> dict[str, Any]:
    response = client.get("/api/dashboard/config", headers=auth())
    assert response.status_code == 200, response.get_json()
    config: dict[str, Any] = response.get_json()["config"]
    return config


def save(
    client: FlaskClient, auth: Headers, config: dict[str, Any], revision: int | None = None
) -> Any:
    return client.put(
        "/api/dashboard/config",
        headers=auth(),
        json={"config": config, "revision": config["revision"] if revision is None else revision},
    )


def assert_refused_naming(
    client: FlaskClient,
    auth: Headers,
    saleor: SaleorStandin,
    change: Callable[[dict[str, Any]], None],
    field: str,
) -> None:
    """Saving the configuration with ``change`` made is a 422 whose details name
    ``field``, and the stored configuration (a saved edit before it) is untouched."""
    config = load(client, auth)
    config["rules"][0]["name"] = "kept"
    assert save(client, auth, config).status_code == 200
    before = saleor.app_private_metadata[CONFIG_KEY]
    config = load(client, auth)
    change(config)
    response = save(client, auth, config)
    assert response.status_code == 422, response.get_json()
    details = response.get_json()["error"]["details"]
    assert field in details, details
    assert saleor.app_private_metadata[CONFIG_KEY] == before


def twilio_like(secret: str = "") -> dict[str, Any]:
    # The sandbox is the only registered type on this branch; secrets work the same.
    return {
        "id": "p2",
        "type": "sandbox",
        "name": "Backup",
        "sender": "JuiceBar",
        "secrets": {"api_key": secret},
    }


def test_new_install_gets_the_defaults(client: FlaskClient, auth: Headers) -> None:
    config = load(client, auth)
    assert config["revision"] == 0
    assert config["rules"], "a new install starts with the standard rules"
    assert config["providers"][0]["type"] == "sandbox"


def test_secrets_never_reach_the_browser(
    client: FlaskClient, auth: Headers, saleor: SaleorStandin
) -> None:
    config = load(client, auth)
    config["providers"].append(twilio_like("s3cret-api-key"))
    response = save(client, auth, config)
    assert response.status_code == 200, response.get_json()
    assert "s3cret-api-key" not in response.get_data(as_text=True)
    stored = saleor.app_private_metadata[CONFIG_KEY]
    assert "s3cret-api-key" not in stored, "encrypted at rest in Saleor"

    again = client.get("/api/dashboard/config", headers=auth())
    assert "s3cret-api-key" not in again.get_data(as_text=True)
    provider = again.get_json()["config"]["providers"][1]
    assert provider["secrets"] == {}
    assert provider["secrets_set"] == {"api_key": True}


def test_blank_secret_keeps_the_stored_one(
    client: FlaskClient, auth: Headers, saleor: SaleorStandin, services: Any
) -> None:
    from saleor_sms_app.config.store import ConfigStore
    from saleor_sms_app.saleor.tenants import get_tenant

    config = load(client, auth)
    config["providers"].append(twilio_like("first-secret"))
    config = save(client, auth, config).get_json()["config"]
    config["providers"][1]["name"] = "Renamed"  # the page sends secrets: {} back
    response = save(client, auth, config)
    assert response.status_code == 200
    tenant = get_tenant(services, saleor.api_url)
    assert tenant is not None
    stored = ConfigStore(services).load(tenant, fresh=True)
    assert stored.providers[1].name == "Renamed"
    assert stored.providers[1].secrets == {"api_key": "first-secret"}


def test_two_people_saving_at_once(
    client: FlaskClient, auth: Headers, saleor: SaleorStandin
) -> None:
    alice = load(client, auth)
    bob = load(client, auth)
    alice["rules"][0]["name"] = "Alice's rule"
    assert save(client, auth, alice).status_code == 200
    bob["rules"] = []
    response = save(client, auth, bob)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict"
    assert "changed by someone else" in error["message"]
    # Alice's rule is still there: Bob's save did not silently drop it.
    assert "Alice's rule" in saleor.app_private_metadata[CONFIG_KEY]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c["settings"].update(default_country="Poland"), "settings.default_country"),
        (lambda c: c["settings"].update(staff_country="XX"), "settings.staff_country"),
        (lambda c: c["settings"].update(staff_numbers=["12"]), "settings.staff_numbers.0"),
        (
            lambda c: c["settings"].update(dry_run={"enabled": True, "number": "call me"}),
            "settings.dry_run.number",
        ),
        (lambda c: c["rules"][0].update(template="Hi {{ order.numbr }}"), "rules.0.template"),
        (lambda c: c["rules"][0].update(template="Hi {{ order.number "), "rules.0.template"),
        (lambda c: c["rules"][0].update(event="ORDER_EXPLODED"), "rules.0.event"),
        (lambda c: c["rules"][0].update(name=None), "rules.0.name"),
        # Delayed rules: at most 90 days, no negative waits, known statuses only.
        (lambda c: c["rules"][0].update(delay_minutes=90 * 24 * 60 + 1), "rules.0.delay_minutes"),
        (lambda c: c["rules"][0].update(delay_minutes=-5), "rules.0.delay_minutes"),
        (lambda c: c["rules"][0].update(delay_minutes="2h"), "rules.0.delay_minutes"),
        (
            lambda c: c["rules"][0].update(send_no_later_than_minutes=0),
            "rules.0.send_no_later_than_minutes",
        ),
        (
            lambda c: c["rules"][0]["send_only_if"].update(charge_statuses=["PAID"]),
            "rules.0.send_only_if.charge_statuses",
        ),
        (
            lambda c: c["rules"][0]["send_only_if"].update(statuses_not=["SHIPPED"]),
            "rules.0.send_only_if.statuses_not",
        ),
        # Conditions, texts per language, transactional (issue 9 items 4, 6-8).
        (
            lambda c: c["rules"][0]["conditions"].update(shipping_countries=["Germany"]),
            "rules.0.conditions.shipping_countries",
        ),
        (
            lambda c: c["rules"][0]["conditions"].update(total_min=100, total_max=5),
            "rules.0.conditions.total_max",
        ),
        (
            lambda c: c["rules"][0]["conditions"].update(order_of_customer="second"),
            "rules.0.conditions.order_of_customer",
        ),
        (
            lambda c: c["rules"][0]["conditions"].update(metadata_value="x"),
            "rules.0.conditions.metadata_value",
        ),
        (lambda c: c["rules"][0].update(templates={"german": "Hallo"}), "rules.0.templates"),
        (
            lambda c: c["rules"][0].update(templates={"DE": "Hallo {{ order.numbr }}"}),
            "rules.0.templates.DE",
        ),
        (
            lambda c: c["rules"][0].update(marketing=True, transactional=True),
            "rules.0.transactional",
        ),
        (
            lambda c: c["settings"]["quiet_hours"].update(start="25:00"),
            "settings.quiet_hours.start",
        ),
        (
            lambda c: c["settings"].update(shop_time_zone="Europe/Atlantis"),
            "settings.shop_time_zone",
        ),
        (
            lambda c: c["settings"].update(marketing_cap_per_week=0),
            "settings.marketing_cap_per_week",
        ),
        (lambda c: c["providers"][0].update(type="pigeon"), "providers.0.type"),
    ],
)
def test_invalid_fields_come_back_per_field_and_nothing_is_stored(
    client: FlaskClient,
    auth: Headers,
    saleor: SaleorStandin,
    change: Callable[[dict[str, Any]], None],
    field: str,
) -> None:
    assert_refused_naming(client, auth, saleor, change, field)


def test_saving_needs_manage_apps(client: FlaskClient, auth: Headers) -> None:
    config = load(client, auth)
    response = client.put(
        "/api/dashboard/config",
        headers=auth(permissions=["MANAGE_ORDERS"]),
        json={"config": config, "revision": 0},
    )
    assert response.status_code == 403
    assert "MANAGE_APPS" in response.get_json()["error"]["message"]


def test_saving_without_revision(client: FlaskClient, auth: Headers) -> None:
    config = load(client, auth)
    response = client.put("/api/dashboard/config", headers=auth(), json={"config": config})
    assert response.status_code == 400


def test_recent_orders_and_preview_with_a_real_order(
    client: FlaskClient, auth: Headers, saleor: SaleorStandin
) -> None:
    orders = client.get("/api/dashboard/orders/recent", headers=auth()).get_json()["orders"]
    assert [o["number"] for o in orders] == ["1042", "1041"]
    assert orders[1]["customer_name"] == "Żaneta Łęcka"
    response = client.post(
        "/api/dashboard/preview",
        headers=auth(),
        json={
            "template": "Hi {{ customer.first_name }}, #{{ order.number }}",
            "order_id": orders[1]["id"],
        },
    )
    body = response.get_json()
    assert body["text"] == "Hi Żaneta, #1041"
    assert body["encoding"] == "UCS-2"
    assert body["unicode_characters"] == ["Ż"]
    assert body["sample"] is False
    # One OrderForSms query went to Saleor, with the app token, never the user's dashboard token.
    assert saleor.count("/graphql/", operation="OrderForSms") == 1
    assert saleor.requests[-1].headers["Authorization"] == f"Bearer {saleor.token}"


def test_preview_says_which_condition_the_picked_order_fails(
    client: FlaskClient, auth: Headers, saleor: SaleorStandin
) -> None:
    orders = client.get("/api/dashboard/orders/recent", headers=auth()).get_json()["orders"]
    fulfilled, unfulfilled = orders[1]["id"], orders[0]["id"]
    rule = load(client, auth)["rules"][0]
    rule["send_only_if"].update(not_fulfilled=True, charge_statuses=["NONE"])

    def check(order_id: str, **changes: object) -> dict[str, object]:
        body = {"template": "x", "order_id": order_id, "rule": {**rule, **changes}}
        response = client.post("/api/dashboard/preview", headers=auth(), json=body)
        assert response.status_code == 200, response.get_json()
        answer: dict[str, object] = response.get_json()
        return answer

    matching = check(unfulfilled)
    assert (matching["matches"], matching["failing"]) == (True, None)
    assert check(fulfilled)["failing"] == "the order is fulfilled"
    assert check(fulfilled)["matches"] is False
    assert (
        check(unfulfilled, conditions={"statuses": ["FULFILLED"], "channels": []})["failing"]
        == "the order's status is UNFULFILLED, not one of FULFILLED"
    )
    # The new conditions are checked the same way, and the answer names the order's
    # language and which text it gets (the order is EN_US: no German text for it).
    shipped = check(unfulfilled, conditions={"shipping_countries": ["DE"]})
    assert shipped["failing"] == "the order ships to US, not DE"
    assert (shipped["order_language"], shipped["text_language"]) == ("EN_US", None)
    english = check(unfulfilled, templates={"EN": "Hello", "DE": "Hallo"})
    assert english["text_language"] == "EN"
    # Without a real order there is nothing to check.
    assert check("")["matches"] is None
    bad = client.post(
        "/api/dashboard/preview",
        headers=auth(),
        json={"template": "x", "rule": {**rule, "delay_minutes": -1}},
    )
    assert bad.status_code == 422
    assert "rule.delay_minutes" in bad.get_json()["error"]["details"]


def test_preview_of_an_order_saleor_does_not_have(client: FlaskClient, auth: Headers) -> None:
    response = client.post(
        "/api/dashboard/preview",
        headers=auth(),
        json={"template": "x", "order_id": "T3JkZXI6bm9uZQ=="},
    )
    assert response.status_code == 404


def test_saleor_down_is_a_clear_503(
    client: FlaskClient, auth: Headers, saleor: SaleorStandin
) -> None:
    saleor.fail_next(status=502, times=100)  # an outage, however often the app retries
    response = client.get("/api/dashboard/config", headers=auth())
    assert response.status_code == 503
    assert "Saleor" in response.get_json()["error"]["message"]
