"""Conduct staff pages: the dashboard, complaints to triage, cases and their steps, interim orders (registrars),
and confidential documents, which only the case team (and the panel, from its own pages) may open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.defaults import permission_denied

from core.access import AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from core.models import User
from discipline import selectors, services
from discipline.forms import (
    AppealDecisionForm,
    AppealForm,
    AssignForm,
    ChargeForm,
    DocumentForm,
    HearingForm,
    InterimOrderForm,
    ReasonForm,
    TeamForm,
    TriageForm,
)
from discipline.models import Appeal, Case, CaseDocument, Complaint, ComplaintAttachment, Hearing, InterimOrder
from registry.models import RegisterEntry
from registry.numbers import normalise_registration_number

VIEW = staff("discipline.view_cases")
TRIAGE = staff("discipline.triage_complaint")
MANAGE = staff("discipline.manage_cases")
INTERIM = staff("discipline.make_interim_order")


def refused_response(request: AuthenticatedRequest, message: str) -> HttpResponse:
    """A 403 page returned, not raised, so the refusal's audit event commits with the request."""
    return permission_denied(request, PermissionDenied(message))


def document_response(stored: Any, *, name: str, content_type: str) -> FileResponse:
    response = FileResponse(stored.open("rb"), as_attachment=True, filename=name, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@access(VIEW)
@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "discipline/staff/dashboard.html",
        {
            "board": selectors.dashboard(),
            "complaints": selectors.complaint_queue()[:50],
            "my_cases": selectors.case_list(mine_of=request.user)[:50],
        },
    )


