"""Every write of a legacy register import, and of the duplicate decisions it leads to.

upload (read the file, guess the columns) -> check (map the columns, check every row, find duplicate
people) -> commit (all rows or none) or discard. Each step is one transaction with its audit event.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditRow, audit_record, audit_record_rows
from core.exceptions import ApplicationError
from core.history import save_with_history
from core.models import User
from core.services import permission_require
from legacy.checking import (
    CheckedRow,
    DateOrder,
    FileCheck,
    employers_by_name,
    legacy_file_check,
    number_sequence,
    practitioner_fields,
)
from legacy.columns import TARGET_KEYS, mapping_guess
from legacy.matching import Match, duplicates_find
from legacy.models import DuplicatePair, LegacyImport
from legacy.reading import MAX_FILE_BYTES, Sheet, sheet_read
from registry.models import (
    Employer,
    Employment,
    Practitioner,
    Qualification,
    RegisterCategory,
    RegisterEntry,
    RegistrationNumberCounter,
)
from registry.numbers import format_registration_number
from registry.services import practitioner_merge

IMPORT = "legacy.import_legacy_register"
MERGE = "legacy.merge_practitioners"
_BATCH = 1000


class ImportHasErrors(ApplicationError):
    """The file changed under us or was never clean: nothing is imported."""


def _sheet(legacy_import: LegacyImport) -> Sheet:
    return Sheet(header=list(legacy_import.header), rows=[(number, cells) for number, cells in legacy_import.rows])


def _save(instance: Any, *, actor: User, reason: str, fields: list[str]) -> None:
    save_with_history(instance, actor=actor, reason=reason, fields=fields)


@transaction.atomic
def legacy_import_upload(*, actor: User, uploaded: UploadedFile) -> LegacyImport:
    """Read a CSV or XLSX register file and guess which column holds what. Nothing is checked yet."""
    permission_require(actor, IMPORT)
    data = uploaded.read(MAX_FILE_BYTES + 1)
    sheet = sheet_read(data)
    legacy_import = LegacyImport(
        original_name=(uploaded.name or "register")[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        header=sheet.header,
        rows=[[number, cells] for number, cells in sheet.rows],
        mapping=mapping_guess(sheet.header),
        row_count=len(sheet.rows),
        uploaded_by=actor,
    )
    save_with_history(legacy_import, actor=actor, reason="legacy register file uploaded")
    audit_record(
        actor=actor,
        action="legacy_import.uploaded",
        obj=legacy_import,
        after={"file": legacy_import.original_name, "sha256": legacy_import.sha256, "rows": len(sheet.rows)},
    )
    return legacy_import


def _numbering(rows: list[CheckedRow]) -> dict[str, dict[str, Any]]:
    """Per category: the highest place a legacy number takes, the counter now, and the next new number."""
    highest: dict[int, int] = defaultdict(int)
    categories = {category.pk: category for category in RegisterCategory.objects.all()}
    for row in rows:
        category = categories[row.category_id]
        sequence = number_sequence(row.registration_number, prefix=category.registration_number_prefix)
        if sequence is not None:
            highest[row.category_id] = max(highest[row.category_id], sequence)
    counters = dict(
        RegistrationNumberCounter.objects.filter(category_id__in=highest).values_list("category_id", "last_value")
    )
    numbering = {}
    for category_id, top in sorted(highest.items()):
        category = categories[category_id]
        continues_from = max(top, counters.get(category_id, 0))
        numbering[category.code] = {
            "category_id": category_id,
            "highest_legacy": top,
            "counter": counters.get(category_id, 0),
            "next_number": format_registration_number(
                prefix=category.registration_number_prefix,
                sequence_value=continues_from + 1,
                digits=category.registration_number_digits,
            ),
        }
    return numbering


def _store_check(legacy_import: LegacyImport, check: FileCheck, matches: list[Match]) -> None:
    legacy_import.row_count = check.row_count
    legacy_import.error_count = len(check.row_errors)
    legacy_import.file_errors = check.file_errors
    legacy_import.row_errors = check.row_errors_json()
    legacy_import.duplicates = [match.as_json() for match in matches]
    legacy_import.numbering = _numbering(check.rows) if check.is_clean else {}


def _mapping_clean(mapping: dict[str, Any]) -> dict[str, int | None]:
    clean: dict[str, int | None] = {}
    for key in TARGET_KEYS:
        value = mapping.get(key)
        clean[key] = value if isinstance(value, int) and not isinstance(value, bool) else None
    return clean


@transaction.atomic
def legacy_import_check(
    *, actor: User, legacy_import: LegacyImport, mapping: dict[str, Any], date_order: str
) -> LegacyImport:
    """Map the columns and check every row; keep the report and the possible duplicates. Nothing is
    imported yet, and the check can be run again with another mapping."""
    permission_require(actor, IMPORT)
    legacy_import = LegacyImport.objects.select_for_update().get(pk=legacy_import.pk)
    if legacy_import.status not in (LegacyImport.Status.UPLOADED, LegacyImport.Status.PREVIEWED):
        raise ApplicationError(_("This file has already been imported or discarded."))
    if date_order not in dict(DateOrder.CHOICES):
        raise ApplicationError(_("Choose how the file writes its dates."))
    legacy_import.mapping = _mapping_clean(mapping)
    legacy_import.date_order = date_order
    check = legacy_file_check(sheet=_sheet(legacy_import), mapping=legacy_import.mapping, date_order=date_order)
    matches = duplicates_find(check.rows) if not check.file_errors else []
    _store_check(legacy_import, check, matches)
    legacy_import.status = LegacyImport.Status.PREVIEWED
    _save(
        legacy_import,
        actor=actor,
        reason="legacy register file checked",
        fields=[
            "mapping",
            "date_order",
            "status",
            "row_count",
            "error_count",
            "file_errors",
            "row_errors",
            "duplicates",
            "numbering",
        ],
    )
    audit_record(
        actor=actor,
        action="legacy_import.checked",
        obj=legacy_import,
        after={
            "rows": check.row_count,
            "rows_with_errors": len(check.row_errors),
            "file_errors": check.file_errors,
            "possible_duplicates": len(matches),
        },
    )
    return legacy_import


def _bulk_create(model: type[Any], objs: list[Any], *, actor: User, reason: str) -> None:
    if not objs:
        return
    model.objects.bulk_create(objs, batch_size=_BATCH)
    model.history.bulk_history_create(objs, batch_size=_BATCH, default_user=actor, default_change_reason=reason)


def _employers(rows: list[CheckedRow], *, actor: User, reason: str) -> dict[str, Employer]:
    """The employer of each name in the file: the register's own when it knows the name, else new."""
    named = {row.employer: row.employer_sector for row in rows if row.employer}
    known = employers_by_name(set(named))
    new: dict[str, Employer] = {}
    for name, sector in named.items():
        if name.lower() not in known and name.lower() not in new:
            new[name.lower()] = Employer(name=name, sector=sector)
    _bulk_create(Employer, list(new.values()), actor=actor, reason=reason)
    return {**known, **new}


