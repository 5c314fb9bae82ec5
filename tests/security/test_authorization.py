"""The authorisation matrix: every dashboard API route, every way a caller may be wrong.

Routes come from Flask's URL map, so a route added later is covered the moment
it exists, and the test fails until its required permission is written into
:data:`PERMISSIONS` (which is what docs/DASHBOARD.md documents). Each refusal
must carry the documented status and code and change nothing: every table row,
both Saleors' stored metadata and the sandbox outbox are compared before and
after. Delivery-report URLs are checked the same way with another tenant's secret.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from saleor_sms_app.anniversaries.tables import DailySend
from saleor_sms_app.campaigns.tables import Campaign
from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.consent.suppressions import suppress
from saleor_sms_app.db import session_scope
from saleor_sms_app.models import Message
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION, WRITE_PERMISSION
from saleor_sms_app.saleor.tenants import get_tenant_by_id
from saleor_sms_app.scheduler import runs
from saleor_sms_app.services import Services
from tests.dashboard.conftest import TokenFactory, add_tenant
from tests.security.support import state
from tests.standin.saleor import SaleorStandin, global_id

API_PREFIX = "/api/dashboard/"
#: Method and route → the permission it needs. A route missing here fails the test.
PERMISSIONS: dict[tuple[str, str], str] = {
    ("GET", "/api/dashboard/me"): READ_PERMISSION,
    ("GET", "/api/dashboard/metadata"): READ_PERMISSION,
    ("GET", "/api/dashboard/config"): READ_PERMISSION,
    ("PUT", "/api/dashboard/config"): WRITE_PERMISSION,
    ("GET", "/api/dashboard/orders/recent"): READ_PERMISSION,
    ("POST", "/api/dashboard/preview"): READ_PERMISSION,
    ("POST", "/api/dashboard/providers/<provider_id>/test"): WRITE_PERMISSION,
    ("GET", "/api/dashboard/providers/<provider_id>/balance"): READ_PERMISSION,
    ("POST", "/api/dashboard/providers/check"): WRITE_PERMISSION,
    ("GET", "/api/dashboard/providers/warnings"): READ_PERMISSION,
    ("GET", "/api/dashboard/messages"): READ_PERMISSION,
    ("GET", "/api/dashboard/messages/export.csv"): READ_PERMISSION,
    ("GET", "/api/dashboard/messages/stats"): READ_PERMISSION,
    ("GET", "/api/dashboard/rules/last-sent"): READ_PERMISSION,
    ("GET", "/api/dashboard/messages/<id:message_id>"): READ_PERMISSION,
    ("POST", "/api/dashboard/messages/personal-data/export"): READ_PERMISSION,
    ("POST", "/api/dashboard/messages/personal-data/erase"): WRITE_PERMISSION,
    ("GET", "/api/dashboard/suppressions"): READ_PERMISSION,
    ("POST", "/api/dashboard/suppressions"): WRITE_PERMISSION,
    ("DELETE", "/api/dashboard/suppressions/<path:phone>"): WRITE_PERMISSION,
    ("POST", "/api/dashboard/suppressions/import"): WRITE_PERMISSION,
    ("GET", "/api/dashboard/suppressions/export.csv"): READ_PERMISSION,
    ("GET", "/api/dashboard/scheduled"): READ_PERMISSION,
    ("POST", "/api/dashboard/scheduled/<id:run_id>/cancel"): WRITE_PERMISSION,
    ("POST", "/api/dashboard/campaigns/audience"): WRITE_PERMISSION,
    ("POST", "/api/dashboard/campaigns/numbers"): READ_PERMISSION,
    ("POST", "/api/dashboard/campaigns/estimate"): READ_PERMISSION,
    ("POST", "/api/dashboard/campaigns"): WRITE_PERMISSION,
    ("GET", "/api/dashboard/campaigns"): READ_PERMISSION,
    ("GET", "/api/dashboard/campaigns/<id:campaign_id>"): READ_PERMISSION,
    ("POST", "/api/dashboard/campaigns/<id:campaign_id>/pause"): WRITE_PERMISSION,
    ("POST", "/api/dashboard/campaigns/<id:campaign_id>/resume"): WRITE_PERMISSION,
    ("POST", "/api/dashboard/campaigns/<id:campaign_id>/cancel"): WRITE_PERMISSION,
    ("GET", "/api/dashboard/daily-sends"): READ_PERMISSION,
    ("POST", "/api/dashboard/daily-sends/preview"): WRITE_PERMISSION,
    ("POST", "/api/dashboard/daily-sends"): WRITE_PERMISSION,
    ("PUT", "/api/dashboard/daily-sends/<id:send_id>"): WRITE_PERMISSION,
    ("DELETE", "/api/dashboard/daily-sends/<id:send_id>"): WRITE_PERMISSION,
    # The "Send SMS" popup on Saleor's order page: texting an order's customer.
    ("POST", "/api/dashboard/manual/order"): READ_PERMISSION,
    ("POST", "/api/dashboard/manual/customer/preview"): "MANAGE_USERS",
    ("POST", "/api/dashboard/manual/customer"): "MANAGE_USERS",
    # Each popup asks only for its own resource's permission, nothing of the main page.
    ("GET", "/api/dashboard/manual/order/start"): READ_PERMISSION,
    ("GET", "/api/dashboard/manual/customer/start"): "MANAGE_USERS",
    ("GET", "/api/dashboard/manual/customers/start"): "MANAGE_USERS",
    ("GET", "/api/dashboard/manual/order/messages/<id:message_id>"): READ_PERMISSION,
    ("GET", "/api/dashboard/manual/customer/messages/<id:message_id>"): "MANAGE_USERS",
    # The customer list's popup: the ticked customers as a small campaign.
    ("POST", "/api/dashboard/manual/customers/preview"): "MANAGE_USERS",
    ("POST", "/api/dashboard/manual/customers/estimate"): "MANAGE_USERS",
    ("POST", "/api/dashboard/manual/customers"): "MANAGE_USERS",
    ("GET", "/api/dashboard/manual/customers/<id:campaign_id>"): "MANAGE_USERS",
}
#: The provider of tenant A that paths and bodies name.
PROVIDER_ID = "victim-sandbox"
#: A number on tenant A's do-not-text list that paths name.
VICTIM_PHONE = "+48601234567"
#: A message of tenant A that paths name (the message detail).
VICTIM_MESSAGE_ID = 4242
#: A campaign of tenant A that paths name (its progress, pause, resume, cancel).
VICTIM_CAMPAIGN_ID = 4343
#: A daily send of tenant A that paths name (saving it, deleting it).
VICTIM_DAILY_SEND_ID = 4444
#: What a route's path parameter is replaced with (any other: PROVIDER_ID).
PATH_VALUES = {
    "phone": VICTIM_PHONE,
    "message_id": str(VICTIM_MESSAGE_ID),
    "campaign_id": str(VICTIM_CAMPAIGN_ID),
    "send_id": str(VICTIM_DAILY_SEND_ID),
}


def dashboard_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, route) under /api/dashboard/ in the app's URL map."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found.add((method, rule.rule))
    return sorted(found)


def test_every_dashboard_route_is_in_the_table(app: Any) -> None:
    routes = dashboard_routes(app)
    missing = [r for r in routes if r not in PERMISSIONS]
    assert not missing, f"add these routes and their permission to PERMISSIONS: {missing}"
    gone = [r for r in PERMISSIONS if r not in routes]
    assert not gone, f"these routes no longer exist: {gone}"


def _path(rule: str, run_id: int) -> str:
    """The rule with tenant A's provider, number on the list and pending scheduled run."""
    names = {**PATH_VALUES, "run_id": str(run_id)}
    return re.sub(
        r"<(?:[^:>]+:)?([^>]+)>",
        lambda m: names.get(m.group(1), PROVIDER_ID),
        rule,
    )


