"""A tenant's configuration, kept in Saleor in the app's private metadata.

One key, :data:`CONFIG_KEY`, holds the JSON of :class:`AppConfig` with every
provider secret encrypted by the app's ``SecretBox``, so neither Saleor nor
anyone reading its database sees a provider credential. The worker reads the
configuration on every webhook, so the *stored* document (still encrypted) is
cached in Redis for :data:`CACHE_TTL_SECONDS`; a save drops the cache.

Safety rules, each with a test:

* a save re-reads the document fresh from Saleor and refuses with
  :class:`Conflict` when its revision is not the one the editor started from,
  so two people editing at once cannot silently overwrite each other;
* a document written by a newer app (higher ``schema_version``) is refused on
  load and on save (:class:`NewerConfiguration`), never overwritten; an older
  one is migrated when read;
* a document we cannot read (not JSON, wrong shape, a secret no key opens) is
  a :class:`UnreadableConfiguration` and is never overwritten either;
* the dashboard never receives secrets, so an update that leaves a secret
  blank keeps the stored one (:func:`merge_secrets`).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from redis.exceptions import LockError, RedisError

from saleor_sms_app.config.defaults import (
    add_new_default_rules,
    add_ready_made_automations,
    add_transactional_flags,
    default_config,
)
from saleor_sms_app.config.model import CONFIG_SCHEMA_VERSION, AppConfig, ProviderConfig
from saleor_sms_app.crypto import DecryptionError
from saleor_sms_app.egress import EgressPolicy, url_problems
from saleor_sms_app.errors import (
    Conflict,
    InvalidConfiguration,
    InvalidPhoneNumber,
    NewerConfiguration,
    NotFound,
    PermanentError,
    TemplateError,
)
from saleor_sms_app.message_templates.order_tokens import check_template
from saleor_sms_app.providers import provider_class
from saleor_sms_app.providers.models import ProviderConfigError
from saleor_sms_app.recipients.phones import staff_phone
from saleor_sms_app.saleor.client import SaleorClient, SaleorGraphQLError
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant_by_id, saleor_client
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

#: The private-metadata key on the app that holds the configuration.
CONFIG_KEY = "sms-config"
#: How long a worker trusts its cached copy; a save by the dashboard drops it at once.
CACHE_TTL_SECONDS = 60
#: How long a save waits for another save of the same tenant to finish.
SAVE_LOCK_WAIT_SECONDS = 10
#: The shape we write. A module-level name so tests can pretend to be a newer app.
CURRENT_SCHEMA_VERSION = CONFIG_SCHEMA_VERSION

#: ``schema_version`` n → function turning a version-n document into n+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: add_new_default_rules,
    2: add_ready_made_automations,
    3: add_transactional_flags,
}


class UnreadableConfiguration(PermanentError):
    """The stored document cannot be read; it is left alone for a human to look at."""

    http_status = 409
    code = "configuration_unreadable"


def cache_key(tenant_id: int) -> str:
    return f"sms:config:{tenant_id}"


def merge_secrets(incoming: AppConfig, stored: AppConfig) -> AppConfig:
    """``incoming`` with every blank or missing secret taken from the stored provider.

    A provider keeps its secrets only if it is the same provider (same id and
    type): switching a provider from Twilio to Vonage must not send the Twilio
    token to Vonage.
    """
    merged: list[ProviderConfig] = []
    for provider in incoming.providers:
        previous = stored.provider(provider.id)
        secrets = {k: v for k, v in provider.secrets.items() if v}
        if previous is not None and previous.type == provider.type:
            for name, value in previous.secrets.items():
                secrets.setdefault(name, value)
        merged.append(provider.model_copy(update={"secrets": secrets}))
    return incoming.model_copy(update={"providers": merged})


def redacted(config: AppConfig) -> AppConfig:
    """A copy safe to hand to a browser: secret names kept, values blanked."""
    return config.model_copy(
        update={
            "providers": [
                p.model_copy(update={"secrets": dict.fromkeys(p.secrets, "")})
                for p in config.providers
            ]
        }
    )


def problems(config: AppConfig, egress: EgressPolicy | None = None) -> dict[str, str]:
    """Field path → message for what would stop the configuration from working
    (and, given the operator's ``egress`` policy, provider URLs it forbids)."""
    found: dict[str, str] = {}
    numbers = [
        (f"settings.staff_numbers.{i}", n) for i, n in enumerate(config.settings.staff_numbers)
    ]
    if config.settings.dry_run.enabled:
        numbers.append(("settings.dry_run.number", config.settings.dry_run.number))
    for i, rule in enumerate(config.rules):
        try:
            check_template(rule.template)
        except TemplateError as exc:
            found[f"rules.{i}.template"] = exc.message
        for language, text in rule.templates.items():
            try:
                check_template(text)
            except TemplateError as exc:
                found[f"rules.{i}.templates.{language}"] = exc.message
        numbers.extend(
            (f"rules.{i}.recipients.numbers.{j}", n) for j, n in enumerate(rule.recipients.numbers)
        )
    for path, number in numbers:
        try:
            staff_phone(number, config.settings)
        except InvalidPhoneNumber as exc:
            found[path] = exc.message
    for i, provider in enumerate(config.providers):
        try:
            cls = provider_class(provider.type)
        except ProviderConfigError as exc:
            found[f"providers.{i}.type"] = str(exc)
            continue
        for name, message in cls.validate_config(provider).items():
            found[f"providers.{i}.{name}"] = message
        if egress is not None:
            urls = cls.merchant_urls(provider).items()
            found.update(url_problems(((f"providers.{i}.{n}", u) for n, u in urls), egress))
    return found


class ConfigStore:
    """Load and save tenants' configurations (one instance serves every tenant)."""

    def __init__(
        self,
        services: Services,
        *,
        client_for: Callable[[Services, TenantRecord], SaleorClient] = saleor_client,
    ) -> None:
        self.services = services
        self._client_for = client_for

    # ---------------------------------------------------------------- reading

    def load(self, tenant: TenantRecord, *, fresh: bool = False) -> AppConfig:
        """The tenant's configuration with plain secrets; the defaults if none is stored."""
        return self.parse(self.stored(tenant, fresh=fresh))

    def stored(self, tenant: TenantRecord, *, fresh: bool = False) -> str | None:
        """The stored document, secrets still encrypted: from the Redis cache, else Saleor.

        Public so a hot path can keep its own parsed copy keyed by this text:
        a save drops the Redis copy, so a changed document is a different key.
        """
        raw: str | None = None
        cached = False
        if not fresh:
            raw, cached = self._cached(tenant.id)
        if not cached:
            raw, _ = self._fetch(tenant)
            self._cache(tenant.id, raw)
        return raw

    def parse(self, raw: str | None) -> AppConfig:
        """A stored document (encrypted secrets) as a configuration (plain secrets)."""
        if not raw:
            return default_config()
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise UnreadableConfiguration(
                f"The stored configuration ({CONFIG_KEY!r} in the app's private metadata) "
                f"is not valid JSON: {exc}. It was left untouched."
            ) from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("schema_version"), int):
            raise UnreadableConfiguration(
                f"The stored configuration ({CONFIG_KEY!r}) is not an SMS app configuration "
                "document. It was left untouched."
            )
        version = doc["schema_version"]
        if version > CURRENT_SCHEMA_VERSION:
            raise NewerConfiguration(
                f"The configuration was saved by a newer version of the SMS app (format "
                f"{version}, this app reads up to {CURRENT_SCHEMA_VERSION}). Upgrade the app; "
                "the configuration was not changed."
            )
        doc = self._migrate(doc)
        try:
            doc = self._decrypt_secrets(doc)
            return AppConfig.model_validate(doc)
        except DecryptionError as exc:
            raise UnreadableConfiguration(
                "A provider secret in the stored configuration cannot be decrypted: "
                "SECRET_KEY was probably changed without keeping the old key. Put the old key "
                "back (comma-separated after the new one) or enter the provider secrets again.",
                code="configuration_secret_undecryptable",
            ) from exc
        except ValidationError as exc:
            details = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
            raise UnreadableConfiguration(
                "The stored configuration does not validate; it was left untouched.",
                details=details,
            ) from exc

    def _migrate(self, doc: dict[str, Any]) -> dict[str, Any]:
        while doc["schema_version"] < CURRENT_SCHEMA_VERSION:
            step = MIGRATIONS.get(doc["schema_version"])
            if step is None:
                raise UnreadableConfiguration(
                    f"The stored configuration has format {doc['schema_version']}, which this "
                    "app cannot convert. It was left untouched."
                )
            doc = step(copy.deepcopy(doc))
        return doc

    def _decrypt_secrets(self, doc: dict[str, Any]) -> dict[str, Any]:
        doc = copy.deepcopy(doc)
        box = self.services.secret_box
        for provider in doc.get("providers") or []:
            if isinstance(provider, dict) and isinstance(provider.get("secrets"), dict):
                provider["secrets"] = {
                    name: box.decrypt(value) if value else ""
                    for name, value in provider["secrets"].items()
                }
        return doc

    def serialise(self, config: AppConfig) -> str:
        """The document as stored in Saleor: JSON with every secret encrypted."""
        doc = config.model_dump(mode="json")
        box = self.services.secret_box
        for provider in doc["providers"]:
            provider["secrets"] = {
                name: box.encrypt(value) if value else ""
                for name, value in provider["secrets"].items()
            }
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)

    def _fetch(self, tenant: TenantRecord) -> tuple[str | None, str]:
        """(stored document or None, the app's id) straight from Saleor."""
        data = self._client_for(self.services, tenant).execute("AppSmsConfig", {"key": CONFIG_KEY})
        app = data.get("app") or {}
        raw = app.get("privateMetafield")
        return (str(raw) if raw else None), str(app.get("id") or tenant.app_id)

    def _cached(self, tenant_id: int) -> tuple[str | None, bool]:
        try:
            value = self.services.redis.get(cache_key(tenant_id))
        except RedisError as exc:
            log.warning("configuration cache unavailable, reading Saleor: %s", exc)
            return None, False
        if value is None:
            return None, False
        text = value.decode() if isinstance(value, bytes) else str(value)
        return (text or None), True

    def _cache(self, tenant_id: int, raw: str | None) -> None:
        # "" caches "nothing stored yet", so new installs do not ask Saleor per webhook.
        try:
            self.services.redis.set(cache_key(tenant_id), raw or "", ex=CACHE_TTL_SECONDS)
        except RedisError as exc:
            log.warning("configuration cache unavailable: %s", exc)

    def invalidate(self, tenant_id: int) -> None:
        self.services.redis.delete(cache_key(tenant_id))

    # ---------------------------------------------------------------- writing

    def save(self, tenant: TenantRecord, config: AppConfig, *, expected_revision: int) -> AppConfig:
        """Store ``config`` if nobody saved since ``expected_revision``; returns what was stored.

        Blank secrets keep their stored values. Raises :class:`Conflict` (someone
        else saved), :class:`InvalidConfiguration` (field → message),
        :class:`NewerConfiguration` / :class:`UnreadableConfiguration` (the stored
        document is left alone).
        """
        lock = self.services.redis.lock(
            f"sms:config-save:{tenant.id}", timeout=30, blocking_timeout=SAVE_LOCK_WAIT_SECONDS
        )
        try:
            acquired = lock.acquire()
        except LockError:
            acquired = False
        if not acquired:
            raise Conflict("Someone else is saving the configuration right now; try again.")
        try:
            return self._save_locked(tenant, config, expected_revision)
        finally:
            try:
                lock.release()
            except LockError:
                log.warning("configuration save lock expired before the save finished")

    def _save_locked(
        self, tenant: TenantRecord, config: AppConfig, expected_revision: int
    ) -> AppConfig:
        raw, app_id = self._fetch(tenant)
        stored = self.parse(raw)
        if stored.revision != expected_revision:
            raise Conflict(
                "The configuration was changed by someone else since you opened it "
                f"(revision {stored.revision}, you started from {expected_revision}). "
                "Reload to see their changes.",
                details={"current_revision": stored.revision},
            )
        merged = merge_secrets(config, stored)
        found = problems(merged, self.services.settings.provider_egress)
        if found:
            raise InvalidConfiguration("The configuration has problems.", details=found)
        new = merged.model_copy(
            update={"revision": stored.revision + 1, "schema_version": CURRENT_SCHEMA_VERSION}
        )
        data = self._client_for(self.services, tenant).execute(
            "UpdateAppSmsConfig",
            {"id": app_id, "key": CONFIG_KEY, "value": self.serialise(new)},
        )
        errors = (data.get("updatePrivateMetadata") or {}).get("errors") or []
        if errors:
            messages = "; ".join(str(e.get("message") or e.get("code")) for e in errors)
            raise SaleorGraphQLError(
                f"Saleor refused to store the configuration: {messages}", details=errors
            )
        self.invalidate(tenant.id)
        return new


def load_provider(
    services: Services, tenant_id: int, provider_id: str
) -> tuple[TenantRecord, AppConfig, ProviderConfig]:
    """An installed tenant, its configuration and one of its providers, for a dashboard
    button that acts on that provider (test message, balance); NotFound otherwise."""
    tenant = get_tenant_by_id(services, tenant_id)
    if tenant is None or not tenant.is_installed:
        raise NotFound("this shop is not installed")
    config = ConfigStore(services).load(tenant)
    provider = config.provider(provider_id)
    if provider is None:
        raise NotFound(f"this shop has no provider {provider_id}")
    return tenant, config, provider
