"""National ID numbers are encrypted at rest, found again by digest, masked in lists, and re-keyed."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from core.crypto import DecryptionFailed, check_field_encryption_keys, identifier_digest, mask
from core.models import AuditEvent
from registry.models import Practitioner
from tests.factories import council_create

pytestmark = pytest.mark.django_db


def _practitioner(**fields: str) -> Practitioner:
    return Practitioner.objects.create(given_names="Thandi", family_name="Mokoena", **fields)


def _stored(practitioner: Practitioner) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT national_id, national_id_digest FROM registry_practitioner WHERE id = %s", [practitioner.pk]
        )
        return cursor.fetchone()


def test_the_database_holds_a_token_not_the_number() -> None:
    practitioner = _practitioner(national_id="8001015009087")
    token, digest = _stored(practitioner)
    assert "8001015009087" not in token
    assert token.startswith("gAAAAA")  # a Fernet token
    assert digest == identifier_digest("8001 015-009 087")  # spacing does not change the digest
    practitioner.refresh_from_db()
    assert practitioner.national_id == "8001015009087"
    # The history row is encrypted too.
    with connection.cursor() as cursor:
        cursor.execute("SELECT national_id FROM registry_historicalpractitioner WHERE id = %s", [practitioner.pk])
        assert all("8001015009087" not in row[0] for row in cursor.fetchall())


def test_an_empty_number_stays_empty_and_has_no_digest() -> None:
    practitioner = _practitioner(national_id="")
    assert _stored(practitioner) == ("", "")
    assert Practitioner.objects.filter(national_id="").filter(pk=practitioner.pk).exists()


def test_comparing_an_encrypted_field_is_refused_rather_than_silently_matching_nothing() -> None:
    with pytest.raises(ValueError, match="digest"):
        Practitioner.objects.filter(national_id="8001015009087").exists()


def test_lists_show_only_the_last_four_characters() -> None:
    assert mask("8001015009087") == "••••9087"
    assert mask("12345") == "••••"
    assert mask("") == ""


def test_rotation_reencrypts_under_the_new_key_so_the_old_one_can_go(settings) -> None:
    council = council_create()
    practitioner = _practitioner(national_id="AB123456")
    old_key = settings.COUNCIL_FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.COUNCIL_FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("encryption_rotate", "--reason", "annual rotation", stdout=io.StringIO())
    settings.COUNCIL_FIELD_ENCRYPTION_KEYS = [new_key]
    practitioner.refresh_from_db()
    assert practitioner.national_id == "AB123456"
    assert _stored(practitioner)[1] == identifier_digest("AB123456")
    event = AuditEvent.objects.get(action="encryption.keys_rotated")
    assert event.object_id == str(council.pk)
    assert event.reason == "annual rotation"
    assert event.after["registry.Practitioner.national_id"] == 1
    # Without any key that opened it, reading fails loudly instead of showing garbage.
    settings.COUNCIL_FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(DecryptionFailed):
        Practitioner.objects.get(pk=practitioner.pk)


def test_the_public_development_key_is_refused_outside_debug(settings) -> None:
    settings.DEBUG = False
    assert [error.id for error in check_field_encryption_keys()] == ["core.E010"]
    settings.COUNCIL_FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    assert [error.id for error in check_field_encryption_keys()] == ["core.E011"]
    settings.COUNCIL_FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert check_field_encryption_keys() == []