def _body(method: str, rule: str, revision: int) -> dict[str, Any] | None:
    """A body that would change something if the call were let through."""
    if method == "GET":
        return None
    if rule.endswith("/config"):
        config = AppConfig(providers=[ProviderConfig(id="intruder", type="sandbox")])
        return {"revision": revision, "config": config.model_dump(mode="json")}
    if rule.endswith("/test"):
        return {"phone": "+48601234567", "text": "hello from someone else"}
    if rule.endswith("/check"):
        return {"provider": {"id": PROVIDER_ID, "type": "sandbox"}}
    if "/personal-data/" in rule:
        return {"phone": VICTIM_PHONE}
    if "/suppressions" in rule:
        return {"phone": "+48601234999", "reason": "added by someone else"}
    return {"template": "{{ order.number }}", "order_id": global_id("Order", 1)}


@pytest.fixture
def other_saleor() -> Iterator[SaleorStandin]:
    """Tenant B's Saleor: its own key, its own app id."""
    standin = SaleorStandin().start()
    standin.app_id = global_id("App", 7)
    standin.token = "app-token-tenant-b"
    yield standin
    standin.stop()


@pytest.fixture
def tenants(
    services: Services, saleor: SaleorStandin, tenant_id: int, other_saleor: SaleorStandin
) -> tuple[int, int]:
    """Tenant A (the victim, with a provider and a stored config) and tenant B."""
    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    store = ConfigStore(services)
    config = store.load(tenant)
    config = config.model_copy(
        update={"providers": [ProviderConfig(id=PROVIDER_ID, type="sandbox", name="A's")]}
    )
    store.save(tenant, config, expected_revision=config.revision)
    with session_scope(services.sessions) as session:
        suppress(session, tenant_id, VICTIM_PHONE, reason="asked by the customer", source="manual")
        session.add(
            Message(
                id=VICTIM_MESSAGE_ID,
                tenant_id=tenant_id,
                dedupe_key="victim-message",
                event="ORDER_CREATED",
                recipient_type="customer",
                phone=VICTIM_PHONE,
                body="Order 1042 is confirmed",
                status="delivered",
            )
        )
        session.add(
            Campaign(
                id=VICTIM_CAMPAIGN_ID,
                tenant_id=tenant_id,
                idempotency_key="victim-campaign",
                name="Black Friday",
                state="paused",
                template="20% off today",
                numbers=[VICTIM_PHONE],
                send_at=datetime.now(UTC),
            )
        )
        session.add(
            DailySend(
                id=VICTIM_DAILY_SEND_ID,
                tenant_id=tenant_id,
                idempotency_key="victim-daily-send",
                name="Birthday",
                enabled=False,
                hour=9,
                source="birthday",
                date_key="birthday",
                audience={},
                template="Happy birthday",
            )
        )
    assert other_saleor.app_id is not None
    b = add_tenant(
        services,
        api_url=other_saleor.api_url,
        app_id=other_saleor.app_id,
        token=other_saleor.token,
        jwks=other_saleor.jwks(),
    )
    return tenant_id, b


