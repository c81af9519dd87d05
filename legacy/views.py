"""Staff pages: upload a legacy register, map its columns, read the check, import or discard; then
decide each possible duplicate (merge the two records, or record that they are different people)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from core.spreadsheets import spreadsheet_safe
from legacy import services
from legacy.forms import DismissForm, LegacyFileForm, MappingForm, MergeForm
from legacy.models import DuplicatePair, LegacyImport
from registry.models import Practitioner

IMPORT = staff(services.IMPORT)
MERGE = staff(services.MERGE)
PROBLEMS_SHOWN = 200


@access(IMPORT)
@require_http_methods(["GET", "POST"])
def imports(request: AuthenticatedRequest) -> HttpResponse:
    form = LegacyFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            legacy_import = services.legacy_import_upload(actor=request.user, uploaded=form.cleaned_data["file"])
        except ApplicationError as error:
            form.add_error("file", error.message)
        else:
            return redirect("legacy:columns", legacy_import_id=legacy_import.pk)
    recent = LegacyImport.objects.select_related("uploaded_by").defer("rows", "row_errors", "duplicates")[:20]
    status = 400 if request.method == "POST" else 200
    return render(request, "legacy/imports.html", {"form": form, "imports": recent}, status=status)


def _import(legacy_import_id: int) -> LegacyImport:
    return get_object_or_404(LegacyImport.objects.select_related("uploaded_by", "decided_by"), pk=legacy_import_id)


@access(IMPORT)
@require_http_methods(["GET", "POST"])
def columns(request: AuthenticatedRequest, legacy_import_id: int) -> HttpResponse:
    legacy_import = _import(legacy_import_id)
    if legacy_import.status not in (LegacyImport.Status.UPLOADED, LegacyImport.Status.PREVIEWED):
        return redirect("legacy:import", legacy_import_id=legacy_import.pk)
    form = MappingForm(request.POST or None, legacy_import=legacy_import)
    if request.method == "POST" and form.is_valid():
        try:
            services.legacy_import_check(
                actor=request.user,
                legacy_import=legacy_import,
                mapping=form.mapping(),
                date_order=form.cleaned_data["date_order"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return redirect("legacy:import", legacy_import_id=legacy_import.pk)
    examples = [cells for _number, cells in legacy_import.rows[:3]]
    samples = {
        index: [row[index] for row in examples if index < len(row)] for index in range(len(legacy_import.header))
    }
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "legacy/columns.html",
        {"legacy_import": legacy_import, "form": form, "samples": samples},
        status=status,
    )


@access(IMPORT)
@require_GET
def preview(request: AuthenticatedRequest, legacy_import_id: int) -> HttpResponse:
    legacy_import = _import(legacy_import_id)
    if legacy_import.status == LegacyImport.Status.UPLOADED:
        return redirect("legacy:columns", legacy_import_id=legacy_import.pk)
    practitioners = Practitioner.objects.in_bulk(
        [match["practitioner_id"] for match in legacy_import.duplicates if match["practitioner_id"]]
    )
    rows = dict(legacy_import.rows)
    mapping = legacy_import.mapping

    def name_of(row: int | None) -> str:
        cells = rows.get(row or 0)
        if not cells:
            return ""
        given, family = mapping.get("given_names"), mapping.get("family_name")
        return " ".join(cells[index] for index in (given, family) if index is not None)

    duplicates = [
        {
            **match,
            "name": name_of(match["row"]),
            "other_name": name_of(match["other_row"]),
            "practitioner": practitioners.get(match["practitioner_id"]),
        }
        for match in legacy_import.duplicates
    ]
    return render(
        request,
        "legacy/preview.html",
        {
            "legacy_import": legacy_import,
            "row_errors": legacy_import.row_errors[:PROBLEMS_SHOWN],
            "more_errors": max(len(legacy_import.row_errors) - PROBLEMS_SHOWN, 0),
            "good_rows": legacy_import.row_count - legacy_import.error_count,
            "duplicates": duplicates,
        },
    )


@access(IMPORT)
@require_GET
def problems_csv(request: AuthenticatedRequest, legacy_import_id: int) -> HttpResponse:
    """Every row's problems, to correct the file with."""
    legacy_import = _import(legacy_import_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="problems-{legacy_import.pk}.csv"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(["row", "registration_number", "problems"])
    for problem in legacy_import.file_errors:
        writer.writerow(["", "", problem])
    for row in legacy_import.row_errors:
        writer.writerow(
            [row["row"], spreadsheet_safe(row["registration_number"]), spreadsheet_safe(" ".join(row["problems"]))]
        )
    return response


@access(IMPORT)
@require_POST
def commit(request: AuthenticatedRequest, legacy_import_id: int) -> HttpResponse:
    legacy_import = _import(legacy_import_id)
    try:
        legacy_import = services.legacy_import_commit(actor=request.user, legacy_import=legacy_import)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s registrant was imported.",
                "%(count)s registrants were imported.",
                legacy_import.imported_count,
            )
            % {"count": legacy_import.imported_count},
        )
    return redirect("legacy:import", legacy_import_id=legacy_import.pk)


