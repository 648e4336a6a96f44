"""Certificate client authentication for Entra ID: a signed JWT client assertion instead of
a client secret (FACTS.md §1.4: ``client_assertion_type=urn:ietf:params:oauth:
client-assertion-type:jwt-bearer`` and ``client_assertion=<JWT signed with a certificate>``).

The app registration holds the certificate (public part); the host keeps the private key.
Each token request carries a fresh assertion: header ``alg`` RS256 with the certificate's
SHA-1 (``x5t``) and SHA-256 (``x5t#S256``) thumbprints; claims ``aud`` (the token endpoint),
``iss`` = ``sub`` = the client id, a random ``jti``, and ``nbf``/``iat``/``exp`` (10 minutes).
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

__all__ = ["ASSERTION_TYPE", "ClientCertificate", "b64url", "thumbprints"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_LIFETIME = timedelta(minutes=10)


def b64url(raw: bytes) -> str:
    """Unpadded base64url (JWT encoding)."""
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def thumbprints(certificate_pem: bytes) -> tuple[str, str]:
    """The certificate's ``x5t`` (SHA-1) and ``x5t#S256`` (SHA-256) thumbprints."""
    cert = x509.load_pem_x509_certificate(certificate_pem)
    # SHA-1 here is an identifier Entra looks the certificate up by, not a signature.
    return b64url(cert.fingerprint(hashes.SHA1())), b64url(cert.fingerprint(hashes.SHA256()))


@attrs.frozen
class ClientCertificate:
    """An app credential: the certificate registered in Entra and its private key (PEM,
    unencrypted). The key never appears in repr."""

    private_key_pem: bytes = attrs.field(repr=False)
    certificate_pem: bytes

    @classmethod
    def generate(cls, common_name: str = "meetlink", *, days: int = 365) -> ClientCertificate:
        """A new RSA-2048 key and self-signed certificate (what Entra accepts for an app)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=days))
            .sign(key, hashes.SHA256())
        )
        return cls(
            private_key_pem=key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            certificate_pem=cert.public_bytes(serialization.Encoding.PEM),
        )

    def assertion(self, *, client_id: str, audience: str, now: datetime) -> str:
        """A signed client assertion for one token request to ``audience``."""
        key = serialization.load_pem_private_key(self.private_key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the client certificate key must be an RSA key")
        sha1, sha256 = thumbprints(self.certificate_pem)
        header = {"alg": "RS256", "typ": "JWT", "x5t": sha1, "x5t#S256": sha256}
        issued = int(now.timestamp())
        claims: dict[str, Any] = {
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": secrets.token_hex(16),
            "nbf": issued,
            "iat": issued,
            "exp": issued + int(_LIFETIME.total_seconds()),
        }
        signing_input = ".".join(
            b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"
