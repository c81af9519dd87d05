"""Personal identifiers encrypted at rest, and a keyed digest to find them again.

A national ID number is stored as a Fernet token (AES-128-CBC with an HMAC-SHA256 tag) under the
first key of COUNCIL_FIELD_ENCRYPTION_KEYS; any key of the list decrypts, which is how a key is
rotated (`manage.py encryption_rotate`). A token is different every time, so the database cannot
compare identifiers: duplicate detection compares `identifier_digest`, an HMAC of the normalised
identifier under a key derived from the encryption key, kept in a column of its own. A database dump
alone therefore holds neither the numbers nor a way to test a guess at them.

Lists and exports meant for other people show `mask(value)`: the last four characters only.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact, IsNull

from config.settings.signing import DEV_ONLY_FIELD_ENCRYPTION_KEY

MASK = "••••"
_DIGEST_CONTEXT = b"council-registry identifier digest v1"


class DecryptionFailed(ImproperlyConfigured):
    """A stored token that none of the configured keys opens: a key is missing from the settings."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> tuple[MultiFernet, bytes]:
    if not keys:
        raise ImproperlyConfigured("COUNCIL_FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    try:
        fernets = [Fernet(key.strip().encode()) for key in keys]
    except ValueError as error:
        raise ImproperlyConfigured(
            "COUNCIL_FIELD_ENCRYPTION_KEYS holds a key that is not 32 url-safe base64-encoded bytes."
        ) from error
    digest_key = hmac.new(keys[0].strip().encode(), _DIGEST_CONTEXT, hashlib.sha256).digest()
    return MultiFernet(fernets), digest_key


def _keys() -> tuple[MultiFernet, bytes]:
    return _fernet(tuple(settings.COUNCIL_FIELD_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    return _keys()[0].encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _keys()[0].decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise DecryptionFailed(
            "A stored identifier cannot be decrypted with COUNCIL_FIELD_ENCRYPTION_KEYS: "
            "a key that encrypted it has been removed from the list."
        ) from error


def reencrypt(token: str) -> str:
    """The token under the current first key (what `encryption_rotate` writes back)."""
    return _keys()[0].rotate(token.encode()).decode()


def normalise_identifier(text: str) -> str:
    """'8001 015 009 087' and '8001015009087' are one number: spaces, dots and hyphens are dropped."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def identifier_digest(text: str) -> str:
    """A keyed SHA-256 of the normalised identifier, or '' for no identifier."""
    normalised = normalise_identifier(text or "")
    if not normalised:
        return ""
    return hmac.new(_keys()[1], normalised.encode(), hashlib.sha256).hexdigest()


def mask(text: str | None) -> str:
    """The last four characters behind a mask; short identifiers are masked whole."""
    if not text:
        return ""
    return f"{MASK}{text[-4:]}" if len(text) > 6 else MASK


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. With digest_field, saving also writes that field's digest.

    Only `isnull` and an exact match on "" can be asked of the database: any other comparison would
    compare against a fresh random token and silently match nothing, so it is refused.
    """

    def __init__(self, *args: Any, digest_field: str | None = None, **kwargs: Any) -> None:
        self.digest_field = digest_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.digest_field:
            kwargs["digest_field"] = self.digest_field
        return name, path, args, kwargs

    def formfield(self, **kwargs: Any) -> Any:
        # One line of text, however it is stored.
        return super().formfield(**{"widget": forms.TextInput, **kwargs})

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return decrypt(value)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        if not value:
            return value
        return encrypt(str(value))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if self.digest_field:
            setattr(model_instance, self.digest_field, identifier_digest(value or ""))
        return value

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None


class _EmptyOnlyExact(Exact):
    def get_db_prep_lookup(self, value: Any, connection: Any) -> Any:
        if value not in ("", None):
            raise ValueError("Encrypted fields cannot be compared; compare their digest field instead.")
        return ("%s", [value])


@register(Tags.security, deploy=False)
def check_field_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """core.E010: the public development key with DEBUG off. core.E011: a malformed key."""
    keys = tuple(settings.COUNCIL_FIELD_ENCRYPTION_KEYS)
    try:
        _fernet(keys)
    except ImproperlyConfigured as error:
        return [Error(str(error), hint=_KEY_HINT, id="core.E011")]
    if not settings.DEBUG and keys[0].strip() == DEV_ONLY_FIELD_ENCRYPTION_KEY:
        return [
            Error(
                "COUNCIL_FIELD_ENCRYPTION_KEYS starts with the public development key, so national ID "
                "numbers would be readable by anyone with the database.",
                hint=_KEY_HINT,
                id="core.E010",
            )
        ]
    return []


_KEY_HINT = (
    "Set COUNCIL_FIELD_ENCRYPTION_KEYS to a new key from "
    '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`, '
    "keep it in the secret store with the database backups' keys, and never lose it: without it the "
    "stored identifiers cannot be read."
)
