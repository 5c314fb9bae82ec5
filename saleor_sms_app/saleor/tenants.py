"""Installed Saleors ("tenants"): lookup, install/reinstall, uninstall.

A tenant is keyed by its full GraphQL API URL, the value Saleor sends in
``Saleor-Api-Url`` on every request. The webhook hot path looks a tenant up on
every request, so lookups go through a small in-process cache with a short TTL.
Only installed tenants are cached: "not installed" is always read afresh, so a
(re)install done by another process counts at once (a webhook refused as
unknown is never redelivered by Saleor, so a cached miss lost SMS for up to
:data:`CACHE_TTL_SECONDS` after a reinstall — seen against a real Saleor 3.23).
A cached installed tenant may be stale for that long: harmless for signature
checks (a wrong key re-fetches the JWKS), and the worker reads the tenant
afresh for each event (:func:`get_tenant` with ``fresh=True``), so it never
calls Saleor with a token an uninstall or reinstall replaced.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import weakref
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Engine, and_, select
from sqlalchemy.orm import Session

from saleor_sms_app.db import session_scope
from saleor_sms_app.models import Tenant, utcnow
from saleor_sms_app.saleor.client import SaleorClient
from saleor_sms_app.saleor.manifest import webhooks_marker
from saleor_sms_app.services import Services

#: How long a process trusts its cached view of a tenant row.
CACHE_TTL_SECONDS = 30.0
#: Timeout for the app's own GraphQL calls to Saleor (jobs, dashboard).
SALEOR_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class TenantRecord:
    """One installed Saleor with its secrets decrypted, ready to call and verify against."""

    id: int
    saleor_api_url: str
    saleor_domain: str
    app_id: str
    #: The Saleor app token (decrypted); ``None`` once uninstalled.
    token: str | None = field(repr=False)
    #: The Saleor JWKS, ``{"keys": [...]}``: verifies webhooks and dashboard tokens (jwks.py).
    jwks: dict[str, Any] = field(hash=False)
    #: Authenticates provider delivery-report callbacks (decrypted); ``None`` once uninstalled.
    callback_secret: str | None = field(default=None, repr=False)
    jwks_fetched_at: datetime | None = field(default=None, compare=False)
    saleor_version: str = ""

    @property
    def is_installed(self) -> bool:
        return self.token is not None

    @property
    def saleor_origin(self) -> str:
        """``scheme://host[:port]`` of the Saleor, where its JWKS lives."""
        return origin_of(self.saleor_api_url)


def origin_of(saleor_api_url: str) -> str:
    """``scheme://host[:port]`` of the Saleor behind an API URL."""
    parts = urlsplit(saleor_api_url)
    return f"{parts.scheme}://{parts.netloc}"


