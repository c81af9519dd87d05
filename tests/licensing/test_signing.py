"""Signed QR payloads: the token format, every way a token can be bad, the published keys, the check."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.checks import Error, run_checks
from django.test import Client, override_settings
from django.urls import reverse

from config.settings.signing import DEV_ONLY_COUNCIL_SIGNING_KEY
from licensing.signing import (
    InvalidSignature,
    check_signing_key,
    payload_sign,
    payload_verify,
    public_key_b64,
    public_key_jwk,
)

ROOT = Path(__file__).resolve().parents[2]

# RFC 8032 section 7.1, test 1: a published Ed25519 key pair, so the expected values are independent.
RFC_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC_KEY = base64.urlsafe_b64encode(RFC_SEED).rstrip(b"=").decode()
RFC_KID = hashlib.sha256(RFC_PUBLIC).hexdigest()[:16]
OTHER_KEY = base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()

URL = "https://registry.council.example/register/SW-000123-4/"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(autouse=True)
def _rfc_key(settings: Any) -> None:
    settings.COUNCIL_SIGNING_KEY = RFC_KEY


# --- Signing and verifying ----------------------------------------------------------------------


def test_sign_then_verify_returns_the_data_with_the_key_id() -> None:
    # given a payload
    data = {"url": URL, "reg": "SW-000123-4", "lic": "PL-2026-000123", "valid_to": "2027-03-31"}
    # when it is signed and the token verified
    token = payload_sign(data)
    # then the payload comes back, with the signing key's id added
    assert payload_verify(token) == {**data, "kid": RFC_KID}


def test_token_is_canonical_json_and_a_signature_over_the_first_part() -> None:
    # when a payload is signed
    token = payload_sign({"url": URL, "reg": "SW-000123-4", "name": "José"})
    # then the first part is the sorted, space-free JSON and the second the Ed25519 signature of that part
    body, signature = token.split(".")
    assert unb64url(body) == ('{"kid":"' + RFC_KID + '","name":"José","reg":"SW-000123-4","url":"' + URL + '"}').encode(
        "utf-8"
    )
    assert "=" not in token
    assert len(unb64url(signature)) == 64
    Ed25519PublicKey.from_public_bytes(RFC_PUBLIC).verify(unb64url(signature), body.encode("ascii"))


def test_signing_is_deterministic() -> None:
    assert payload_sign({"reg": "SW-1"}) == payload_sign({"reg": "SW-1"})


def test_sign_refuses_a_kid_of_another_key() -> None:
    with pytest.raises(ValueError, match=rf"payload kid 'abc' is not the signing key's \({RFC_KID}\)"):
        payload_sign({"reg": "SW-1", "kid": "abc"})


def test_tampered_payload_is_refused() -> None:
    # given a token whose payload is swapped for another valid payload, keeping the signature
    token = payload_sign({"url": URL, "reg": "SW-000123-4"})
    _body, signature = token.split(".")
    forged = json.dumps({"kid": RFC_KID, "reg": "SW-999999-9", "url": URL}, separators=(",", ":"), sort_keys=True)
    # when it is verified, then it is refused
    with pytest.raises(InvalidSignature, match=r"^The signature does not match the payload\.$"):
        payload_verify(f"{b64url(forged.encode())}.{signature}")


def test_tampered_signature_is_refused() -> None:
    # given a token with the first character of its signature changed (still valid base64url)
    token = payload_sign({"url": URL})
    body, signature = token.split(".")
    changed = ("B" if signature[0] == "A" else "A") + signature[1:]
    with pytest.raises(InvalidSignature, match=r"^The signature does not match the payload\.$"):
        payload_verify(f"{body}.{changed}")


def test_a_token_checked_against_the_wrong_public_key_is_refused() -> None:
    token = payload_sign({"url": URL})
    stranger = Ed25519PrivateKey.from_private_bytes(unb64url(OTHER_KEY)).public_key()
    with pytest.raises(InvalidSignature, match=r"^The signature does not match the payload\.$"):
        payload_verify(token, public_key=stranger)


def test_a_token_signed_by_a_key_the_council_does_not_publish_is_refused(settings: Any) -> None:
    # given a token signed with another key
    settings.COUNCIL_SIGNING_KEY = OTHER_KEY
    token = payload_sign({"url": URL})
    other_kid = public_key_jwk()["kid"]
    # when the council's current key is back and the token is verified
    settings.COUNCIL_SIGNING_KEY = RFC_KEY
    with pytest.raises(InvalidSignature, match=rf"^The token was signed with an unknown key \('{other_kid}'\)\.$"):
        payload_verify(token)


def test_a_forged_kid_does_not_help() -> None:
    # given a payload claiming the council's kid but signed by a stranger
    body = b64url(json.dumps({"kid": RFC_KID, "url": URL}, separators=(",", ":")).encode())
    signature = Ed25519PrivateKey.from_private_bytes(unb64url(OTHER_KEY)).sign(body.encode())
    with pytest.raises(InvalidSignature, match=r"^The signature does not match the payload\.$"):
        payload_verify(f"{body}.{b64url(signature)}")


SIGNATURE_64 = b64url(bytes(64))
NUMERIC_KID = b64url(b'{"kid":7}')
GARBAGE = [
    ("", "The token is not two base64url parts joined by a dot."),
    ("no-dot-at-all", "The token is not two base64url parts joined by a dot."),
    ("a.b.c", "The token is not two base64url parts joined by a dot."),
    (f".{SIGNATURE_64}", "The token is not two base64url parts joined by a dot."),
    ("e30.", "The token is not two base64url parts joined by a dot."),
    (f"e30=.{SIGNATURE_64}", "The token is not valid base64url."),  # padding
    (f"e3 0.{SIGNATURE_64}", "The token is not valid base64url."),  # whitespace
    (f"e30+.{SIGNATURE_64}", "The token is not valid base64url."),  # the standard alphabet, not base64url
    (f"e31.{SIGNATURE_64}", "The token is not valid base64url."),  # stray bits: not the canonical encoding
    (f"e.{SIGNATURE_64}", "The token is not valid base64url."),  # impossible length
    ("e30.AAAA", "The signature is 3 bytes; an Ed25519 signature is 64."),
    (f"{b64url(b'not json')}.{SIGNATURE_64}", "The payload is not JSON."),
    (f"{b64url(bytes([0xFF, 0xFE]))}.{SIGNATURE_64}", "The payload is not JSON."),
    (f"{b64url(b'[1,2]')}.{SIGNATURE_64}", "The payload is not a JSON object."),
    (f"e30.{SIGNATURE_64}", "The token was signed with an unknown key (None)."),  # {} has no kid
    (f"{NUMERIC_KID}.{SIGNATURE_64}", "The token was signed with an unknown key (7)."),
    ("A" * 5000 + "." + SIGNATURE_64, "The token is too long."),
]


@pytest.mark.parametrize(("token", "message"), GARBAGE)
def test_garbage_is_refused_with_a_clear_message(token: str, message: str) -> None:
    with pytest.raises(InvalidSignature) as raised:
        payload_verify(token)
    assert raised.value.message == message


def test_invalid_signature_is_an_application_error() -> None:
    from core.exceptions import ApplicationError

    assert issubclass(InvalidSignature, ApplicationError)


# --- Published keys -----------------------------------------------------------------------------


def test_public_key_and_jwk() -> None:
    assert public_key_b64() == b64url(RFC_PUBLIC)
    assert public_key_jwk() == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        "kid": RFC_KID,
        "alg": "EdDSA",
        "use": "sig",
    }
    assert RFC_KID == "21fe31dfa154a261"


@pytest.mark.django_db
def test_well_known_endpoint_publishes_the_key_that_verifies_tokens(client: Client) -> None:
    # given a signed token
    token = payload_sign({"url": URL, "reg": "SW-000123-4"})
    # when a verifier fetches the published keys
    response = client.get("/.well-known/council-verification-keys.json")
    # then it gets the JWK Set, cacheable for an hour
    assert reverse("well-known-verification-keys") == "/.well-known/council-verification-keys.json"
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response.json() == {"keys": [public_key_jwk()]}
    # and with the key built from the JWK alone it verifies the token
    (key,) = response.json()["keys"]
    published = Ed25519PublicKey.from_public_bytes(unb64url(key["x"]))
    assert payload_verify(token, public_key=published) == {"kid": key["kid"], "reg": "SW-000123-4", "url": URL}


@pytest.mark.django_db
def test_well_known_endpoint_is_get_only(client: Client) -> None:
    response = client.post("/.well-known/council-verification-keys.json")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- System check -------------------------------------------------------------------------------


def _licensing_check_ids() -> list[str]:
    return [message.id for message in run_checks() if message.id and message.id.startswith("licensing.")]


def test_check_refuses_the_development_key_without_debug() -> None:
    with override_settings(DEBUG=False, COUNCIL_SIGNING_KEY=DEV_ONLY_COUNCIL_SIGNING_KEY):
        messages = check_signing_key()
        registered = _licensing_check_ids()
    assert [(type(message), message.id) for message in messages] == [(Error, "licensing.E001")]
    assert messages[0].msg == ("COUNCIL_SIGNING_KEY is the public development key, so anyone could forge certificates.")
    assert registered == ["licensing.E001"]


def test_check_sees_through_padding_on_the_development_key() -> None:
    with override_settings(DEBUG=False, COUNCIL_SIGNING_KEY=DEV_ONLY_COUNCIL_SIGNING_KEY + "="):
        assert [message.id for message in check_signing_key()] == ["licensing.E001"]


def test_check_allows_the_development_key_with_debug() -> None:
    with override_settings(DEBUG=True, COUNCIL_SIGNING_KEY=DEV_ONLY_COUNCIL_SIGNING_KEY):
        assert check_signing_key() == []
        assert _licensing_check_ids() == []


def test_check_allows_a_real_key_without_debug() -> None:
    with override_settings(DEBUG=False, COUNCIL_SIGNING_KEY=OTHER_KEY):
        assert check_signing_key() == []
        assert _licensing_check_ids() == []


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("not base64!", "COUNCIL_SIGNING_KEY is not base64url."),
        (b64url(bytes(16)), "COUNCIL_SIGNING_KEY must encode 32 bytes, not 16."),
    ],
)
def test_check_refuses_a_malformed_key(key: str, message: str) -> None:
    with override_settings(DEBUG=True, COUNCIL_SIGNING_KEY=key):
        messages = check_signing_key()
    assert [(message.id, message.msg) for message in messages] == [("licensing.E002", message)]


def _manage_py_check(**extra: str) -> subprocess.CompletedProcess[str]:
    """`manage.py check --tag security` in a fresh process, on the test settings (DEBUG off)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "COUNCIL_"))}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings.test", **extra}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--tag", "security"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_py_check_fails_without_a_signing_key_when_debug_is_off() -> None:
    # when `manage.py check` runs with DEBUG off and no COUNCIL_SIGNING_KEY, then it fails on E001
    without = _manage_py_check()
    assert without.returncode == 1
    assert "?: (licensing.E001) COUNCIL_SIGNING_KEY is the public development key" in without.stderr
    # and with a key of its own (and an encryption key of its own, core.E010) it passes
    with_key = _manage_py_check(
        COUNCIL_SIGNING_KEY=OTHER_KEY, COUNCIL_FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode()
    )
    assert (with_key.returncode, with_key.stderr) == (0, "")


def test_manage_py_check_fails_on_the_development_encryption_key_when_debug_is_off() -> None:
    without = _manage_py_check(COUNCIL_SIGNING_KEY=OTHER_KEY)
    assert without.returncode == 1
    assert "?: (core.E010) COUNCIL_FIELD_ENCRYPTION_KEYS starts with the public development key" in without.stderr
