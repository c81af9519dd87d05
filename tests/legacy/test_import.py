"""The legacy register import: a 5,000-row file with planted errors imports nothing and says why; the
clean file imports whole; the twelve planted duplicates are listed; numbering continues after the
highest legacy number. (Its speed is measured in `make bench`, bench/legacy.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from core.models import AuditEvent, User
from legacy import services
from legacy.columns import mapping_guess
from legacy.models import DuplicatePair, LegacyImport
from legacy.samples import HEADER, PLANTED_DUPLICATES
from registry.models import Employment, Practitioner, Qualification, RegisterEntry
from registry.numbers import registration_number_next
from tests.legacy.conftest import put_on_register, sample_file, upload

pytestmark = pytest.mark.django_db


def _check(registrar: User, legacy_import: LegacyImport, **mapping_changes: Any) -> LegacyImport:
    mapping = {**legacy_import.mapping, **mapping_changes}
    return services.legacy_import_check(actor=registrar, legacy_import=legacy_import, mapping=mapping, date_order="DMY")


def test_the_columns_of_an_old_export_map_themselves() -> None:
    mapping = mapping_guess(HEADER)
    assert mapping["registration_number"] == HEADER.index("Reg No")
    assert mapping["family_name"] == HEADER.index("Surname")
    assert mapping["date_of_birth"] == HEADER.index("DOB")
    assert mapping["previous_names"] == HEADER.index("Maiden Name")
    assert mapping["employer_sector"] == HEADER.index("Sector")
    assert mapping["address"] is None  # nothing in the file for it


def test_the_clean_file_imports_whole_lists_the_planted_duplicates_and_numbering_continues(
    register: dict[str, Any], registrar: User
) -> None:
    sample = sample_file()
    on_register = put_on_register(sample, register)
    legacy_import = services.legacy_import_upload(actor=registrar, uploaded=upload(sample))
    assert legacy_import.row_count == 5000
    legacy_import = _check(registrar, legacy_import)
    assert legacy_import.file_errors == []
    assert legacy_import.row_errors == []
    # Exactly the twelve planted duplicates, and nobody else.
    in_file = {(match["row"], match["other_row"]) for match in legacy_import.duplicates if match["other_row"]}
    on_reg = {
        (match["row"], match["practitioner_id"]) for match in legacy_import.duplicates if match["practitioner_id"]
    }
    assert in_file == set(sample.planted_in_file)
    assert on_reg == {(row, on_register[slot].pk) for row, slot in sample.planted_on_register}
    assert len(legacy_import.duplicates) == PLANTED_DUPLICATES

    legacy_import = services.legacy_import_commit(actor=registrar, legacy_import=legacy_import)
    assert legacy_import.status == LegacyImport.Status.COMMITTED
    assert legacy_import.imported_count == 5000
    imported = RegisterEntry.objects.exclude(practitioner__in=on_register)
    assert imported.count() == 5000
    first = sample.rows[0]
    entry = RegisterEntry.objects.select_related("practitioner").get(registration_number=first[0])
    assert entry.practitioner.family_name == first[5]
    assert entry.practitioner.national_id == first[9]
    assert Qualification.objects.filter(
        practitioner__in=Practitioner.objects.filter(register_entries__in=imported)
    ).exists()
    assert Employment.objects.count() == sum(1 for row in sample.rows if row[16])
    # History and audit for every imported entry.
    assert RegisterEntry.history.filter(history_change_reason=f"legacy import #{legacy_import.pk}").count() == 5000
    assert AuditEvent.objects.filter(action="register_entry.imported").count() == 5000
    assert AuditEvent.objects.filter(action="legacy_import.imported", object_id=str(legacy_import.pk)).exists()
    # The planted duplicates wait for a merge decision.
    assert DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN).count() == PLANTED_DUPLICATES
    # New numbers continue after the highest legacy number of each category, and never collide.
    for code, prefix in (("social-worker", "SW"), ("social-auxiliary-worker", "SAW")):
        highest = sample.highest_number(prefix)
        assert legacy_import.numbering[code]["highest_legacy"] == highest
        new_number = registration_number_next(category=register["categories"][code])
        assert new_number.startswith(f"{prefix}-{highest + 1:06d}-")
        assert not RegisterEntry.objects.filter(registration_number=new_number).exists()


def _with_errors(rows: list[list[str]]) -> dict[int, str]:
    """Plant one problem in each of ten rows; the file row number (header is row 1) -> a word of the message."""
    planted = {
        10: ("Surname", "", "Family name is missing"),
        50: ("Cadre", "Astronaut", "Register category"),
        120: ("Status", "Gone fishing", "Register status"),
        300: ("DOB", "31/02/1980", "is not a date"),
        777: ("Date Registered", "01/01/2099", "not a possible date"),
        1500: ("Email", "not-an-email", "is not an email address"),
        2222: ("Province", "Atlantis", "Region of work"),
        3000: ("Gender", "Q", "Sex"),
        4100: ("Reg No", "12-34-56", "neither one of this register's numbers"),
        4500: ("Reg No", rows[5][0], "is also on row"),
    }
    for row_number, (column, value, _message) in planted.items():
        rows[row_number - 2][HEADER.index(column)] = value
    return {row_number: message for row_number, (_column, _value, message) in planted.items()}


def test_a_file_with_planted_errors_imports_nothing_and_reports_each(register: dict[str, Any], registrar: User) -> None:
    sample = sample_file()
    expected = _with_errors(sample.rows)
    legacy_import = services.legacy_import_upload(actor=registrar, uploaded=upload(sample))
    legacy_import = _check(registrar, legacy_import)
    reported = {problem["row"]: " ".join(problem["problems"]) for problem in legacy_import.row_errors}
    # The duplicated number is reported on both of its rows.
    assert set(reported) == {*expected, 7}
    for row_number, message in expected.items():
        assert message in reported[row_number], (row_number, reported[row_number])
    with pytest.raises(services.ImportHasErrors):
        services.legacy_import_commit(actor=registrar, legacy_import=legacy_import)
    assert not RegisterEntry.objects.exists()
    assert not Practitioner.objects.exists()


def test_a_required_field_left_unmapped_is_a_file_problem(register: dict[str, Any], registrar: User) -> None:
    legacy_import = services.legacy_import_upload(actor=registrar, uploaded=upload(sample_file(rows=50)))
    legacy_import = _check(registrar, legacy_import, family_name=None)
    assert legacy_import.file_errors == ["Choose the column for: Family name."]
    assert not legacy_import.is_clean
    with pytest.raises(services.ImportHasErrors):
        services.legacy_import_commit(actor=registrar, legacy_import=legacy_import)


def test_an_xlsx_file_imports_like_a_csv(register: dict[str, Any], registrar: User) -> None:
    sample = sample_file(rows=60)
    legacy_import = services.legacy_import_upload(actor=registrar, uploaded=upload(sample, name="r.xlsx", xlsx=True))
    assert legacy_import.header == HEADER
    legacy_import = _check(registrar, legacy_import)
    assert legacy_import.row_errors == []
    services.legacy_import_commit(actor=registrar, legacy_import=legacy_import)
    assert RegisterEntry.objects.count() == 60


def test_a_number_taken_since_the_check_stops_the_whole_import(register: dict[str, Any], registrar: User) -> None:
    sample = sample_file(rows=40)
    legacy_import = _check(registrar, services.legacy_import_upload(actor=registrar, uploaded=upload(sample)))
    assert legacy_import.is_clean
    practitioner = Practitioner.objects.create(given_names="Late", family_name="Comer")
    RegisterEntry.objects.create(
        practitioner=practitioner,
        category=register["categories"]["social-worker"],
        registration_number=sample.rows[3][0],
        registered_date="2020-01-01",
        status_changed_at="2020-01-01T00:00:00Z",
    )
    with pytest.raises(services.ImportHasErrors):
        services.legacy_import_commit(actor=registrar, legacy_import=legacy_import)
    assert RegisterEntry.objects.count() == 1