class _TenantCache:
    """API URL → (expiry, installed tenant); one per database engine, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, TenantRecord]] = {}

    def get(self, api_url: str) -> TenantRecord | None:
        entry = self._entries.get(api_url)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, api_url: str, record: TenantRecord) -> None:
        with self._lock:
            self._entries[api_url] = (time.monotonic() + CACHE_TTL_SECONDS, record)

    def forget(self, api_url: str) -> None:
        with self._lock:
            self._entries.pop(api_url, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# Keyed by engine so that two Services on different databases (tests, the
# benchmark) never see each other's tenants.
_caches: weakref.WeakKeyDictionary[Engine, _TenantCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(services: Services) -> _TenantCache:
    cache = _caches.get(services.engine)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(services.engine, _TenantCache())
    return cache


def clear_cache(services: Services) -> None:
    """Forget every cached tenant of this process (tests and the CLI use this)."""
    _cache(services).clear()


def _record(services: Services, row: Tenant) -> TenantRecord:
    box = services.secret_box
    return TenantRecord(
        id=row.id,
        saleor_api_url=row.saleor_api_url,
        saleor_domain=row.saleor_domain,
        app_id=row.app_id,
        token=box.decrypt(row.token_encrypted) if row.token_encrypted else None,
        jwks=json.loads(row.jwks or "{}"),
        callback_secret=(
            box.decrypt(row.callback_secret_encrypted) if row.callback_secret_encrypted else None
        ),
        jwks_fetched_at=row.jwks_fetched_at,
        saleor_version=row.saleor_version,
    )


#: Public name for the hot send path, which reads the row together with its message.
tenant_record = _record


def _by_url(session: Session, api_url: str) -> Tenant | None:
    return session.scalars(select(Tenant).where(Tenant.saleor_api_url == api_url)).first()


def get_tenant(services: Services, api_url: str, *, fresh: bool = False) -> TenantRecord | None:
    """The installed tenant for this ``Saleor-Api-Url``, or ``None`` (unknown or uninstalled).

    ``fresh`` skips the cache (the worker, before it calls Saleor with the token).
    """
    cache = _cache(services)
    if not fresh:
        cached = cache.get(api_url)
        if cached is not None:
            return cached
    with services.sessions() as session:
        row = _by_url(session, api_url)
        record = _record(services, row) if row is not None and row.is_installed else None
    if record is None:
        cache.forget(api_url)
    else:
        cache.put(api_url, record)
    return record


def installed() -> ColumnElement[bool]:
    """What "installed now" means in a query: a Saleor token kept and no uninstall since."""
    return and_(Tenant.token_encrypted.is_not(None), Tenant.uninstalled_at.is_(None))


def get_tenant_by_id(services: Services, tenant_id: int) -> TenantRecord | None:
    """The tenant with this id, installed or not (jobs and callbacks use ids), or ``None``."""
    with services.sessions() as session:
        row = session.get(Tenant, tenant_id)
        return _record(services, row) if row is not None else None


def save_tenant(
    services: Services,
    *,
    saleor_api_url: str,
    saleor_domain: str,
    app_id: str,
    token: str,
    jwks: dict[str, Any],
    saleor_version: str = "",
) -> TenantRecord:
    """Store a (re)installed Saleor.

    A reinstall keeps the row (and so the message log and suppressions that hang
    off it) and replaces the token, app id and JWKS. The callback secret is kept
    when there is one, because providers already hold callback URLs that carry
    it; a tenant without one (first install, or after an uninstall) gets a new
    random one.
    """
    box = services.secret_box
    now = utcnow()
    with session_scope(services.sessions) as session:
        row = _by_url(session, saleor_api_url)
        if row is None:
            row = Tenant(saleor_api_url=saleor_api_url, installed_at=now)
            session.add(row)
        elif not row.is_installed:
            row.installed_at = now
        row.saleor_domain = saleor_domain
        row.app_id = app_id
        row.token_encrypted = box.encrypt(token)
        row.jwks = json.dumps(jwks)
        row.jwks_fetched_at = now
        if saleor_version:
            row.saleor_version = saleor_version
        if not row.callback_secret_encrypted:
            row.callback_secret_encrypted = box.encrypt(secrets.token_urlsafe(32))
        row.uninstalled_at = None
        # Saleor has just registered the webhooks of the manifest this deployment serves.
        row.webhooks_synced = webhooks_marker(services.settings.app_url)
        session.flush()
        record = _record(services, row)
    _cache(services).put(saleor_api_url, record)
    return record


def update_jwks(services: Services, tenant: TenantRecord, jwks: dict[str, Any]) -> TenantRecord:
    """Store a re-fetched JWKS (the Saleor rotated its key) and return the updated record."""
    now = utcnow()
    with session_scope(services.sessions) as session:
        row = session.get(Tenant, tenant.id)
        if row is not None:
            row.jwks = json.dumps(jwks)
            row.jwks_fetched_at = now
    updated = replace(tenant, jwks=jwks, jwks_fetched_at=now)
    if tenant.is_installed:
        _cache(services).put(tenant.saleor_api_url, updated)
    return updated


def uninstall(services: Services, api_url: str) -> bool:
    """Forget the token and callback secret of a removed app; its message log stays.

    Returns whether an installed tenant was found. The row itself is kept so a
    later reinstall continues the same log, and so the merchant's history is not
    lost because someone clicked "remove" by mistake.
    """
    with session_scope(services.sessions) as session:
        row = _by_url(session, api_url)
        found = row is not None and row.is_installed
        if row is not None:
            row.token_encrypted = None
            row.callback_secret_encrypted = None
            row.uninstalled_at = row.uninstalled_at or utcnow()
    _cache(services).forget(api_url)
    return found


def saleor_client(services: Services, tenant: TenantRecord) -> SaleorClient:
    """A GraphQL client for this tenant with its app token, on the shared HTTP session."""
    return SaleorClient(
        tenant.saleor_api_url,
        tenant.token,
        session=services.http,
        timeout=SALEOR_TIMEOUT_SECONDS,
    )