@access(IMPORT)
@require_POST
def discard(request: AuthenticatedRequest, legacy_import_id: int) -> HttpResponse:
    legacy_import = _import(legacy_import_id)
    try:
        services.legacy_import_discard(actor=request.user, legacy_import=legacy_import)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The file was discarded. Nothing was imported."))
    return redirect("legacy:imports")


# Duplicates -----------------------------------------------------------------------------------


@access(MERGE)
@require_GET
def duplicates(request: AuthenticatedRequest) -> HttpResponse:
    pairs = DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN).select_related("first", "second")
    page = Paginator(pairs, 50).get_page(request.GET.get("page"))
    return render(request, "legacy/duplicates.html", {"page": page})


def _pair(pair_id: int) -> DuplicatePair:
    return get_object_or_404(DuplicatePair.objects.select_related("first", "second", "kept"), pk=pair_id)


def _record(practitioner: Practitioner) -> dict[str, object]:
    entries = practitioner.register_entries.select_related("category").order_by("registered_date")
    return {"practitioner": practitioner, "entries": list(entries), "user": practitioner.user}


def _merge_choices(pair: DuplicatePair) -> list[tuple[str, str]]:
    return [
        (str(person.pk), _("Keep #%(pk)s %(name)s") % {"pk": person.pk, "name": person.full_name})
        for person in (pair.first, pair.second)
    ]


def _pair_page(
    request: AuthenticatedRequest, pair: DuplicatePair, merge_form: MergeForm, dismiss_form: DismissForm, status: int
) -> HttpResponse:
    others = DuplicatePair.objects.filter(
        Q(first__in=[pair.first_id, pair.second_id]) | Q(second__in=[pair.first_id, pair.second_id]),
        status=DuplicatePair.Status.OPEN,
    ).exclude(pk=pair.pk)
    return render(
        request,
        "legacy/pair.html",
        {
            "pair": pair,
            "records": [_record(pair.first), _record(pair.second)],
            "merge_form": merge_form,
            "dismiss_form": dismiss_form,
            "others": others.count(),
        },
        status=status,
    )


@access(MERGE)
@require_GET
def pair(request: AuthenticatedRequest, pair_id: int) -> HttpResponse:
    found = _pair(pair_id)
    merge_form = MergeForm(choices=_merge_choices(found), initial={"keep": str(found.second_id)})
    return _pair_page(request, found, merge_form, DismissForm(), status=200)


@access(MERGE)
@require_POST
def merge(request: AuthenticatedRequest, pair_id: int) -> HttpResponse:
    found = _pair(pair_id)
    form = MergeForm(request.POST, choices=_merge_choices(found))
    if form.is_valid():
        keep = found.first if form.cleaned_data["keep"] == str(found.first_id) else found.second
        try:
            services.duplicate_merge(actor=request.user, pair=found, keep=keep, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The two records are now one: #%(pk)s.") % {"pk": keep.pk})
            return redirect("legacy:duplicates")
    return _pair_page(request, found, form, DismissForm(), status=400)


@access(MERGE)
@require_POST
def dismiss(request: AuthenticatedRequest, pair_id: int) -> HttpResponse:
    found = _pair(pair_id)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            services.duplicate_dismiss(actor=request.user, pair=found, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Recorded: these are different people."))
            return redirect("legacy:duplicates")
    merge_form = MergeForm(choices=_merge_choices(found), initial={"keep": str(found.second_id)})
    return _pair_page(request, found, merge_form, form, status=400)
