"""Tenants: install, reinstall, uninstall and the in-process cache, on a real database."""

from __future__ import annotations

from sqlalchemy import delete, select

from saleor_sms_app.models import Message, Tenant
from saleor_sms_app.saleor import tenants
from saleor_sms_app.services import Services

API_URL = "http://127.0.0.1:8000/graphql/"
JWKS = {"keys": [{"kty": "RSA", "kid": "k1", "n": "abc", "e": "AQAB"}]}


def _install(services: Services, token: str = "token-1", app_id: str = "QXBwOjE=") -> int:
    record = tenants.save_tenant(
        services,
        saleor_api_url=API_URL,
        saleor_domain="127.0.0.1:8000",
        app_id=app_id,
        token=token,
        jwks=JWKS,
    )
    return record.id


def test_save_encrypts_secrets_and_get_decrypts(services: Services) -> None:
    tenant_id = _install(services)
    with services.sessions() as session:
        row = session.get(Tenant, tenant_id)
        assert row is not None
        assert row.token_encrypted and "token-1" not in row.token_encrypted
        assert row.callback_secret_encrypted
    tenants.clear_cache(services)
    record = tenants.get_tenant(services, API_URL)
    assert record is not None
    assert (record.token, record.app_id, record.jwks) == ("token-1", "QXBwOjE=", JWKS)
    assert record.callback_secret and len(record.callback_secret) >= 32
    assert record.saleor_origin == "http://127.0.0.1:8000"
    assert "token-1" not in repr(record) and record.callback_secret not in repr(record)
    assert tenants.get_tenant(services, "http://other/graphql/") is None


def test_reinstall_replaces_token_keeps_row_and_callback_secret(services: Services) -> None:
    first = tenants.get_tenant_by_id(services, _install(services))
    assert first is not None
    second_id = _install(services, token="token-2", app_id="QXBwOjI=")
    second = tenants.get_tenant(services, API_URL)
    assert second is not None and second.id == first.id == second_id
    assert (second.token, second.app_id) == ("token-2", "QXBwOjI=")
    assert second.callback_secret == first.callback_secret


def test_uninstall_forgets_secrets_but_keeps_the_log(services: Services) -> None:
    tenant_id = _install(services)
    with services.sessions.begin() as session:
        session.add(
            Message(tenant_id=tenant_id, dedupe_key="d", event="TEST", recipient_type="test")
        )
    assert tenants.get_tenant(services, API_URL) is not None  # cached now
    assert tenants.uninstall(services, API_URL) is True
    assert tenants.get_tenant(services, API_URL) is None
    tenants.clear_cache(services)
    assert tenants.get_tenant(services, API_URL) is None
    gone = tenants.get_tenant_by_id(services, tenant_id)
    assert gone is not None and gone.token is None and gone.callback_secret is None
    with services.sessions() as session:
        assert session.scalars(select(Message)).one().tenant_id == tenant_id
    assert tenants.uninstall(services, API_URL) is False
    # A reinstall after an uninstall gets a fresh callback secret.
    _install(services, token="token-3")
    again = tenants.get_tenant(services, API_URL)
    assert again is not None and again.token == "token-3" and again.callback_secret


def test_cache_serves_without_the_database(services: Services) -> None:
    _install(services)
    tenants.clear_cache(services)
    assert tenants.get_tenant(services, API_URL) is not None
    # Deleted behind the cache's back: the cached record still answers (TTL) ...
    with services.sessions.begin() as session:
        session.execute(delete(Tenant))
    assert tenants.get_tenant(services, API_URL) is not None
    # ... until this process is told.
    tenants.clear_cache(services)
    assert tenants.get_tenant(services, API_URL) is None


def test_saleor_client_uses_the_token_and_shared_session(services: Services) -> None:
    _install(services)
    record = tenants.get_tenant(services, API_URL)
    assert record is not None
    client = tenants.saleor_client(services, record)
    assert client.token == "token-1" and client.session is services.http
    assert client.api_url == API_URL


def test_an_install_by_another_process_counts_at_once(services: Services) -> None:
    """Seen against a real Saleor 3.23: a web worker that had seen the app uninstalled
    refused webhooks for 30 s after a reinstall done by another worker, and Saleor
    never redelivers a 401, so those orders got no SMS."""
    _install(services)
    assert tenants.uninstall(services, API_URL) is True
    assert tenants.get_tenant(services, API_URL) is None  # this process saw the uninstall
    # Another process reinstalls: straight into the database, not through this cache.
    with services.sessions.begin() as session:
        row = session.scalars(select(Tenant)).one()
        row.token_encrypted = services.secret_box.encrypt("token-new")
        row.callback_secret_encrypted = services.secret_box.encrypt("s" * 40)
        row.uninstalled_at = None
    record = tenants.get_tenant(services, API_URL)
    assert record is not None and record.token == "token-new"


def test_fresh_lookup_sees_a_token_replaced_by_another_process(services: Services) -> None:
    _install(services)
    assert tenants.get_tenant(services, API_URL) is not None  # cached with token-1
    with services.sessions.begin() as session:
        row = session.scalars(select(Tenant)).one()
        row.token_encrypted = services.secret_box.encrypt("token-2")
    cached = tenants.get_tenant(services, API_URL)
    assert cached is not None and cached.token == "token-1"  # the web hot path may lag
    fresh = tenants.get_tenant(services, API_URL, fresh=True)
    assert fresh is not None and fresh.token == "token-2"
    again = tenants.get_tenant(services, API_URL)
    assert again is not None and again.token == "token-2"  # and refreshed the cache
