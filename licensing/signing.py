"""Signed payloads for QR codes: small JSON objects the council signs with its Ed25519 key.

Token format (ASCII, two segments, compact enough for a QR code)::

    <base64url(canonical JSON)>.<base64url(Ed25519 signature)>

- base64url is RFC 4648 section 5 without "=" padding; a token with padding, whitespace or any
  other character is refused.
- Canonical JSON: UTF-8, keys sorted, no spaces (`separators=(",", ":")`), no NaN/Infinity.
- The signature (64 bytes) covers the ASCII bytes of the first segment exactly as they appear in
  the token, as in JWS, so no alternative encoding of the same JSON verifies.
- Every payload carries "kid": the id of the key that signed it (the first 16 hex characters of
  the SHA-256 of the raw 32-byte public key). Verifiers pick the key by kid, so the council can
  rotate keys and keep publishing the old public key while old certificates are in circulation.
- Certificate payloads hold the verification page URL as "url" (the live public record, which a
  phone opens), plus "reg" (registration number), "lic" (licence number) and "valid_to" (ISO
  date). A verifier that checks the signature offline knows the certificate is genuine; the URL
  tells it whether the licence is still in force today.

The public keys are published as a JWK Set at /.well-known/council-verification-keys.json
(portal/views_keys.py). The private key is settings.COUNCIL_SIGNING_KEY (config/settings/signing.py).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from typing import Any

from cryptography.exceptions import InvalidSignature as CryptographyInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from config.settings.signing import DEV_ONLY_COUNCIL_SIGNING_KEY
from core.exceptions import ApplicationError

SIGNATURE_BYTES = 64
KEY_BYTES = 32
KID_HEX_CHARS = 16
# Far above any certificate payload; stops a hostile "token" from costing much to parse.
MAX_TOKEN_CHARS = 4096
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class InvalidSignature(ApplicationError):
    """A signed token was malformed, tampered with, or not signed by a key the council publishes."""


# --- Encoding -----------------------------------------------------------------------------------


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url: the alphabet only, no padding, and the canonical encoding of its bytes."""
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError("not base64url") from error
    if b64url_encode(raw) != text:  # e.g. a length of 4n+1, or stray low bits in the last character
        raise ValueError("not canonical base64url")
    return raw


def canonical_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


# --- Keys ---------------------------------------------------------------------------------------


def _decode_private_key(encoded: str) -> bytes:
    padded = encoded.strip().rstrip("=")
    try:
        raw = b64url_decode(padded)
    except ValueError as error:
        raise ImproperlyConfigured("COUNCIL_SIGNING_KEY is not base64url.") from error
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(f"COUNCIL_SIGNING_KEY must encode {KEY_BYTES} bytes, not {len(raw)}.")
    return raw


@functools.lru_cache(maxsize=4)
def _private_key(encoded: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_decode_private_key(encoded))


def signing_key() -> Ed25519PrivateKey:
    """The council's current signing key, from settings.COUNCIL_SIGNING_KEY."""
    return _private_key(settings.COUNCIL_SIGNING_KEY)


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex characters of the SHA-256 of the raw public key."""
    return hashlib.sha256(_raw_public(public_key)).hexdigest()[:KID_HEX_CHARS]


def public_key_b64() -> str:
    """The current public key: its raw 32 bytes, base64url without padding."""
    return b64url_encode(_raw_public(signing_key().public_key()))


def jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """A public key as an RFC 8037 JWK (OKP, Ed25519), with its kid."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(_raw_public(public_key)),
        "kid": key_id(public_key),
        "alg": "EdDSA",
        "use": "sig",
    }


def public_key_jwk() -> dict[str, str]:
    """The current public key as a JWK."""
    return jwk(signing_key().public_key())


def verification_keys() -> dict[str, Ed25519PublicKey]:
    """Every public key a token may have been signed with, by kid. Today: the current key only."""
    public_key = signing_key().public_key()
    return {key_id(public_key): public_key}


# --- Signing and verifying ----------------------------------------------------------------------


def payload_sign(data: dict[str, Any]) -> str:
    """Sign `data` (JSON-serialisable, string keys) with the current key and return the token.

    The key id is added as "kid"; `data` may not carry a different one.
    """
    private_key = signing_key()
    kid = key_id(private_key.public_key())
    if data.get("kid", kid) != kid:
        raise ValueError(f"payload kid {data['kid']!r} is not the signing key's ({kid})")
    body = b64url_encode(canonical_json({**data, "kid": kid}))
    signature = private_key.sign(body.encode("ascii"))
    return f"{body}.{b64url_encode(signature)}"


def payload_verify(token: str, *, public_key: Ed25519PublicKey | None = None) -> dict[str, Any]:
    """Check a token's signature and return its payload, or raise InvalidSignature.

    With no `public_key`, the key is looked up by the payload's kid among the council's keys.
    """
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidSignature("The token is too long.")
    body, dot, encoded_signature = token.partition(".")
    if not dot or "." in encoded_signature or not body or not encoded_signature:
        raise InvalidSignature("The token is not two base64url parts joined by a dot.")
    try:
        payload_bytes = b64url_decode(body)
        signature = b64url_decode(encoded_signature)
    except ValueError as error:
        raise InvalidSignature("The token is not valid base64url.") from error
    if len(signature) != SIGNATURE_BYTES:
        raise InvalidSignature(f"The signature is {len(signature)} bytes; an Ed25519 signature is 64.")
    try:
        payload = json.loads(payload_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidSignature("The payload is not JSON.") from error
    if not isinstance(payload, dict):
        raise InvalidSignature("The payload is not a JSON object.")
    if public_key is None:
        kid = payload.get("kid")
        public_key = verification_keys().get(kid) if isinstance(kid, str) else None
        if public_key is None:
            raise InvalidSignature(f"The token was signed with an unknown key ({kid!r}).")
    try:
        public_key.verify(signature, body.encode("ascii"))
    except CryptographyInvalidSignature as error:
        raise InvalidSignature("The signature does not match the payload.") from error
    return payload


# --- System check -------------------------------------------------------------------------------


@register(Tags.security)
def check_signing_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """licensing.E001: the public development key with DEBUG off. licensing.E002: a malformed key."""
    try:
        raw = _decode_private_key(settings.COUNCIL_SIGNING_KEY)
    except ImproperlyConfigured as error:
        return [Error(str(error), hint=_KEY_HINT, id="licensing.E002")]
    if not settings.DEBUG and raw == _decode_private_key(DEV_ONLY_COUNCIL_SIGNING_KEY):
        return [
            Error(
                "COUNCIL_SIGNING_KEY is the public development key, so anyone could forge certificates.",
                hint=_KEY_HINT,
                id="licensing.E001",
            )
        ]
    return []


_KEY_HINT = (
    "Set the COUNCIL_SIGNING_KEY environment variable to a new key: "
    "python -c \"import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b'=').decode())\""
)