@pytest.fixture
def victim_run(services: Services, tenants: tuple[int, int]) -> int:
    """A pending scheduled run of tenant A (a delayed text a wrong caller could cancel)."""
    now = datetime.now(UTC)
    with session_scope(services.sessions) as session:
        run_id = runs.schedule(
            session,
            tenant_id=tenants[0],
            kind="rule",
            dedupe_key="victim-run",
            due_at=now + timedelta(hours=2),
            now=now,
            rule_id="automation-remind-to-pay",
            rule_name="Automation: remind to pay",
            event="ORDER_CREATED",
            order_id=global_id("Order", 1),
            order_number="1",
        )
    assert run_id is not None
    return run_id


Case = Callable[[str], tuple[dict[str, str], int, str]]


def _cases(
    make_token: TokenFactory,
    saleor: SaleorStandin,
    other: SaleorStandin,
    stranger_key: rsa.RSAPrivateKey,
) -> dict[str, Case]:
    """Case name → (permission needed → headers, expected status, expected code)."""
    a_url = saleor.api_url

    def headers(token: str | None, url: str = a_url) -> dict[str, str]:
        found = {"Saleor-Api-Url": url}
        if token is not None:
            found["Authorization-Bearer"] = token
        return found

    def lacking(permission: str) -> list[str]:
        return [] if permission == READ_PERMISSION else [READ_PERMISSION]

    return {
        "no token": lambda p: (headers(None), 401, "token_missing"),
        "expired": lambda p: (headers(make_token(ttl=-60)), 401, "token_expired"),
        "another app": lambda p: (
            headers(make_token(app=global_id("App", 99))),
            401,
            "token_foreign_app",
        ),
        "another key": lambda p: (headers(make_token(key=stranger_key)), 401, "token_invalid"),
        "missing permission": lambda p: (
            headers(make_token(permissions=lacking(p))),
            403,
            "missing_permission",
        ),
        # Tenant B's Saleor signs a token for its own app, sent to name tenant A.
        "other tenant's token": lambda p: (
            headers(other.dashboard_token(user_permissions=[READ_PERMISSION, WRITE_PERMISSION])),
            401,
            "token_invalid",
        ),
        # A token whose issuer is tenant B's Saleor, with A's key and app id.
        "other tenant's issuer": lambda p: (
            headers(make_token(iss=other.api_url)),
            401,
            "token_foreign_tenant",
        ),
    }


