"""Encryption at rest for OAuth tokens and PKCE verifiers (RELIABILITY 2.1).

Encryption is **mandatory**: [`SqlStorage`][meetlink.adapters.sqlalchemy.unit_of_work.SqlStorage]
refuses to start without at least one key, and never generates one silently. Keys come from the host
(an environment variable or a secret manager); tests, the sandbox and the demo call
[`generate_key`][meetlink.adapters.sqlalchemy.crypto.generate_key].

- Fernet (AES-128-CBC + HMAC-SHA256) through ``MultiFernet``: the **first** key encrypts, every
  key decrypts, so rotation is "prepend the new key, ``SqlStorage.rotate_keys()``, drop the old
  key" with no code change.
- Fernet has no associated data, so each plaintext is a JSON document that names the row it
  belongs to (``{"row": "link:<id>", ...}``). A ciphertext copied onto another row decrypts
  but fails that check (RELIABILITY scenario 9) and raises
  [`CredentialError`][meetlink.errors.CredentialError].
- Errors name the problem (which row, which key) and never carry the secret or a library
  message.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from meetlink.errors import ConfigurationError, CredentialError

__all__ = ["TokenCipher", "generate_key"]


def generate_key() -> str:
    """A fresh Fernet key (32 random bytes, url-safe base64) for ``encryption_keys``."""
    return Fernet.generate_key().decode("ascii")


def _fernet(key: object, position: int) -> Fernet:
    if not isinstance(key, str | bytes):
        raise ConfigurationError(
            f"encryption key #{position} is a {type(key).__name__}, not a key: pass strings "
            "made by meetlink.adapters.sqlalchemy.generate_key()"
        )
    raw = key.encode("ascii", "replace") if isinstance(key, str) else key
    try:
        decoded = base64.urlsafe_b64decode(raw)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 32:
        raise ConfigurationError(
            f"encryption key #{position} is malformed: a key is 32 bytes in url-safe base64 "
            "(44 characters); make one with meetlink.adapters.sqlalchemy.generate_key()"
        )
    return Fernet(raw)


class TokenCipher:
    """Encrypts small JSON documents bound to a row; the first key encrypts, all decrypt."""

    def __init__(self, keys: Sequence[str | bytes] | None) -> None:
        if not isinstance(keys, Sequence) or isinstance(keys, str | bytes) or len(keys) == 0:
            raise ConfigurationError(
                "encryption_keys is required: OAuth tokens are encrypted at rest; pass a list "
                "of keys (newest first), e.g. [meetlink.adapters.sqlalchemy.generate_key()]"
            )
        self._fernet = MultiFernet([_fernet(k, i) for i, k in enumerate(keys, start=1)])

    def encrypt(self, row: str, fields: dict[str, Any]) -> str:
        """Ciphertext of ``fields`` bound to ``row`` (e.g. ``"link:<id>"``)."""
        document = json.dumps({"row": row, **fields}, separators=(",", ":"))
        return self._fernet.encrypt(document.encode("utf-8")).decode("ascii")

    def decrypt(self, row: str, ciphertext: str, what: str) -> dict[str, Any]:
        """The fields stored for ``row``; [`CredentialError`][meetlink.errors.CredentialError] when
        unreadable or moved.

        ``what`` names the secret in error messages (e.g. ``"tokens of link 42"``)."""
        try:
            plain = self._fernet.decrypt(ciphertext.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            raise CredentialError(
                f"stored {what} cannot be decrypted with the configured encryption keys "
                "(wrong key, a key rotated out too early, or a corrupted value)"
            ) from None
        try:
            document = json.loads(plain)
        except ValueError:
            raise CredentialError(f"stored {what} decrypted to an unreadable document") from None
        if not isinstance(document, dict) or document.get("row") != row:
            raise CredentialError(
                f"stored {what} belong to another row: the ciphertext was copied or tampered "
                "with, and will not be used"
            )
        document.pop("row")
        return document

    def rotate(self, ciphertext: str) -> str:
        """The same plaintext re-encrypted under the first key (binding kept)."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise CredentialError(
                "a stored secret cannot be decrypted with the configured encryption keys"
            ) from None
