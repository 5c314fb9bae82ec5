"""``/api/delivery-reports/<tenant_id>/<provider_id>/<secret>``: provider callbacks.

Thin on purpose: authenticate (the tenant's secret in the URL compared in
constant time, then the provider's own signature through its adapter), let the
adapter parse, let :mod:`saleor_sms_app.delivery` apply. Every refusal is a
4xx JSON reason and changes nothing. A 5xx (database down) makes providers
retry later, which is what we want then. HEAD is answered (some providers
probe the URL before they save it) without touching anything.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.delivery import apply_events, sending_now
from saleor_sms_app.errors import BadRequest, MessageStillSending, NotFound, Unauthorized
from saleor_sms_app.providers import build_provider
from saleor_sms_app.providers.base import CallbackRequest
from saleor_sms_app.providers.models import ProviderConfigError
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant_by_id
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

bp = Blueprint("delivery_reports", __name__)

ROUTE = "/api/delivery-reports/<int:tenant_id>/<provider_id>/<secret>"


@bp.route(ROUTE, methods=["GET", "POST", "PUT", "HEAD"])
def delivery_report(tenant_id: int, provider_id: str, secret: str) -> Response:
    services: Services = current_app.extensions["sms_app"]
    tenant = get_tenant_by_id(services, tenant_id)
    expected = (tenant.callback_secret if tenant else None) or ""
    # Compare even for an unknown tenant so timing says nothing about which exist.
    if not hmac.compare_digest(expected.encode(), secret.encode()) or tenant is None:
        raise Unauthorized("unknown tenant or wrong callback secret")
    if request.method == "HEAD":
        return Response(status=200)
    config = _provider_config(services, tenant, provider_id)
    try:
        adapter = build_provider(config, services.provider_context())
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
        log.warning("forged or unsigned %s delivery report for tenant %s", config.type, tenant_id)
        raise Unauthorized(f"the {adapter.label} signature of this report is missing or wrong")
    events = adapter.parse_callback(callback)
    if not events:
        raise BadRequest("no delivery report found in this request")
    with session_scope(services.sessions) as session:
        applied = apply_events(
            session, tenant_id, config.id, config.type, events, hint_for=adapter.hint_for
        )
        if not applied.matched:
            session.rollback()
            if sending_now(session, tenant_id):
                raise MessageStillSending(
                    "a message of this shop is being sent right now and its provider id is "
                    "not recorded yet; send the report again"
                )
            raise NotFound(
                "no message sent through this provider has the id " + ", ".join(applied.unknown[:5])
            )
    if applied.unknown:
        log.info("delivery report for unknown message ids %s", applied.unknown[:5])
    if adapter.callback_ok_body is not None:
        return Response(adapter.callback_ok_body, status=200, content_type="text/plain")
    return jsonify(
        {"success": True, "applied": len(applied.matched), "unknown": len(applied.unknown)}
    )


def _provider_config(services: Services, tenant: TenantRecord, provider_id: str) -> ProviderConfig:
    config = ConfigStore(services).load(tenant).provider(provider_id)
    if config is None:
        raise NotFound(f"this shop has no provider {provider_id}")
    return config


def _url_as_called(services: Services) -> str:
    """The URL the provider signed: our public APP_URL plus the path and query.

    ``request.url`` behind a TLS-terminating proxy says http:// and an internal
    host, which would fail every signature; the callback URL we gave the
    provider was built from APP_URL, so rebuild it the same way.
    """
    query = request.query_string.decode()
    return services.settings.app_url + request.path + (f"?{query}" if query else "")