def test_every_route_refuses_every_wrong_caller_and_changes_nothing(
    app: Any,
    client: Any,
    services: Services,
    saleor: SaleorStandin,
    other_saleor: SaleorStandin,
    tenants: tuple[int, int],
    victim_run: int,
    make_token: TokenFactory,
    stranger_key: rsa.RSAPrivateKey,
) -> None:
    cases = _cases(make_token, saleor, other_saleor, stranger_key)
    tenant = get_tenant_by_id(services, tenants[0])
    assert tenant is not None
    revision = ConfigStore(services).load(tenant, fresh=True).revision
    before = state(services, saleor, other_saleor)
    checked = 0
    for method, rule in dashboard_routes(app):
        permission = PERMISSIONS[(method, rule)]
        for name, case in cases.items():
            headers, status, code = case(permission)
            answer = client.open(
                _path(rule, victim_run),
                method=method,
                headers=headers,
                json=_body(method, rule, revision),
            )
            where = f"{method} {rule} with {name}"
            assert answer.status_code == status, f"{where}: {answer.status_code} {answer.data!r}"
            assert answer.get_json()["error"]["code"] == code, where
            checked += 1
    assert checked == len(PERMISSIONS) * len(cases)
    assert state(services, saleor, other_saleor) == before


def test_tenant_b_naming_tenant_a_ids_reaches_nothing_of_a(
    app: Any,
    client: Any,
    services: Services,
    saleor: SaleorStandin,
    other_saleor: SaleorStandin,
    tenants: tuple[int, int],
    victim_run: int,
) -> None:
    """B's genuine token on B's own URL, naming A's provider, message, run and campaign: B
    has none."""
    token = other_saleor.dashboard_token(
        user_permissions=[READ_PERMISSION, WRITE_PERMISSION, "MANAGE_USERS"]
    )
    headers = {"Authorization-Bearer": token, "Saleor-Api-Url": other_saleor.api_url}
    before = state(services, saleor)
    for method, rule in dashboard_routes(app):
        if "<" not in rule:
            continue
        answer = client.open(
            _path(rule, victim_run), method=method, headers=headers, json=_body(method, rule, 0)
        )
        assert answer.status_code in (200, 404), (rule, answer.data)
        assert PROVIDER_ID not in answer.get_data(as_text=True) or answer.status_code == 404
        if answer.status_code == 200:  # a balance answer for B: B has no such provider
            assert answer.get_json()["supported"] is False
    assert state(services, saleor) == before


@pytest.mark.parametrize("kind", ["delivery-reports", "inbound"])
def test_provider_callbacks_with_another_tenants_secret_are_refused(
    kind: str,
    client: Any,
    services: Services,
    saleor: SaleorStandin,
    other_saleor: SaleorStandin,
    tenants: tuple[int, int],
) -> None:
    a, b = tenants
    tenant_a, tenant_b = get_tenant_by_id(services, a), get_tenant_by_id(services, b)
    assert tenant_a is not None and tenant_b is not None
    secret_a, secret_b = tenant_a.callback_secret, tenant_b.callback_secret
    assert secret_a is not None and secret_b is not None
    before = state(services, saleor, other_saleor)
    for path in [
        f"/api/{kind}/{a}/{PROVIDER_ID}/{secret_b}",
        f"/api/{kind}/{b}/{PROVIDER_ID}/{secret_a}",
        f"/api/{kind}/{a}/{PROVIDER_ID}/{secret_a[:-1]}",
        f"/api/{kind}/{a + b + 100}/{PROVIDER_ID}/{secret_a}",
    ]:
        # Mocean PUTs its delivery reports; inbound texts come by GET or POST.
        methods = (
            ("GET", "POST", "PUT", "HEAD")
            if kind == "delivery-reports"
            else ("GET", "POST", "HEAD")
        )
        for method in methods:
            answer = client.open(path, method=method, data={"MessageSid": "SM1"})
            assert answer.status_code == 401, (method, path)
            if method != "HEAD":
                assert answer.get_json()["error"]["code"] == "unauthorized"
    assert state(services, saleor, other_saleor) == before