@access(VIEW)
@require_GET
def cases(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Case.Status.values:
        status = ""
    listed = selectors.case_list(
        status=status,
        mine_of=request.user if request.GET.get("mine") else None,
        overdue=bool(request.GET.get("overdue")),
    )
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(
        request, "discipline/staff/cases.html", {"page": page, "status": status, "statuses": Case.Status.choices}
    )


def _complaint_page(
    request: AuthenticatedRequest, complaint: Complaint, form: TriageForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "discipline/staff/complaint.html",
        {"complaint": complaint, "form": form, "attachments": complaint.attachments.all()},
        status=status,
    )


@access(VIEW)
@require_GET
def complaint(request: AuthenticatedRequest, complaint_id: int) -> HttpResponse:
    found = get_object_or_404(Complaint.objects.select_related("practitioner", "case"), pk=complaint_id)
    initial = {"registration_number": found.registration_number_given}
    return _complaint_page(request, found, TriageForm(initial=initial))


@access(TRIAGE)
@require_POST
def complaint_triage(request: AuthenticatedRequest, complaint_id: int) -> HttpResponse:
    found = get_object_or_404(Complaint, pk=complaint_id)
    form = TriageForm(request.POST)
    if not form.is_valid():
        return _complaint_page(request, found, form, status=400)
    entry = None
    opening = form.cleaned_data["decision"] == "open"
    if opening:
        number = normalise_registration_number(form.cleaned_data["registration_number"] or "")
        entry = RegisterEntry.objects.filter(registration_number=number).first() if number else None
        if entry is None:
            form.add_error("registration_number", _("No register entry has that number."))
            return _complaint_page(request, found, form, status=400)
    try:
        case = services.complaint_triage(
            actor=request.user,
            complaint=found,
            open_case=opening,
            reason=form.cleaned_data["reason"],
            register_entry=entry,
            allegation=form.cleaned_data["allegation"],
        )
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _complaint_page(request, found, form, status=400)
    if case is not None:
        messages.success(request, _("Case %(number)s is open.") % {"number": case.number})
        return redirect("conduct:case", case_id=case.pk)
    messages.success(request, _("The complaint is closed with no action."))
    return redirect("conduct:dashboard")


@access(TRIAGE)
@require_GET
def complaint_attachment(request: AuthenticatedRequest, complaint_id: int, attachment_id: int) -> HttpResponseBase:
    attachment = get_object_or_404(ComplaintAttachment, pk=attachment_id, complaint_id=complaint_id)
    if not services.complaint_attachment_open(actor=request.user, attachment=attachment):
        return refused_response(request, _("Only the case team can open this attachment."))
    return document_response(attachment.file, name=attachment.original_name, content_type=attachment.content_type)


def _case_context(request: AuthenticatedRequest, case: Case, **forms: Any) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {
        "case": case,
        "file": selectors.case_file(case),
        "timeline": selectors.case_timeline(case),
        "may_open_documents": services.may_open_case_documents(case, user),
        "can_manage": user.has_perm("discipline.manage_cases"),
        "can_order": user.has_perm("discipline.make_interim_order"),
        "assign_form": AssignForm(officers=selectors.conduct_officers(), initial={"officer": case.officer_id}),
        "team_form": TeamForm(),
        "charge_form": ChargeForm(),
        "close_form": ReasonForm(),
        "document_form": DocumentForm(),
        "interim_form": InterimOrderForm(),
        "revoke_form": ReasonForm(),
        "hearing_form": HearingForm(panel_members=selectors.panel_members()),
        "adjourn_form": ReasonForm(),
        "appeal_form": AppealForm(),
        "appeal_decision_form": AppealDecisionForm(),
        "open_appeal": next((appeal for appeal in case.appeals.all() if appeal.status == Appeal.Status.LODGED), None),
        "open_hearing": case.hearings.filter(status=Hearing.Status.SCHEDULED).first(),
        "interim_in_force": case.interim_orders.filter(status=InterimOrder.Status.IN_FORCE).first(),
    }
    context.update(forms)
    # Several of the page's forms have a field of the same name ("reason"): each form gets its own ids, or a
    # label's `for` would name the first form's field and leave the others unlabelled.
    for name, form in context.items():
        if name.endswith("_form"):
            form.auto_id = f"{name.removesuffix('_form')}-%s"
    return context


@access(VIEW)
@require_GET
def case(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    found = selectors.case_get(case_id=case_id)
    return render(request, "discipline/staff/case.html", _case_context(request, found))


def _case_step(
    request: AuthenticatedRequest,
    case_id: int,
    form_name: str,
    form: Any,
    act: Callable[[Case, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """Run one case step from a posted form: the form's errors, or the service's refusal, re-show the case page."""
    found = selectors.case_get(case_id=case_id)
    if form.is_valid():
        try:
            act(found, form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, done)
            return redirect("conduct:case", case_id=case_id)
    # The service rolled back whatever it began; the page shows the errors in its summary.
    return render(request, "discipline/staff/case.html", _case_context(request, found, **{form_name: form}), status=400)


def _staff_member(email: str) -> User:
    member = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if member is None:
        raise ApplicationError(_("No member of staff has that email."))
    return member


@access(MANAGE)
@require_POST
def case_assign(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    form = AssignForm(request.POST, officers=selectors.conduct_officers())
    return _case_step(
        request,
        case_id,
        "assign_form",
        form,
        lambda case, data: services.case_assign(actor=request.user, case=case, officer=data["officer"]),
        _("The case is assigned."),
    )


@access(MANAGE)
@require_POST
def case_team(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    return _case_step(
        request,
        case_id,
        "team_form",
        TeamForm(request.POST),
        lambda case, data: services.case_team_change(
            actor=request.user,
            case=case,
            member=_staff_member(data["email"]),
            add=data["action"] == "add",
            reason=data["reason"],
        ),
        _("The case team is updated."),
    )


@access(MANAGE)
@require_POST
def case_charge(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    return _case_step(
        request,
        case_id,
        "charge_form",
        ChargeForm(request.POST),
        lambda case, data: services.case_charge(
            actor=request.user, case=case, charges=data["charges"], reason=data["reason"]
        ),
        _("The charges are recorded."),
    )


@access(MANAGE)
@require_POST
def case_close(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    return _case_step(
        request,
        case_id,
        "close_form",
        ReasonForm(request.POST),
        lambda case, data: services.case_close(actor=request.user, case=case, reason=data["reason"]),
        _("The case is closed."),
    )


@access(MANAGE)
@require_POST
def document_add(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    return _case_step(
        request,
        case_id,
        "document_form",
        DocumentForm(request.POST, request.FILES),
        lambda case, data: services.case_document_add(
            actor=request.user, case=case, title=data["title"], uploaded=data["file"], in_bundle=data["in_bundle"]
        ),
        _("The document is added to the case."),
    )


@access(VIEW)
@require_GET
def document(request: AuthenticatedRequest, case_id: int, document_id: int) -> HttpResponseBase:
    found = get_object_or_404(CaseDocument.objects.select_related("case"), pk=document_id, case_id=case_id)
    if not services.case_document_open(actor=request.user, document=found):
        return refused_response(request, _("Only the case team and the hearing panel can open this document."))
    return document_response(found.file, name=found.original_name, content_type=found.content_type)


@access(INTERIM)
@require_POST
def interim_order_make(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    return _case_step(
        request,
        case_id,
        "interim_form",
        InterimOrderForm(request.POST),
        lambda case, data: services.interim_order_make(
            actor=request.user,
            case=case,
            kind=data["kind"],
            conditions=data["conditions"],
            reason=data["reason"],
            review_date=data["review_date"],
        ),
        _("The interim order is in force and the register shows it."),
    )


@access(INTERIM)
@require_POST
def interim_order_revoke(request: AuthenticatedRequest, case_id: int, order_id: int) -> HttpResponse:
    order = get_object_or_404(InterimOrder, pk=order_id, case_id=case_id)
    return _case_step(
        request,
        case_id,
        "revoke_form",
        ReasonForm(request.POST),
        lambda case, data: services.interim_order_revoke(actor=request.user, order=order, reason=data["reason"]),
        _("The interim order is revoked."),
    )


@access(MANAGE)
@require_POST
def hearing_schedule(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    return _case_step(
        request,
        case_id,
        "hearing_form",
        HearingForm(request.POST, panel_members=selectors.panel_members()),
        lambda case, data: services.hearing_schedule(
            actor=request.user,
            case=case,
            starts_at=data["starts_at"],
            venue=data["venue"],
            members=list(data["members"]),
            chair=data["chair"],
        ),
        _("The hearing is scheduled and the panel told."),
    )


@access(MANAGE)
@require_POST
def hearing_adjourn(request: AuthenticatedRequest, case_id: int, hearing_id: int) -> HttpResponse:
    hearing = get_object_or_404(Hearing, pk=hearing_id, case_id=case_id)
    return _case_step(
        request,
        case_id,
        "adjourn_form",
        ReasonForm(request.POST),
        lambda case, data: services.hearing_adjourn(actor=request.user, hearing=hearing, reason=data["reason"]),
        _("The hearing is adjourned."),
    )


@access(MANAGE)
@require_POST
def appeal_lodge(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    return _case_step(
        request,
        case_id,
        "appeal_form",
        AppealForm(request.POST),
        lambda case, data: services.appeal_lodge(
            actor=request.user,
            case=case,
            grounds=data["grounds"],
            lodged_date=data["lodged_date"],
            stay_requested=data["stay_requested"],
        ),
        _("The appeal is recorded."),
    )


@access(MANAGE)
@require_POST
def appeal_decide(request: AuthenticatedRequest, case_id: int, appeal_id: int) -> HttpResponse:
    appeal = get_object_or_404(Appeal, pk=appeal_id, case_id=case_id)
    return _case_step(
        request,
        case_id,
        "appeal_decision_form",
        AppealDecisionForm(request.POST),
        lambda case, data: services.appeal_decide(
            actor=request.user, appeal=appeal, allowed=data["decision"] == "allow", reason=data["reason"]
        ),
        _("The appeal decision is recorded."),
    )
