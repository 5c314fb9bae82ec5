"""Who is calling the dashboard API: verify the token the Saleor Dashboard minted.

The Dashboard hands the app page a short-lived RS256 JWT (``handshake`` /
``tokenRefresh``); the page sends it back on every API call with the
``Saleor-Api-Url`` it came from. That header only *names* a tenant: nothing in
it is trusted until the token verifies against that tenant's own JWKS, its
``iss`` equals the same URL (a token from another Saleor cannot be replayed
here) and its ``app`` equals the app id that tenant installed (a token minted
for another app on the same Saleor cannot be replayed either).

app-sdk's ``verifyJWT`` skips the ``iss`` check and accepts whatever algorithm
the header names through ``jose``; we pin RS256 and check both. Permissions come
from ``user_permissions`` (all of the staff user's), like the SDK: the
``permissions`` claim is the narrower app ∩ user set and would lock out a shop
owner whose app was installed with only MANAGE_ORDERS.

The tenant's keys (parsed, cached, re-fetched at most once a minute when a
``kid`` is unknown) come from :mod:`~saleor_sms_app.saleor.jwks`, shared with
the webhook signature check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from saleor_sms_app.errors import Forbidden, Unauthorized
from saleor_sms_app.saleor import jwks
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant
from saleor_sms_app.services import Services

#: Read the message log, preview against orders, see balances.
READ_PERMISSION = "MANAGE_ORDERS"
#: Change providers, rules and settings; send test messages.
WRITE_PERMISSION = "MANAGE_APPS"

#: The clock; tests replay the captured tokens by freezing it at their ``iat``.
now: Callable[[], float] = time.time


@dataclass(frozen=True)
class DashboardUser:
    """A verified staff user of one tenant, as the dashboard token describes them."""

    tenant: TenantRecord
    user_id: str
    email: str
    permissions: frozenset[str]
    expires_at: int

    @property
    def tenant_id(self) -> int:
        return self.tenant.id

    @property
    def saleor_api_url(self) -> str:
        return self.tenant.saleor_api_url

    def require(self, permission: str) -> None:
        """Raise 403 naming the missing permission (the page shows the message)."""
        if permission not in self.permissions:
            raise Forbidden(
                f"your Saleor account lacks the {permission} permission needed for this",
                code="missing_permission",
                details={"required": permission},
            )


def bearer_token(headers: Any) -> str:
    """The token from ``Authorization-Bearer`` (app-sdk's header) or ``Authorization: Bearer``."""
    token = str(headers.get("Authorization-Bearer") or "").strip()
    if not token:
        scheme, _, value = str(headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer":
            token = value.strip()
    if not token:
        raise Unauthorized(
            "the request carries no dashboard token; open the app from the Saleor dashboard",
            code="token_missing",
        )
    return token


def verify_dashboard_token(services: Services, token: str, saleor_api_url: str) -> DashboardUser:
    """Verify ``token`` for the tenant at ``saleor_api_url``; 401 with a reason otherwise."""
    if not saleor_api_url:
        raise Unauthorized("the Saleor-Api-Url header is missing", code="api_url_missing")
    tenant = get_tenant(services, saleor_api_url)
    if tenant is None:
        raise Unauthorized(
            "this Saleor has not installed the app (Saleor-Api-Url is unknown)",
            code="unknown_tenant",
        )
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("the dashboard token is not a JWT", code="token_invalid") from None
    if header.get("alg") != "RS256":
        raise Unauthorized("the dashboard token is not signed with RS256", code="token_invalid")
    kid = str(header.get("kid") or "")
    key = jwks.keys_of(tenant).get(kid)
    if key is None:
        # Saleor's kid is the key's thumbprint: an unknown one means a rotated key (or a forgery).
        fresh = jwks.refetch(services, tenant)
        key = jwks.keys_of(fresh).get(kid) if fresh is not None else None
    if key is None:
        raise Unauthorized(
            "the dashboard token was not signed by this Saleor", code="token_invalid"
        )
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            # exp is checked below against our own clock; aud is unused by Saleor.
            options={"require": ["exp"], "verify_exp": False, "verify_aud": False},
            issuer=saleor_api_url,
        )
    except jwt.InvalidIssuerError:
        raise Unauthorized(
            "the dashboard token was issued by another Saleor", code="token_foreign_tenant"
        ) from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the dashboard token is invalid: {exc}", code="token_invalid") from None
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now():
        raise Unauthorized(
            "the dashboard token has expired; reload the app page", code="token_expired"
        )
    if claims.get("app") != tenant.app_id:
        raise Unauthorized(
            "the dashboard token was minted for another app", code="token_foreign_app"
        )
    raw_permissions = claims.get("user_permissions") or []
    if not isinstance(raw_permissions, list):
        raise Unauthorized("the dashboard token has malformed permissions", code="token_invalid")
    return DashboardUser(
        tenant=tenant,
        user_id=str(claims.get("user_id") or ""),
        email=str(claims.get("email") or ""),
        permissions=frozenset(str(p) for p in raw_permissions),
        expires_at=int(exp),
    )
