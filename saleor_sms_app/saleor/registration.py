"""Registration: Saleor hands us an app token at ``tokenTargetUrl``.

Anyone can POST a token here, so nothing is stored until it is proven:

1. the claimed ``Saleor-Api-Url`` must be allowed by ``ALLOWED_SALEOR_API_URLS``
   (full match), otherwise any Saleor on the internet could install us and we
   would make requests to addresses a stranger chose;
2. the token must work against that URL (``{ app { id } }`` answers an id);
3. the Saleor's JWKS must be fetchable, or no webhook could ever be verified.

Errors carry the codes and messages Saleor shows to the merchant when an
install fails. Timeouts are short: Saleor gives up on us after 18 seconds.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from saleor_sms_app.errors import BadRequest, Forbidden, SmsAppError, Unauthorized
from saleor_sms_app.saleor import tenants
from saleor_sms_app.saleor.client import SaleorClient
from saleor_sms_app.saleor.jwks import fetch_jwks
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

#: Seconds for proving the token; with the JWKS fetch this stays well under Saleor's 18 s.
PROVE_TIMEOUT_SECONDS = 6.0


def register(
    services: Services,
    *,
    saleor_api_url: str,
    saleor_domain: str,
    schema_version: str,
    body: bytes,
) -> TenantRecord:
    """Check, prove and store one install; raise an :class:`SmsAppError` Saleor can show."""
    if not saleor_api_url:
        raise BadRequest("the Saleor-Api-Url header is missing", code="MISSING_SALEOR_API_URL")
    parts = urlsplit(saleor_api_url)
    if not services.settings.allowed_saleor_api_urls.fullmatch(saleor_api_url) or not (
        parts.scheme in {"http", "https"} and parts.netloc
    ):
        log.warning("registration refused: %s is not allow-listed", saleor_api_url)
        raise Forbidden(
            f"This app does not accept installations from {saleor_api_url}; "
            "ask its operator to add it to ALLOWED_SALEOR_API_URLS.",
            code="SALEOR_URL_PROHIBITED",
        )
    token = _auth_token(body)
    app_id = _prove_token(services, saleor_api_url, token)
    jwks = fetch_jwks(services, saleor_api_url)
    tenant = tenants.save_tenant(
        services,
        saleor_api_url=saleor_api_url,
        saleor_domain=saleor_domain or parts.netloc,
        app_id=app_id,
        token=token,
        jwks=jwks,
        saleor_version=schema_version,
    )
    log.info("installed into %s (tenant %s, app %s)", saleor_api_url, tenant.id, app_id)
    return tenant


def _auth_token(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the request body is not JSON", code="INVALID_BODY") from exc
    token = payload.get("auth_token") if isinstance(payload, dict) else None
    if not isinstance(token, str) or not token.strip():
        raise BadRequest("the request body has no auth_token", code="MISSING_AUTH_TOKEN")
    return token.strip()


def _prove_token(services: Services, saleor_api_url: str, token: str) -> str:
    client = SaleorClient(
        saleor_api_url, token, session=services.http, timeout=PROVE_TIMEOUT_SECONDS
    )
    try:
        data = client.execute("AppId")
    except SmsAppError as exc:
        log.warning("registration: token check against %s failed: %s", saleor_api_url, exc)
        raise Unauthorized(
            f"Saleor at {saleor_api_url} did not confirm the app token: {exc.message}",
            code="UNKNOWN_APP_ID",
        ) from exc
    app = data.get("app")
    app_id = app.get("id") if isinstance(app, dict) else None
    if not isinstance(app_id, str) or not app_id:
        raise Unauthorized(
            f"Saleor at {saleor_api_url} did not return an app id for the token",
            code="UNKNOWN_APP_ID",
        )
    return app_id