def _continue_numbering(numbering: dict[str, dict[str, Any]]) -> None:
    """Move each category's counter past its highest legacy number (never backwards)."""
    for place in numbering.values():
        counter, _created = RegistrationNumberCounter.objects.select_for_update().get_or_create(
            category_id=place["category_id"]
        )
        if counter.last_value < place["highest_legacy"]:
            counter.last_value = place["highest_legacy"]
            counter.save(update_fields=["last_value"])


def _other_id(match: Match, by_row: dict[int, Practitioner]) -> int:
    """The other record of a match: the practitioner made from another row, or the one already registered."""
    if match.other_row is not None:
        return by_row[match.other_row].pk
    if match.practitioner_id is None:
        raise ValueError("a match names another row or a practitioner")
    return match.practitioner_id


@transaction.atomic
def legacy_import_commit(*, actor: User, legacy_import: LegacyImport) -> LegacyImport:
    """Import every row of a clean file, or nothing. The file is checked again first, against the
    register as it is now, with the category counters locked so no approval takes a number meanwhile."""
    permission_require(actor, IMPORT)
    legacy_import = LegacyImport.objects.select_for_update().get(pk=legacy_import.pk)
    if legacy_import.status != LegacyImport.Status.PREVIEWED:
        raise ApplicationError(_("Only a checked file can be imported; this one is not waiting for that."))
    list(RegistrationNumberCounter.objects.select_for_update().all())
    check = legacy_file_check(
        sheet=_sheet(legacy_import), mapping=legacy_import.mapping, date_order=legacy_import.date_order
    )
    if not check.is_clean:
        raise ImportHasErrors(_("The file has problems, so nothing was imported. Correct it and upload it again."))
    matches = duplicates_find(check.rows)
    reason = f"legacy import #{legacy_import.pk}"
    now = timezone.now()
    practitioners = [Practitioner(**practitioner_fields(row)) for row in check.rows]
    _bulk_create(Practitioner, practitioners, actor=actor, reason=reason)
    by_row = {row.row: practitioner for row, practitioner in zip(check.rows, practitioners, strict=True)}
    entries = [
        RegisterEntry(
            practitioner=by_row[row.row],
            category_id=row.category_id,
            registration_number=row.registration_number,
            status=row.status,
            registered_date=row.registered_date,
            conditions=row.conditions,
            status_changed_at=now,
        )
        for row in check.rows
    ]
    _bulk_create(RegisterEntry, entries, actor=actor, reason=reason)
    qualifications = [
        Qualification(
            practitioner=by_row[row.row],
            qualification_type_id=row.qualification_type_id,
            institution_name=row.institution,
            awarded_date=row.qualification_date,
        )
        for row in check.rows
        if row.qualification_type_id and row.qualification_date
    ]
    _bulk_create(Qualification, qualifications, actor=actor, reason=reason)
    employers = _employers(check.rows, actor=actor, reason=reason)
    employments = [
        Employment(
            practitioner=by_row[row.row],
            employer=employers[row.employer.lower()],
            job_title=row.job_title,
            is_paid=row.paid,
            sector=row.employer_sector,
        )
        for row in check.rows
        if row.employer
    ]
    _bulk_create(Employment, employments, actor=actor, reason=reason)
    numbering = _numbering(check.rows)
    _continue_numbering(numbering)
    pairs = [
        DuplicatePair(
            first_id=by_row[match.row].pk,
            second_id=_other_id(match, by_row),
            same_birth_date=match.same_birth_date,
            same_id=match.same_id,
            similarity=Decimal(str(round(match.similarity, 3))),
            source_import=legacy_import,
        )
        for match in matches
    ]
    _bulk_create(DuplicatePair, pairs, actor=actor, reason=reason)
    audit_record_rows(
        actor=actor,
        action="register_entry.imported",
        model=RegisterEntry,
        reason=f"{reason} ({legacy_import.original_name})",
        rows=[
            AuditRow(
                object_id=entry.pk,
                object_repr=str(entry),
                after={"practitioner": entry.practitioner_id, "category": entry.category_id, "status": entry.status},
            )
            for entry in entries
        ],
    )
    _store_check(legacy_import, check, matches)
    legacy_import.numbering = numbering
    legacy_import.status = LegacyImport.Status.COMMITTED
    legacy_import.imported_count = len(entries)
    legacy_import.decided_by = actor
    legacy_import.decided_at = now
    legacy_import.rows = []
    _save(
        legacy_import,
        actor=actor,
        reason="legacy register imported",
        fields=[
            "status",
            "imported_count",
            "decided_by",
            "decided_at",
            "rows",
            "row_count",
            "error_count",
            "file_errors",
            "row_errors",
            "duplicates",
            "numbering",
        ],
    )
    audit_record(
        actor=actor,
        action="legacy_import.imported",
        obj=legacy_import,
        after={
            "registrants": len(entries),
            "qualifications": len(qualifications),
            "employment_records": len(employments),
            "possible_duplicates": len(pairs),
            "numbering": {code: place["next_number"] for code, place in numbering.items()},
        },
    )
    return legacy_import


