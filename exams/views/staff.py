"""Staff pages for exams: sittings and rosters, results imports (preview, then commit), publication,
corrections, accommodations, conflicts of interest, approvals to test, and pass-rate reports."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.access import AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from core.spreadsheets import spreadsheet_safe
from exams import selectors, services
from exams.forms import (
    AccommodationDecisionForm,
    ApprovalForm,
    ConflictForm,
    CorrectionForm,
    ResultsFileForm,
    SittingForm,
)
from exams.models import AccommodationRequest, ApprovalToTest, ConflictOfInterest, Result, ResultImport, Sitting
from licensing.forms import errors_text

MANAGE = staff("exams.manage_exams")
RECORD = staff("exams.record_results")
APPROVE = staff("exams.approve_to_test")
REPORTS = staff("exams.view_exam_reports")
PREVIEW_ERRORS_SHOWN = 200


_cell = spreadsheet_safe


def _csv(filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@access(MANAGE)
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    now = timezone.now()
    sittings = selectors.sittings_for_staff()
    return render(
        request,
        "exams/staff/dashboard.html",
        {
            "upcoming": sittings.filter(starts_at__gte=now).order_by("starts_at"),
            "past": Paginator(sittings.filter(starts_at__lt=now).order_by("-starts_at"), 25).get_page(
                request.GET.get("page")
            ),
            "accommodations": AccommodationRequest.objects.filter(status=AccommodationRequest.Status.REQUESTED)
            .select_related("booking__sitting", "booking__practitioner")
            .order_by("created_at"),
            "chart": selectors.pass_rates(dimension="category"),
        },
    )


@access(MANAGE)
@require_http_methods(["GET", "POST"])
def sitting_create(request: AuthenticatedRequest) -> HttpResponse:
    form = SittingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sitting = services.sitting_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Sitting %(code)s is scheduled.") % {"code": sitting.code})
            return redirect("exams_staff:sitting", sitting_id=sitting.pk)
    return render(request, "exams/staff/sitting_new.html", {"form": form}, status=400 if form.errors else 200)


def _sitting_page(
    request: AuthenticatedRequest, sitting: Sitting, upload_form: ResultsFileForm, status: int = 200
) -> HttpResponse:
    roster = selectors.sitting_roster(sitting)
    return render(
        request,
        "exams/staff/sitting.html",
        {
            "sitting": sitting,
            "roster": roster,
            "results": selectors.sitting_results(sitting),
            "imports": sitting.imports.select_related("uploaded_by").order_by("-created_at")[:10],
            "upload_form": upload_form,
            "decision_form": AccommodationDecisionForm(),
            "has_drafts": Result.objects.filter(booking__sitting=sitting, status=Result.Status.DRAFT).exists(),
        },
        status=status,
    )


def _sitting(sitting_id: int) -> Sitting:
    return get_object_or_404(Sitting.objects.select_related("version__exam__category"), pk=sitting_id)


@access(MANAGE)
def sitting_detail(request: AuthenticatedRequest, sitting_id: int) -> HttpResponse:
    return _sitting_page(request, _sitting(sitting_id), ResultsFileForm())


@access(MANAGE)
def sitting_roster(request: AuthenticatedRequest, sitting_id: int) -> HttpResponse:
    """The candidate list for the testing vendor: the numbers its results file must use."""
    sitting = _sitting(sitting_id)
    response = _csv(f"roster-{sitting.code}.csv")
    writer = csv.writer(response)
    writer.writerow(["candidate_number", "sitting_code", "family_name", "given_names", "attempt", "accommodations"])
    for booking in selectors.sitting_roster(sitting):
        approved = "; ".join(
            request_.details
            for request_ in booking.accommodations.all()
            if request_.status == AccommodationRequest.Status.APPROVED
        )
        writer.writerow(
            [
                booking.candidate_number,
                sitting.code,
                _cell(booking.practitioner.family_name),
                _cell(booking.practitioner.given_names),
                booking.attempt_number,
                _cell(approved),
            ]
        )
    return response


@access(RECORD)
@require_POST
def results_upload(request: AuthenticatedRequest, sitting_id: int) -> HttpResponse:
    sitting = _sitting(sitting_id)
    form = ResultsFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result_import = services.results_import_preview(
                actor=request.user, sitting=sitting, uploaded=form.cleaned_data["results_file"]
            )
        except ApplicationError as error:
            form.add_error("results_file", error.message)
        else:
            return redirect("exams_staff:import", import_id=result_import.pk)
    return _sitting_page(request, sitting, form, status=400)


def _import(import_id: int) -> ResultImport:
    return get_object_or_404(ResultImport.objects.select_related("sitting__version__exam", "uploaded_by"), pk=import_id)


@access(RECORD)
def import_preview(request: AuthenticatedRequest, import_id: int) -> HttpResponse:
    result_import = _import(import_id)
    return render(
        request,
        "exams/staff/import.html",
        {
            "result_import": result_import,
            "row_errors": result_import.row_errors[:PREVIEW_ERRORS_SHOWN],
            "more_errors": max(len(result_import.row_errors) - PREVIEW_ERRORS_SHOWN, 0),
            "good_rows": result_import.row_count - result_import.error_count,
        },
    )


@access(RECORD)
def import_errors(request: AuthenticatedRequest, import_id: int) -> HttpResponse:
    """Every row's problems, as CSV, to send back to the testing vendor."""
    result_import = _import(import_id)
    response = _csv(f"errors-{result_import.pk}.csv")
    writer = csv.writer(response)
    writer.writerow(["row", "candidate_number", "problems"])
    for problem in result_import.file_errors:
        writer.writerow(["", "", problem])
    for row in result_import.row_errors:
        writer.writerow([row["row"], _cell(row["candidate_number"]), _cell(" ".join(row["problems"]))])
    return response


