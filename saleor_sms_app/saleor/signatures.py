"""Proving that a webhook body comes from the tenant's Saleor.

Saleor signs the raw body with a detached RS256 JWS (RFC 7797, ``b64: false``):
``Saleor-Signature: <b64url header>..<b64url signature>``, signing input = the
encoded header, a dot and the raw body bytes. We verify the raw bytes before
anything parses them, with the algorithm pinned to RS256 so a forged header
cannot pick ``none`` or HMAC.

Saleor rotates its key when the operator changes it; a signature that does not
verify against the stored keys therefore asks :mod:`~saleor_sms_app.saleor.jwks`
for one re-fetch (rate limited per tenant there) before the request is refused.
The tenant's keys come parsed and cached from there too, so the hot path does
no JSON or key parsing beyond the JWS header.
"""

from __future__ import annotations

import base64
import binascii
import json

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from saleor_sms_app.errors import Unauthorized
from saleor_sms_app.saleor import jwks
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services

ALGORITHMS = ["RS256"]

_RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)
_MAX_CACHED_HEADERS = 256
_headers: dict[str, str | None] = {}


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


def verify_webhook(
    services: Services, tenant: TenantRecord, signature: str | None, body: bytes
) -> TenantRecord:
    """Return the tenant (with a fresh JWKS if one was fetched) or raise :class:`Unauthorized`."""
    if not signature:
        raise Unauthorized("the Saleor-Signature header is missing", code="signature_missing")
    if signature_matches(jwks.keys_of(tenant), signature, body):
        return tenant
    fresh = jwks.refetch(services, tenant)
    if fresh is not None and signature_matches(jwks.keys_of(fresh), signature, body):
        return fresh
    raise Unauthorized("the webhook signature does not verify", code="signature_invalid")
