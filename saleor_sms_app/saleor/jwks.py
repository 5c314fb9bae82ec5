"""A tenant's Saleor signing keys: fetched, parsed once, re-fetched sparingly.

Saleor signs two things with the same RSA key and publishes it at
``<origin>/.well-known/jwks.json``: webhook bodies (``signatures.py``) and the
dashboard tokens (``dashboard_auth.py``). Both checks read the keys here, so
there is one parsed-key cache and one re-fetch gate per tenant.

Saleor rotates its key when the operator changes it; a check that meets an
unknown ``kid`` or a failing signature asks for :func:`refetch`, which fetches
the JWKS again at most once a minute per tenant (across processes, through a
Redis key) so a flood of forged requests cannot turn us into a JWKS-fetching
machine. Parsed public keys are cached per JWKS document in the process: the
hot path does no JSON or key parsing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from redis.exceptions import RedisError

from saleor_sms_app.errors import QueueUnavailable, Unauthorized
from saleor_sms_app.saleor import tenants
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

#: Saleor waits for our answer; a JWKS fetch must not eat that time.
JWKS_TIMEOUT = (2.0, 5.0)
#: Minimum time between two JWKS re-fetches for one tenant.
REFETCH_INTERVAL_SECONDS = 60
JWKS_PATH = "/.well-known/jwks.json"


class JwksUnavailable(Unauthorized):
    code = "JWKS_NOT_AVAILABLE"


def jwks_url(saleor_api_url: str) -> str:
    """Where the Saleor behind this API URL publishes its keys."""
    return tenants.origin_of(saleor_api_url) + JWKS_PATH


def fetch_jwks(services: Services, saleor_api_url: str) -> dict[str, Any]:
    """Download and sanity-check the JWKS; :class:`JwksUnavailable` when it cannot be used."""
    url = jwks_url(saleor_api_url)
    try:
        response = services.http.get(url, timeout=JWKS_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        raise JwksUnavailable(f"could not fetch the Saleor JWKS from {url}: {exc}") from exc
    if response.status_code != 200:
        raise JwksUnavailable(f"the Saleor JWKS at {url} answered {response.status_code}")
    try:
        jwks = response.json()
    except ValueError as exc:
        raise JwksUnavailable(f"the Saleor JWKS at {url} is not JSON") from exc
    if not isinstance(jwks, dict) or not public_keys(jwks):
        raise JwksUnavailable(f"the Saleor JWKS at {url} holds no usable RS256 key")
    return jwks


def public_keys(jwks: dict[str, Any]) -> dict[str, RSAPublicKey]:
    """kid → RSA public key for every usable signing key of a JWKS document."""
    keys: dict[str, RSAPublicKey] = {}
    entries = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(entries, list):
        return keys
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") != "RS256":
            continue
        try:
            key = jwt.PyJWK(entry, algorithm="RS256").key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
        if isinstance(key, RSAPublicKey):
            keys[str(entry.get("kid", ""))] = key
    return keys


@dataclass(frozen=True)
class _ParsedJwks:
    #: The exact document the keys came from; held so its id() is not reused.
    source: dict[str, Any]
    keys: dict[str, RSAPublicKey]


_parsed: dict[int, _ParsedJwks] = {}
_parsed_lock = threading.Lock()


def keys_of(tenant: TenantRecord) -> dict[str, RSAPublicKey]:
    """The tenant's parsed keys, parsed once per JWKS document (tenant records are cached)."""
    cached = _parsed.get(tenant.id)
    if cached is not None and cached.source is tenant.jwks:
        return cached.keys
    parsed = _ParsedJwks(tenant.jwks, public_keys(tenant.jwks))
    with _parsed_lock:
        _parsed[tenant.id] = parsed
    return parsed.keys


def _may_refetch(services: Services, tenant: TenantRecord) -> bool:
    """True for the first caller in a minute, across every process sharing Redis."""
    try:
        return bool(
            services.redis.set(
                f"sms:jwks-refetch:{tenant.id}", "1", nx=True, ex=REFETCH_INTERVAL_SECONDS
            )
        )
    except RedisError as exc:
        raise QueueUnavailable("Redis is not available") from exc


def refetch(services: Services, tenant: TenantRecord) -> TenantRecord | None:
    """The tenant with its JWKS fetched again and stored if it changed.

    ``None`` when another check already re-fetched within the interval or the
    fetch failed: the caller refuses the request with its own reason, and the
    stored keys stay as they were.
    """
    if not _may_refetch(services, tenant):
        return None
    try:
        jwks = fetch_jwks(services, tenant.saleor_api_url)
    except JwksUnavailable as exc:
        log.warning("tenant %s: %s", tenant.id, exc.message)
        return None
    if jwks == tenant.jwks:
        return tenant
    log.info("tenant %s: Saleor signing keys changed, stored the new JWKS", tenant.id)
    return tenants.update_jwks(services, tenant, jwks)
