"""The registrar's way through the legacy import and the duplicate decisions, as pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent, User
from legacy.models import DuplicatePair, LegacyImport
from registry.models import Practitioner, RegisterEntry
from tests.conftest import mfa_login
from tests.legacy.conftest import put_on_register, sample_file, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(registrar: User) -> Client:
    return mfa_login(Client(), registrar)


def test_upload_map_check_and_import_through_the_pages(register: dict[str, Any], client_for: Client) -> None:
    sample = sample_file(rows=120)
    people = put_on_register(sample, register)
    response = client_for.post(reverse("legacy:imports"), {"file": upload(sample)})
    legacy_import = LegacyImport.objects.get()
    assert response["Location"] == reverse("legacy:columns", args=[legacy_import.pk])
    page = client_for.get(response["Location"])
    assert page.status_code == 200
    # The guessed columns are chosen already, and a sample of each column is shown.
    assert '<option value="0" selected>Reg No</option>' in page.text
    assert sample.rows[0][0] in page.text
    data = {key: "" if value is None else str(value) for key, value in legacy_import.mapping.items()}
    response = client_for.post(reverse("legacy:columns", args=[legacy_import.pk]), {**data, "date_order": "DMY"})
    assert response["Location"] == reverse("legacy:import", args=[legacy_import.pk])
    page = client_for.get(response["Location"])
    assert 'id="import-errors">0<' in page.text
    assert 'id="import-duplicates">12<' in page.text
    assert "Import 120 registrants" in page.text
    assert f"on the register: #{people[0].pk}" in page.text
    response = client_for.post(reverse("legacy:commit", args=[legacy_import.pk]))
    assert RegisterEntry.objects.count() == 120 + len(people)
    page = client_for.get(response["Location"])
    assert "120 registrants were imported." in page.text
    assert 'id="import-imported">120<' in page.text


def test_a_file_that_is_not_a_register_is_refused_with_a_reason(register: dict[str, Any], client_for: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for.post(reverse("legacy:imports"), {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.7 ...")})
    assert response.status_code == 400
    assert "This is not a CSV or XLSX file" in response.text
    assert not LegacyImport.objects.exists()


def test_a_missing_column_is_shown_against_its_field(register: dict[str, Any], client_for: Client) -> None:
    legacy_import = LegacyImport.objects.create(
        original_name="x.csv", sha256="0" * 64, header=["Reg No", "Surname"], rows=[[2, ["SW00001", "Dlamini"]]],
        mapping={}, uploaded_by=User.objects.get(),
    )  # fmt: skip
    response = client_for.post(
        reverse("legacy:columns", args=[legacy_import.pk]), {"date_order": "DMY", "registration_number": "0"}
    )
    assert response.status_code == 400
    assert "Choose the column that holds Family name." in response.text
    legacy_import.refresh_from_db()
    assert legacy_import.status == LegacyImport.Status.UPLOADED


def _pair(register: dict[str, Any], registrar: User) -> DuplicatePair:
    from legacy import services

    sample = sample_file(rows=40)
    put_on_register(sample, register)
    legacy_import = services.legacy_import_upload(actor=registrar, uploaded=upload(sample))
    legacy_import = services.legacy_import_check(
        actor=registrar, legacy_import=legacy_import, mapping=legacy_import.mapping, date_order="DMY"
    )
    services.legacy_import_commit(actor=registrar, legacy_import=legacy_import)
    return DuplicatePair.objects.filter(same_birth_date=True).order_by("pk").first()


def test_merging_a_pair_keeps_one_record_with_everything_and_both_histories(
    register: dict[str, Any], registrar: User, client_for: Client
) -> None:
    pair = _pair(register, registrar)
    keep, absorb = pair.first, pair.second
    absorbed_entries = list(absorb.register_entries.values_list("pk", flat=True))
    absorbed_history = absorb.history.count()
    page = client_for.get(reverse("legacy:pair", args=[pair.pk]))
    assert absorb.full_name in page.text
    # A merge needs a reason.
    response = client_for.post(reverse("legacy:merge", args=[pair.pk]), {"keep": str(keep.pk), "reason": ""})
    assert response.status_code == 400
    response = client_for.post(
        reverse("legacy:merge", args=[pair.pk]), {"keep": str(keep.pk), "reason": "Same ID on both documents"}
    )
    assert response.status_code == 302, response.text[response.text.find("govuk-error-summary") :][:1500]
    assert response["Location"] == reverse("legacy:duplicates")
    absorb.refresh_from_db()
    assert absorb.merged_into_id == keep.pk
    assert set(keep.register_entries.values_list("pk", flat=True)) >= set(absorbed_entries)
    assert not absorb.register_entries.exists()
    # Both histories: the absorbed record's own rows stay, one more records the merge, and each moved
    # entry has a history row saying where it went.
    assert absorb.history.count() == absorbed_history + 1
    for entry_pk in absorbed_entries:
        assert RegisterEntry.history.filter(id=entry_pk, practitioner_id=absorb.pk).exists()
        assert RegisterEntry.history.filter(
            id=entry_pk, practitioner_id=keep.pk, history_change_reason=f"merged #{absorb.pk} into #{keep.pk}"
        ).exists()
    event = AuditEvent.objects.get(action="practitioner.merged")
    assert event.object_id == str(keep.pk)
    assert event.reason == "Same ID on both documents"
    assert event.after["moved"]["registry.RegisterEntry.practitioner"] == sorted(absorbed_entries)
    pair.refresh_from_db()
    assert pair.status == DuplicatePair.Status.MERGED
    assert pair.kept_id == keep.pk


def test_records_in_one_category_twice_are_not_merged_silently(register: dict[str, Any], registrar: User) -> None:
    from core.exceptions import ApplicationError
    from legacy import services

    pair = _pair(register, registrar)
    category = pair.first.register_entries.get().category
    entry = pair.second.register_entries.get()
    entry.category = category
    entry.save()
    with pytest.raises(ApplicationError, match="same category"):
        services.duplicate_merge(actor=registrar, pair=pair, keep=pair.first, reason="Same person")
    pair.refresh_from_db()
    assert pair.status == DuplicatePair.Status.OPEN
    assert Practitioner.objects.filter(merged_into__isnull=False).count() == 0


def test_dismissing_a_pair_records_the_reason(register: dict[str, Any], registrar: User, client_for: Client) -> None:
    pair = _pair(register, registrar)
    response = client_for.post(reverse("legacy:dismiss", args=[pair.pk]), {"reason": "Twins, different IDs"})
    assert response["Location"] == reverse("legacy:duplicates")
    pair.refresh_from_db()
    assert (pair.status, pair.reason) == (DuplicatePair.Status.DISMISSED, "Twins, different IDs")
    assert AuditEvent.objects.filter(action="duplicate.dismissed", object_id=str(pair.pk)).exists()
    assert pair.first.merged_into_id is None
    assert pair.second.merged_into_id is None
