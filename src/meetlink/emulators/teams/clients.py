"""How the emulated token endpoint authenticates the app (FACTS.md §1.4, §8 "Client auth"):
a client secret in the body or HTTP Basic, or a certificate-signed JWT client assertion.

Entra's codes: 7000218 neither secret nor assertion, 7000215 wrong secret, 700027 an
assertion whose signature (or certificate) does not check, 700024 an assertion outside its
time range, 700021 an assertion of the wrong type or for another app or endpoint.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from meetlink.adapters.teams.certificate import ASSERTION_TYPE, thumbprints
from meetlink.emulators.core.oauth import basic_credentials

from .state import Incoming, TeamsState

__all__ = ["ClientRefusal", "authenticate_client", "register_certificate"]


class ClientRefusal(Exception):
    """The app failed to authenticate: ``(status, error, code, text)`` of Entra's answer."""

    def __init__(self, status: int, error: str, code: int, text: str) -> None:
        super().__init__(text)
        self.status, self.error, self.code, self.text = status, error, code, text


def register_certificate(state: TeamsState, certificate_pem: bytes) -> None:
    """Upload a certificate to the app registration (by both of its thumbprints)."""
    for thumbprint in thumbprints(certificate_pem):
        state.certificates[thumbprint] = certificate_pem


def _part(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _assertion_claims(state: TeamsState, token: str, segment: str) -> Mapping[str, Any]:
    """The verified claims of a client assertion, else ClientRefusal."""
    bad = state.invalid_client_status
    malformed = ClientRefusal(bad, "invalid_client", 700027, "Client assertion is malformed.")
    try:
        head_b64, body_b64, sig_b64 = token.split(".")
        header, claims = json.loads(_part(head_b64)), json.loads(_part(body_b64))
        signature = _part(sig_b64)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise malformed from exc
    if not (isinstance(header, dict) and isinstance(claims, dict)) or header.get("alg") != "RS256":
        raise malformed
    pem = state.certificates.get(str(header.get("x5t#S256") or header.get("x5t") or ""))
    if pem is None:
        text = "Client assertion contains an invalid signature. [Reason - The key was not found.]"
        raise ClientRefusal(bad, "invalid_client", 700027, text)
    key = x509.load_pem_x509_certificate(pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        signed = f"{head_b64}.{body_b64}".encode("ascii")
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        text = "Client assertion failed signature validation."
        raise ClientRefusal(bad, "invalid_client", 700027, text) from exc
    now = int(state.now().timestamp())
    nbf, exp = claims.get("nbf", 0), claims.get("exp")
    if not (isinstance(nbf, int) and isinstance(exp, int)):
        raise malformed
    if nbf > now + 300 or now >= exp:  # five minutes of clock skew allowed on nbf
        text = "Client assertion is not within its valid time range."
        raise ClientRefusal(bad, "invalid_client", 700024, text)
    audience = str(claims.get("aud", ""))
    if not audience.endswith(f"/{segment}/oauth2/v2.0/token"):
        text = "The audience claim of the client assertion is not this token endpoint."
        raise ClientRefusal(bad, "invalid_client", 700021, text)
    return claims


def authenticate_client(
    state: TeamsState, segment: str, request: Incoming, fields: Mapping[str, str]
) -> str | None:
    """The authenticated client id (None: not this app's id); ClientRefusal otherwise."""
    basic = basic_credentials(request)
    client_id, secret = basic if basic is not None else (fields.get("client_id"), None)
    if basic is None:
        secret = fields.get("client_secret")
    assertion = fields.get("client_assertion")
    if assertion and fields.get("client_assertion_type") == ASSERTION_TYPE and not secret:
        claims = _assertion_claims(state, assertion, segment)
        if claims.get("iss") != claims.get("sub") or (
            client_id is not None and client_id != claims.get("iss")
        ):
            text = "The client assertion's issuer and subject must be the client id."
            raise ClientRefusal(state.invalid_client_status, "invalid_client", 700021, text)
        return str(claims.get("iss"))
    if client_id != state.client_id:
        return None
    if not secret:
        text = "The request body must contain: 'client_assertion' or 'client_secret'."
        raise ClientRefusal(state.invalid_client_status, "invalid_client", 7000218, text)
    if not hmac.compare_digest(secret.encode(), state.client_secret.encode()):
        text = "Invalid client secret provided."
        raise ClientRefusal(state.invalid_client_status, "invalid_client", 7000215, text)
    return client_id
