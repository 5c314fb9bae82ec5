"""Authenticated encryption of secrets at rest (Saleor tokens, provider credentials).

Fernet (AES-128-CBC + HMAC-SHA256) through MultiFernet: the first key of
``SECRET_KEY`` encrypts, every key decrypts, so an operator rotates by putting
a new key first, running ``python -m saleor_sms_app.cli rotate-secrets``, and
then dropping the old one. Values carry a ``v1:`` prefix so the format can change
later without guessing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from saleor_sms_app.errors import PermanentError

PREFIX = "v1:"


class DecryptionError(PermanentError):
    """A stored secret that none of the configured keys opens (wrong or rotated-away key)."""

    code = "secret_undecryptable"


def _fernet_key(secret: str) -> bytes:
    # SECRET_KEY is any long string; Fernet wants 32 url-safe base64 bytes.
    # The label keeps these keys apart from any other use of the same secret.
    digest = hashlib.sha256(b"saleor-sms-app/secrets/v1\x00" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


class SecretBox:
    """Encrypts and decrypts short strings with the app's keys."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        if not secret_keys:
            raise ValueError("at least one secret key is needed")
        self._fernet = MultiFernet([Fernet(_fernet_key(k)) for k in secret_keys])

    def encrypt(self, plaintext: str) -> str:
        return PREFIX + self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, stored: str) -> str:
        return self._open(self._fernet.decrypt, stored).decode()

    def rotate(self, stored: str) -> str:
        """Re-encrypt with the first (newest) key."""
        return PREFIX + self._open(self._fernet.rotate, stored).decode()

    @staticmethod
    def _open(operation: Callable[[bytes], bytes], stored: str) -> bytes:
        """Run a Fernet operation on a stored secret; :class:`DecryptionError` says why not."""
        if not stored.startswith(PREFIX):
            raise DecryptionError("stored secret has an unknown format")
        try:
            return operation(stored[len(PREFIX) :].encode())
        except InvalidToken as exc:
            raise DecryptionError(
                "a stored secret cannot be decrypted with the configured SECRET_KEY"
            ) from exc

    @staticmethod
    def is_encrypted(value: str) -> bool:
        return value.startswith(PREFIX)
