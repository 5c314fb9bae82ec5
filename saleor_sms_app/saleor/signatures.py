"""Proving that a webhook body comes from the tenant's Saleor.

Saleor signs the raw body with a detached RS256 JWS (RFC 7797, ``b64: false``):
``Saleor-Signature: <b64url header>..<b64url signature>``, signing input = the
encoded header, a dot and the raw body bytes. We verify the raw bytes before
anything parses them, with the algorithm pinned to RS256 so a forged header
cannot pick ``none`` or HMAC.

Saleor rotates its key when the operator changes it; a signature that does not
verify against the stored JWKS therefore triggers one re-fetch of
``<origin>/.well-known/jwks.json`` (at most once a minute per tenant, across
processes, through a Redis key) before the request is refused, so a flood of
forged requests cannot turn us into a JWKS-fetching machine.

Parsed public keys are cached per JWKS document in the process: the hot path
does no JSON or key parsing beyond the JWS header.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm
from redis.exceptions import RedisError

from saleor_sms_app.errors import QueueUnavailable, Unauthorized
from saleor_sms_app.saleor import tenants
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

ALGORITHMS = ["RS256"]
#: Saleor waits for our answer; a JWKS fetch must not eat that time.
JWKS_TIMEOUT = (2.0, 5.0)
#: Minimum time between two JWKS re-fetches for one tenant.
REFETCH_INTERVAL_SECONDS = 60
JWKS_PATH = "/.well-known/jwks.json"

_RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)
_MAX_CACHED_HEADERS = 256
_headers: dict[str, str | None] = {}


class JwksUnavailable(Unauthorized):
    code = "JWKS_NOT_AVAILABLE"


def jwks_url(saleor_api_url: str) -> str:
    """Where the Saleor behind this API URL publishes its keys."""
    parts = urlsplit(saleor_api_url)
    return f"{parts.scheme}://{parts.netloc}{JWKS_PATH}"


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
    entries = jwks.get("keys")
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


def _keys_of(tenant: TenantRecord) -> dict[str, RSAPublicKey]:
    """The tenant's parsed keys, parsed once per JWKS document (tenant records are cached)."""
    cached = _parsed.get(tenant.id)
    if cached is not None and cached.source is tenant.jwks:
        return cached.keys
    parsed = _ParsedJwks(tenant.jwks, public_keys(tenant.jwks))
    with _parsed_lock:
        _parsed[tenant.id] = parsed
    return parsed.keys


def _b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _kid_of(encoded_header: str) -> str | None:
    """The ``kid`` of an acceptable protected header, ``None`` for any other header.

    Acceptable means exactly what Saleor sends: RS256 (pinned: a header naming
    ``none`` or an HMAC algorithm is refused here, before any key is touched)
    and an unencoded payload declared critical (RFC 7797). Saleor uses one
    header per key, so the parse is cached; the cache is bounded so forged
    headers cannot grow it without limit.
    """
    if encoded_header in _headers:
        return _headers[encoded_header]
    kid: str | None = None
    try:
        header = json.loads(_b64url_decode(encoded_header))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        header = None
    if (
        isinstance(header, dict)
        and header.get("alg") in ALGORITHMS
        and header.get("b64") is False
        and header.get("crit") == ["b64"]
    ):
        kid = str(header.get("kid", ""))
    if len(_headers) < _MAX_CACHED_HEADERS:
        _headers[encoded_header] = kid
    return kid


def signature_matches(keys: dict[str, RSAPublicKey], signature: str, body: bytes) -> bool:
    """Whether ``signature`` is a valid detached RS256 JWS of ``body`` by one of ``keys``.

    The signature is checked by PyJWT's RS256 implementation over
    ``<encoded header>.<raw body>``; only the parsing around it is ours, because
    PyJWT's general-purpose token parser costs three times the RSA check itself
    on this hot path.
    """
    encoded_header, dot, rest = signature.partition(".")
    payload, dot2, encoded_signature = rest.partition(".")
    if not dot or not dot2 or payload:
        return False  # not a detached JWS
    kid = _kid_of(encoded_header)
    if kid is None:
        return False
    try:
        raw_signature = _b64url_decode(encoded_signature)
    except (ValueError, binascii.Error):
        return False
    key = keys.get(kid)
    # A header without kid is still checked against every key (there is usually one).
    candidates = [key] if key is not None else (list(keys.values()) if not kid else [])
    signing_input = encoded_header.encode() + b"." + body
    return any(_RS256.verify(signing_input, k, raw_signature) for k in candidates)


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


def verify_webhook(
    services: Services, tenant: TenantRecord, signature: str | None, body: bytes
) -> TenantRecord:
    """Return the tenant (with a fresh JWKS if one was fetched) or raise :class:`Unauthorized`."""
    if not signature:
        raise Unauthorized("the Saleor-Signature header is missing", code="signature_missing")
    if signature_matches(_keys_of(tenant), signature, body):
        return tenant
    if not _may_refetch(services, tenant):
        raise Unauthorized("the webhook signature does not verify", code="signature_invalid")
    try:
        jwks = fetch_jwks(services, tenant.saleor_api_url)
    except JwksUnavailable as exc:
        log.warning("tenant %s: %s", tenant.id, exc.message)
        raise Unauthorized(
            "the webhook signature does not verify", code="signature_invalid"
        ) from exc
    if jwks != tenant.jwks:
        log.info("tenant %s: Saleor signing keys changed, stored the new JWKS", tenant.id)
        tenant = tenants.update_jwks(services, tenant, jwks)
    if signature_matches(_keys_of(tenant), signature, body):
        return tenant
    raise Unauthorized("the webhook signature does not verify", code="signature_invalid")
