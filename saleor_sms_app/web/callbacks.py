"""What every provider callback shares: the tenant's secret URL, the provider's
adapter, the framework-free request and the provider's own signature.

Delivery reports (:mod:`.delivery_reports`) and inbound texts (:mod:`.inbound`)
are authenticated the same way: the per-tenant secret in the URL, compared in
constant time (even for an unknown tenant, so timing says nothing about which
exist), then the signature of providers that sign (Twilio, Plivo, Vonage with a
signature secret) through their adapter. Every refusal raises before anything
is read or stored.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from flask import current_app, request

from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.errors import NotFound, Unauthorized
from saleor_sms_app.providers import build_provider
from saleor_sms_app.providers.base import CallbackRequest, SmsProvider
from saleor_sms_app.providers.models import ProviderConfigError
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant_by_id
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderCall:
    """An authenticated provider callback, ready to parse."""

    services: Services
    tenant: TenantRecord
    config: AppConfig
    provider: ProviderConfig
    adapter: SmsProvider
    request: CallbackRequest


def authenticated_tenant(tenant_id: int, secret: str) -> tuple[Services, TenantRecord]:
    """The tenant whose callback secret ``secret`` is; 401 otherwise."""
    services: Services = current_app.extensions["sms_app"]
    tenant = get_tenant_by_id(services, tenant_id)
    expected = (tenant.callback_secret if tenant else None) or ""
    if not hmac.compare_digest(expected.encode(), secret.encode()) or tenant is None:
        raise Unauthorized("unknown tenant or wrong callback secret")
    return services, tenant


def provider_call(
    services: Services, tenant: TenantRecord, provider_id: str, what: str
) -> ProviderCall:
    """Build the adapter and check the provider's signature on the current request.

    ``what`` names the kind of request in the refusal ("delivery report").
    """
    config = ConfigStore(services).load(tenant)
    provider = config.provider(provider_id)
    if provider is None:
        raise NotFound(f"this shop has no provider {provider_id}")
    try:
        adapter = build_provider(provider, services.provider_context())
    except ProviderConfigError as exc:
        raise NotFound(f"provider {provider_id} is not usable: {exc}") from None
    callback = CallbackRequest(
        method=request.method,
        url=_url_as_called(services),
        headers=dict(request.headers),
        body=request.get_data(cache=True),
        form=request.form.to_dict() if request.method == "POST" else {},
        query=request.args.to_dict(),
    )
    if not adapter.verify_callback(callback):
        log.warning("forged or unsigned %s %s for tenant %s", provider.type, what, tenant.id)
        raise Unauthorized(f"the {adapter.label} signature of this {what} is missing or wrong")
    return ProviderCall(services, tenant, config, provider, adapter, callback)


def _url_as_called(services: Services) -> str:
    """The URL the provider signed: our public APP_URL plus the path and query.

    ``request.url`` behind a TLS-terminating proxy says http:// and an internal
    host, which would fail every signature; the callback URL we gave the
    provider was built from APP_URL, so rebuild it the same way.
    """
    query = request.query_string.decode()
    return services.settings.app_url + request.path + (f"?{query}" if query else "")
