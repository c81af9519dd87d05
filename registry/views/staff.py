"""Staff pages: the review queue, an application's case page and its actions, a register record."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from core.selectors import council_today
from exams.selectors import pass_rates
from licensing import selectors as licensing_selectors
from registry import selectors, services
from registry.exceptions import RequirementsNotMet
from registry.forms import (
    AssignForm,
    DecisionForm,
    InformationRequestForm,
    RecommendationForm,
    StatusChangeForm,
)
from registry.models import Application, ApplicationDocument, RegisterEntry
from registry.views.applicant import document_response

REVIEW = staff("registry.review_application")
ASSIGN = staff("registry.assign_application")
DECIDE = staff("registry.decide_application")
VIEW_RECORD = staff("registry.view_register_record")
CHANGE_STATUS = staff("registry.change_register_status")
STAFF_HOME = staff()


def _application(application_id: int) -> Application:
    try:
        return selectors.application_get_for_staff(application_id=application_id)
    except Application.DoesNotExist as exc:
        raise Http404(_("Application not found.")) from exc


@access(STAFF_HOME)
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    chart = pass_rates(dimension="category") if request.user.has_perm("exams.view_exam_reports") else None
    return render(request, "registry/staff/dashboard.html", {"chart": chart})


@access(REVIEW)
def application_queue(request: AuthenticatedRequest) -> HttpResponse:
    queue = selectors.application_queue(filters=request.GET, user=request.user)
    page = Paginator(queue.qs, 50).get_page(request.GET.get("page"))
    return render(request, "registry/staff/queue.html", {"filter": queue, "page": page})


def _case_context(request: AuthenticatedRequest, application: Application, **forms: object) -> dict[str, object]:
    context: dict[str, object] = {
        "application": application,
        "assign_form": AssignForm(officers=selectors.reviewer_list(), initial={"officer": application.assigned_to_id}),
        "info_form": InformationRequestForm(),
        "recommend_form": RecommendationForm(),
        "decision_form": DecisionForm(),
        "can_assign": request.user.has_perm("registry.assign_application"),
        "can_decide": request.user.has_perm("registry.decide_application"),
        "is_in_review": application.status == Application.Status.IN_REVIEW,
    }
    context.update(forms)
    return context


@access(REVIEW)
def application_case(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    application = _application(application_id)
    return render(request, "registry/staff/case.html", _case_context(request, application))


def _rerender(request: AuthenticatedRequest, application_id: int, **forms: object) -> HttpResponse:
    application = _application(application_id)
    return render(request, "registry/staff/case.html", _case_context(request, application, **forms), status=400)


@access(ASSIGN)
@require_POST
def application_assign(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    application = _application(application_id)
    form = AssignForm(request.POST, officers=selectors.reviewer_list())
    if not form.is_valid():
        return _rerender(request, application_id, assign_form=form)
    try:
        services.application_assign(actor=request.user, application=application, officer=form.cleaned_data["officer"])
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _rerender(request, application_id, assign_form=form)
    messages.success(request, _("The application was assigned."))
    return redirect("staff:application-case", application_id=application.pk)


@access(REVIEW)
@require_POST
def application_request_information(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    application = _application(application_id)
    form = InformationRequestForm(request.POST)
    if not form.is_valid():
        return _rerender(request, application_id, info_form=form)
    try:
        services.application_request_information(
            actor=request.user,
            application=application,
            message=form.cleaned_data["message"],
        )
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _rerender(request, application_id, info_form=form)
    messages.success(request, _("The applicant has been asked for more information."))
    return redirect("staff:application-case", application_id=application.pk)


@access(REVIEW)
@require_POST
def application_recommend(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    application = _application(application_id)
    form = RecommendationForm(request.POST)
    if not form.is_valid():
        return _rerender(request, application_id, recommend_form=form)
    try:
        services.application_recommend(
            actor=request.user,
            application=application,
            recommendation=form.cleaned_data["recommendation"],
            note=form.cleaned_data["note"],
        )
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _rerender(request, application_id, recommend_form=form)
    messages.success(request, _("Your recommendation was recorded."))
    return redirect("staff:application-case", application_id=application.pk)


@access(DECIDE)
@require_POST
def application_decide(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    application = _application(application_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _rerender(request, application_id, decision_form=form)
    try:
        services.application_decide(
            actor=request.user,
            application=application,
            approve=form.cleaned_data["decision"] == "APPROVE",
            reason=form.cleaned_data["reason"],
        )
    except RequirementsNotMet as error:
        form.add_error(None, error.message)
        for problem in error.problems:
            form.add_error(None, problem)
        return _rerender(request, application_id, decision_form=form)
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _rerender(request, application_id, decision_form=form)
    messages.success(request, _("The decision was recorded and the applicant notified."))
    return redirect("staff:application-case", application_id=application.pk)


@access(REVIEW)
def application_document(request: AuthenticatedRequest, application_id: int, document_id: int) -> FileResponse:
    try:
        document = selectors.application_document_get_for_staff(application_id=application_id, document_id=document_id)
    except ApplicationDocument.DoesNotExist as exc:
        raise Http404(_("Document not found.")) from exc
    return document_response(document)


def _entry(entry_id: int) -> RegisterEntry:
    try:
        return selectors.register_entry_get_for_staff(entry_id=entry_id)
    except RegisterEntry.DoesNotExist as exc:
        raise Http404(_("Register entry not found.")) from exc


@access(VIEW_RECORD)
def register_record(request: AuthenticatedRequest, entry_id: int) -> HttpResponse:
    entry = _entry(entry_id)
    return render(
        request,
        "registry/staff/record.html",
        {
            "entry": entry,
            "timeline": selectors.record_timeline(entry=entry),
            "status_form": StatusChangeForm(initial={"status": entry.status, "conditions": entry.conditions}),
            "can_change_status": request.user.has_perm("registry.change_register_status"),
            "renewals": [
                licensing_selectors.renewal_state(entry=entry, period=period)
                for period in licensing_selectors.periods_open(on_date=council_today())
            ],
        },
    )


@access(CHANGE_STATUS)
@require_POST
def register_status_change(request: AuthenticatedRequest, entry_id: int) -> HttpResponse:
    entry = _entry(entry_id)
    form = StatusChangeForm(request.POST)
    if form.is_valid():
        try:
            services.register_entry_change_status(
                actor=request.user,
                entry=entry,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                conditions=form.cleaned_data["conditions"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The status was changed."))
            return redirect("staff:register-record", entry_id=entry.pk)
    return render(
        request,
        "registry/staff/record.html",
        {
            "entry": entry,
            "timeline": selectors.record_timeline(entry=entry),
            "status_form": form,
            "can_change_status": True,
        },
        status=400,
    )
