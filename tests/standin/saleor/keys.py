"""The stand-in's RSA signing key: JWKS, webhook signatures and dashboard tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.standin.saleor.schema import global_id
from tests.standin.saleor.state import StandinState


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA JWK: what Saleor uses as ``kid``."""
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    return _b64url(hashlib.sha256(canonical.encode()).digest())


class SigningKeys(StandinState):
    """The key methods of :class:`~tests.standin.saleor.server.SaleorStandin`."""

    @property
    def kid(self) -> str:
        return jwk_thumbprint(self._public_jwk_numbers())

    def _public_jwk_numbers(self) -> dict[str, str]:
        numbers = self._key.public_key().public_numbers()
        return {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}

    def jwks(self) -> dict[str, Any]:
        """The JWKS as Saleor serves it: the one current key."""
        jwk = self._public_jwk_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "key_ops": ["verify"],
                    "n": jwk["n"],
                    "e": jwk["e"],
                    "use": "sig",
                    "kid": jwk_thumbprint(jwk),
                    "alg": "RS256",
                }
            ]
        }

    def rotate_key(self) -> str:
        """Replace the signing key (the operator changed RSA_PRIVATE_KEY); returns the new kid."""
        self._key = _fresh_key()
        return self.kid

    def sign(self, body: bytes) -> str:
        """``Saleor-Signature`` for a raw body: detached JWS, unencoded payload (RFC 7797)."""
        header = {"alg": "RS256", "b64": False, "crit": ["b64"], "kid": self.kid, "typ": "JWT"}
        encoded_header = _b64url(json.dumps(header, separators=(",", ":")).encode())
        signature = self._key.sign(
            encoded_header.encode() + b"." + body, padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{encoded_header}..{_b64url(signature)}"

    def dashboard_token(
        self,
        app_id: str | None = None,
        *,
        permissions: Iterable[str] = ("MANAGE_ORDERS",),
        user_permissions: Iterable[str] | None = None,
        exp_in: int = 300,
        iss: str | None = None,
        app: str | None = None,
        email: str = "admin@example.com",
        is_staff: bool = True,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
    ) -> str:
        """A dashboard (App Bridge) token with the claims of a real one.

        ``app`` overrides the ``app`` claim (for tokens of another app);
        ``exp_in`` may be negative for an expired token; ``key`` signs with a
        key that is not in the JWKS (a forged token); ``kid`` names a key the
        JWKS does not hold.
        """
        now = int(time.time())
        permissions = list(permissions)
        claims = {
            "iat": now,
            "owner": "saleor",
            "iss": iss if iss is not None else self.api_url,
            "exp": now + exp_in,
            "token": secrets.token_urlsafe(9),
            "email": email,
            "type": "thirdparty",
            "user_id": global_id("User", 21),
            "is_staff": is_staff,
            "app": app if app is not None else (app_id or self.app_id),
            "permissions": permissions,
            "user_permissions": (
                list(user_permissions) if user_permissions is not None else permissions
            ),
        }
        return self.sign_jwt(claims, key=key, kid=kid)

    def sign_jwt(
        self,
        claims: Mapping[str, Any],
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
    ) -> str:
        """An RS256 JWT of arbitrary ``claims`` with this Saleor's key (for malformed tokens)."""
        return jwt.encode(
            dict(claims),
            key or self._key,
            algorithm="RS256",
            headers={"kid": kid if kid is not None else self.kid, "typ": "JWT"},
        )


#: Keys of stopped stand-ins, handed to the next ones: generating a key costs
#: 50-150 ms and most tests start a stand-in. A key is only here while no running
#: stand-in holds it, so two live Saleors never share a key.
_spare_keys: list[rsa.RSAPrivateKey] = []
_spare_keys_lock = threading.Lock()


def _fresh_key() -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key no running stand-in holds, like the one Saleor generates."""
    with _spare_keys_lock:
        if _spare_keys:
            return _spare_keys.pop()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _release_key(key: rsa.RSAPrivateKey) -> None:
    with _spare_keys_lock:
        _spare_keys.append(key)