@transaction.atomic
def legacy_import_discard(*, actor: User, legacy_import: LegacyImport) -> LegacyImport:
    permission_require(actor, IMPORT)
    legacy_import = LegacyImport.objects.select_for_update().get(pk=legacy_import.pk)
    if legacy_import.status not in (LegacyImport.Status.UPLOADED, LegacyImport.Status.PREVIEWED):
        raise ApplicationError(_("This file has already been imported or discarded."))
    legacy_import.status = LegacyImport.Status.DISCARDED
    legacy_import.decided_by = actor
    legacy_import.decided_at = timezone.now()
    legacy_import.rows = []
    _save(
        legacy_import,
        actor=actor,
        reason="legacy register file discarded",
        fields=["status", "decided_by", "decided_at", "rows"],
    )
    audit_record(actor=actor, action="legacy_import.discarded", obj=legacy_import)
    return legacy_import


# Duplicates -----------------------------------------------------------------------------------


def _open_pair(pair: DuplicatePair) -> DuplicatePair:
    pair = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
    if pair.status != DuplicatePair.Status.OPEN:
        raise ApplicationError(_("This pair has already been decided."))
    return pair


@transaction.atomic
def duplicate_dismiss(*, actor: User, pair: DuplicatePair, reason: str) -> DuplicatePair:
    """Record that the two records are different people."""
    permission_require(actor, MERGE)
    if not reason.strip():
        raise ApplicationError(_("Say how you know these are different people."))
    pair = _open_pair(pair)
    pair.status = DuplicatePair.Status.DISMISSED
    pair.decided_by, pair.decided_at, pair.reason = actor, timezone.now(), reason
    _save(pair, actor=actor, reason="not the same person", fields=["status", "decided_by", "decided_at", "reason"])
    audit_record(actor=actor, action="duplicate.dismissed", obj=pair, reason=reason)
    return pair