@access(RECORD)
@require_POST
def import_commit(request: AuthenticatedRequest, import_id: int) -> HttpResponse:
    result_import = _import(import_id)
    try:
        count = services.results_import_commit(actor=request.user, result_import=result_import)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("exams_staff:import", import_id=result_import.pk)
    messages.success(
        request,
        ngettext(
            "%(count)s result was imported as a draft. Check it, then publish.",
            "%(count)s results were imported as drafts. Check them, then publish.",
            count,
        )
        % {"count": count},
    )
    return redirect("exams_staff:sitting", sitting_id=result_import.sitting_id)


@access(RECORD)
@require_POST
def import_discard(request: AuthenticatedRequest, import_id: int) -> HttpResponse:
    result_import = _import(import_id)
    try:
        services.results_import_discard(actor=request.user, result_import=result_import)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The file was discarded. Nothing was imported."))
    return redirect("exams_staff:sitting", sitting_id=result_import.sitting_id)


@access(RECORD)
@require_POST
def results_publish(request: AuthenticatedRequest, sitting_id: int) -> HttpResponse:
    sitting = _sitting(sitting_id)
    try:
        count = services.results_publish(actor=request.user, sitting=sitting)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s result was published. The candidate has been told.",
                "%(count)s results were published. Candidates have been told.",
                count,
            )
            % {"count": count},
        )
    return redirect("exams_staff:sitting", sitting_id=sitting.pk)


def _result(result_id: int) -> Result:
    return get_object_or_404(
        Result.objects.select_related("booking__sitting__version__exam", "booking__practitioner", "recorded_by"),
        pk=result_id,
    )


def _result_page(
    request: AuthenticatedRequest, result: Result, form: CorrectionForm, status: int = 200
) -> HttpResponse:
    versions = result.booking.results.select_related("recorded_by", "published_by").order_by("-version")
    return render(
        request,
        "exams/staff/result.html",
        {"result": result, "booking": result.booking, "versions": versions, "form": form},
        status=status,
    )


@access(MANAGE)
def result_detail(request: AuthenticatedRequest, result_id: int) -> HttpResponse:
    return _result_page(request, _result(result_id), CorrectionForm())


@access(RECORD)
@require_POST
def result_correct(request: AuthenticatedRequest, result_id: int) -> HttpResponse:
    result = _result(result_id)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            corrected = services.result_correct(actor=request.user, result=result, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The corrected result is published and the candidate has been told."))
            return redirect("exams_staff:result", result_id=corrected.pk)
    return _result_page(request, result, form, status=400)


@access(MANAGE)
@require_POST
def accommodation_decide(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    accommodation = get_object_or_404(AccommodationRequest.objects.select_related("booking"), pk=request_id)
    form = AccommodationDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, errors_text(form))
    else:
        try:
            services.accommodation_decide(
                actor=request.user,
                request=accommodation,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The decision was recorded and the candidate has been told."))
    return redirect("exams_staff:sitting", sitting_id=accommodation.booking.sitting_id)


@access(RECORD)
@require_http_methods(["GET", "POST"])
def conflicts(request: AuthenticatedRequest) -> HttpResponse:
    form = ConflictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.conflict_declare(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your conflict of interest is recorded."))
            return redirect("exams_staff:conflicts")
    declared = ConflictOfInterest.objects.filter(examiner=request.user).select_related("candidate")
    return render(
        request, "exams/staff/conflicts.html", {"form": form, "declared": declared}, status=400 if form.errors else 200
    )


@access(APPROVE)
@require_http_methods(["GET", "POST"])
def approvals(request: AuthenticatedRequest) -> HttpResponse:
    form = ApprovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.approval_grant(
                actor=request.user,
                candidate=data["email"],
                exam=data["exam"],
                reason=data["reason"],
                expires_date=data["expires_date"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The approval to test is recorded and the person has been told."))
            return redirect("exams_staff:approvals")
    granted = ApprovalToTest.objects.select_related("candidate", "exam", "granted_by")[:100]
    return render(
        request, "exams/staff/approvals.html", {"form": form, "granted": granted}, status=400 if form.errors else 200
    )


@access(REPORTS)
def pass_rates(request: AuthenticatedRequest) -> HttpResponse:
    tables = [(key, label, selectors.pass_rates(dimension=key)) for key, label in selectors.dimension_labels().items()]
    return render(request, "exams/staff/pass_rates.html", {"tables": tables, "small_cell": selectors.SMALL_CELL})


@access(REPORTS)
def pass_rates_csv(request: AuthenticatedRequest) -> HttpResponse:
    response = _csv("exam-pass-rates.csv")
    writer = csv.writer(response)
    writer.writerow(["dimension", "group", "candidates", "passed", "pass_rate_percent", "note"])
    for key in selectors.dimension_labels():
        for cell in selectors.pass_rates(dimension=key):
            if cell.suppressed:
                writer.writerow(
                    [key, _cell(cell.label), "", "", "", f"fewer than {selectors.SMALL_CELL} candidates: suppressed"]
                )
            else:
                writer.writerow([key, _cell(cell.label), cell.candidates, cell.passed, cell.rate_percent, ""])
    return response
