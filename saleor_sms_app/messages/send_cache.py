"""What every send would otherwise rebuild, kept per process: tenants, configurations, adapters.

Sending one SMS costs about as much Python as decrypting a tenant's token,
parsing its configuration and building a provider adapter; these caches let a
worker do each once. Nothing here can go stale unnoticed (see :class:`SendCache`).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy import Engine

from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.models import Tenant
from saleor_sms_app.providers import build_provider
from saleor_sms_app.providers.base import ProviderContext, SmsProvider
from saleor_sms_app.saleor.tenants import TenantRecord, tenant_record
from saleor_sms_app.services import Services


class SendCache:
    """What every send would otherwise rebuild, kept per process: tenants, parsed configs.

    Nothing here can go stale unnoticed. A tenant record is keyed by its row's
    stored columns, read fresh with the message on every send, so an uninstall
    or a token change is seen at once. A configuration is keyed by the stored
    document's text, read on every send from the Redis cache that a save drops,
    so a saved change is a different key. Only the decryption and parsing are
    saved (about half a millisecond a message). Bounded: when full it starts over.
    """

    MAX_ENTRIES = 512

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tenants: dict[tuple[Any, ...], TenantRecord] = {}
        self._configs: dict[tuple[int, str | None], AppConfig] = {}

    def tenant(self, services: Services, row: Tenant) -> TenantRecord:
        key = tuple(getattr(row, name) for name in _TENANT_FIELDS)
        record = self._tenants.get(key)
        if record is None:
            record = tenant_record(services, row)
            with self._lock:
                if len(self._tenants) >= self.MAX_ENTRIES:
                    self._tenants.clear()
                self._tenants[key] = record
        return record

    def config(self, services: Services, tenant: TenantRecord) -> AppConfig:
        store = ConfigStore(services)
        raw = store.stored(tenant)
        key = (tenant.id, raw)
        config = self._configs.get(key)
        if config is None:
            config = store.parse(raw)
            with self._lock:
                if len(self._configs) >= self.MAX_ENTRIES:
                    self._configs.clear()
                self._configs[key] = config
        return config


#: Every stored column a :class:`TenantRecord` is built from.
_TENANT_FIELDS = (
    "id",
    "saleor_api_url",
    "saleor_domain",
    "app_id",
    "token_encrypted",
    "jwks",
    "callback_secret_encrypted",
    "jwks_fetched_at",
    "saleor_version",
)

# Keyed by engine, like the tenant cache: two Services on different databases
# (tests, the benchmark) never share records.
_send_caches: weakref.WeakKeyDictionary[Engine, SendCache] = weakref.WeakKeyDictionary()


def send_cache(services: Services) -> SendCache:
    cache = _send_caches.get(services.engine)
    if cache is None:
        cache = _send_caches.setdefault(services.engine, SendCache())
    return cache


class AdapterCache:
    """Provider adapters built once per batch rather than once per message.

    Keyed by the configuration object itself: one batch reads each tenant's
    configuration once, so its messages share the same objects.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._adapters: dict[int, tuple[ProviderConfig, SmsProvider]] = {}

    def build(self, config: ProviderConfig, context: ProviderContext) -> SmsProvider:
        found = self._adapters.get(id(config))
        if found is not None and found[0] is config:
            return found[1]
        adapter = build_provider(config, context)
        with self._lock:
            self._adapters[id(config)] = (config, adapter)
        return adapter