@transaction.atomic
def duplicate_merge(*, actor: User, pair: DuplicatePair, keep: Practitioner, reason: str) -> DuplicatePair:
    """Merge the pair into `keep` (one of the two), and point the other open pairs of the merged record
    at the kept one."""
    permission_require(actor, MERGE)
    pair = _open_pair(pair)
    if keep.pk not in (pair.first_id, pair.second_id):
        raise ApplicationError(_("Choose which of the two records to keep."))
    absorb = pair.second if keep.pk == pair.first_id else pair.first
    practitioner_merge(actor=actor, keep=keep, absorb=absorb, reason=reason)
    pair.status = DuplicatePair.Status.MERGED
    pair.kept = keep
    pair.decided_by, pair.decided_at, pair.reason = actor, timezone.now(), reason
    _save(pair, actor=actor, reason="merged", fields=["status", "kept", "decided_by", "decided_at", "reason"])
    others = (
        DuplicatePair.objects.select_for_update()
        .filter(Q(first=absorb) | Q(second=absorb), status=DuplicatePair.Status.OPEN)
        .exclude(pk=pair.pk)
    )
    for other in others:
        _repoint(other, absorb=absorb, keep=keep, actor=actor)
    audit_record(actor=actor, action="duplicate.merged", obj=pair, reason=reason, after={"kept": keep.pk})
    return pair


def _repoint(pair: DuplicatePair, *, absorb: Practitioner, keep: Practitioner, actor: User) -> None:
    """A pair that named the merged record now names the kept one (or closes, if it was the same pair)."""
    first_id = keep.pk if pair.first_id == absorb.pk else pair.first_id
    second_id = keep.pk if pair.second_id == absorb.pk else pair.second_id
    already_listed = DuplicatePair.objects.filter(
        Q(first_id=first_id, second_id=second_id) | Q(first_id=second_id, second_id=first_id),
        status=DuplicatePair.Status.OPEN,
    ).exclude(pk=pair.pk)
    if first_id == second_id or already_listed.exists():
        # Both records are now one person, or the pair is already listed as another: nothing left to decide.
        pair.status = DuplicatePair.Status.MERGED
        pair.kept, pair.decided_by, pair.decided_at = keep, actor, timezone.now()
        pair.reason = _("Decided through another pair: #%(absorbed)s was merged into #%(kept)s.") % {
            "absorbed": absorb.pk,
            "kept": keep.pk,
        }
        _save(pair, actor=actor, reason="merged", fields=["status", "kept", "decided_by", "decided_at", "reason"])
        return
    pair.first_id, pair.second_id = first_id, second_id
    _save(pair, actor=actor, reason=f"#{absorb.pk} merged into #{keep.pk}", fields=["first", "second"])
