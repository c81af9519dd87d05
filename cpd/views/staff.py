"""CPD staff pages: providers and activities to decide, exemptions, compliance, and audits (the draw,
each case and its evidence). Auditors see evidence only of practitioners under audit."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.access import AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from core.selectors import council_today
from cpd import rules, selectors, services
from cpd.forms import AuditDecisionForm, DecisionForm, DrawForm, ExemptionForm
from cpd.models import AccreditedActivity, Audit, AuditDraw, Provider
from cpd.views.common import evidence_response
from licensing.forms import errors_text
from registry.models import RegisterEntry
from registry.numbers import normalise_registration_number

MANAGE = staff("cpd.manage_cpd")
AUDIT = staff("cpd.audit_cpd")


@access(MANAGE)
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    cycle = rules.cycle_containing(council_today())
    return render(
        request,
        "cpd/staff/dashboard.html",
        {
            "cycle": cycle,
            "summary": selectors.compliance_summary(cycle_start_year=cycle.start_year),
            "providers": Provider.objects.filter(status=Provider.Status.APPLIED).order_by("created_at"),
            "activities": AccreditedActivity.objects.filter(status=AccreditedActivity.Status.SUBMITTED)
            .select_related("provider", "activity_type")
            .order_by("created_at"),
            "decision_form": DecisionForm(),
            "exemption_form": ExemptionForm(initial={"cycle_start_year": cycle.start_year}),
        },
    )


def _decision(request: AuthenticatedRequest) -> DecisionForm | None:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, errors_text(form))
        return None
    return form


@access(MANAGE)
@require_POST
def provider_decide(request: AuthenticatedRequest, provider_id: int) -> HttpResponse:
    provider = get_object_or_404(Provider, pk=provider_id)
    form = _decision(request)
    if form is not None:
        try:
            services.provider_decide(
                actor=request.user,
                provider=provider,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The decision on %(name)s is recorded.") % {"name": provider.name})
    return redirect("cpd_staff:dashboard")


@access(MANAGE)
@require_POST
def activity_decide(request: AuthenticatedRequest, activity_id: int) -> HttpResponse:
    activity = get_object_or_404(AccreditedActivity, pk=activity_id)
    form = _decision(request)
    if form is not None:
        try:
            services.accredited_activity_decide(
                actor=request.user,
                activity=activity,
                approve=form.cleaned_data["decision"] == "approve",
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The decision on “%(title)s” is recorded.") % {"title": activity.title})
    return redirect("cpd_staff:dashboard")


@access(MANAGE)
@require_POST
def exemption_grant(request: AuthenticatedRequest) -> HttpResponse:
    form = ExemptionForm(request.POST)
    if not form.is_valid():
        messages.error(request, errors_text(form))
        return redirect("cpd_staff:dashboard")
    data = form.cleaned_data
    number = normalise_registration_number(data["registration_number"])
    entry = (
        RegisterEntry.objects.select_related("practitioner").filter(registration_number=number).first()
        if number
        else None
    )
    if entry is None:
        messages.error(request, _("No one on the register has that number."))
        return redirect("cpd_staff:dashboard")
    try:
        services.exemption_grant(
            actor=request.user,
            practitioner=entry.practitioner,
            cycle_start_year=data["cycle_start_year"],
            kind=data["kind"],
            reduction_percent=data["reduction_percent"],
            reason=data["reason"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The exemption is recorded."))
    return redirect("cpd_staff:dashboard")


@access(AUDIT)
@require_http_methods(["GET", "POST"])
def audits(request: AuthenticatedRequest) -> HttpResponse:
    form = DrawForm(
        request.POST or None, initial={"cycle_start_year": rules.cycle_containing(council_today()).start_year - 1}
    )
    if request.method == "POST" and form.is_valid():
        try:
            draw = services.audit_draw(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("%(count)s practitioners were drawn for audit.") % {"count": len(draw.selected)}
            )
            return redirect("cpd_staff:draw", draw_id=draw.pk)
    return render(
        request,
        "cpd/staff/audits.html",
        {"form": form, "draws": selectors.draws()},
        status=400 if form.errors else 200,
    )


@access(AUDIT)
def draw(request: AuthenticatedRequest, draw_id: int) -> HttpResponse:
    found = get_object_or_404(AuditDraw.objects.select_related("drawn_by", "rule_set"), pk=draw_id)
    cases = found.audits.select_related("register_entry__practitioner").order_by("register_entry__registration_number")
    return render(request, "cpd/staff/draw.html", {"draw": found, "cases": cases})


def _audit(audit_id: int) -> Audit:
    try:
        return selectors.audit_case(audit_id)
    except Audit.DoesNotExist as exc:
        raise Http404(_("Audit not found.")) from exc


def _audit_page(
    request: AuthenticatedRequest, audit: Audit, form: AuditDecisionForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "cpd/staff/audit.html",
        {
            "audit": audit,
            "activities": selectors.audited_activities(audit),
            "progress": selectors.progress_for(
                entry=audit.register_entry, on_date=council_today(), cycle_start_year=audit.draw.cycle_start_year
            ),
            "form": form,
        },
        status=status,
    )


@access(AUDIT)
def audit(request: AuthenticatedRequest, audit_id: int) -> HttpResponse:
    return _audit_page(request, _audit(audit_id), AuditDecisionForm())


@access(AUDIT)
@require_POST
def audit_decide(request: AuthenticatedRequest, audit_id: int) -> HttpResponse:
    case = _audit(audit_id)
    form = AuditDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.audit_decide(actor=request.user, audit=case, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The decision is recorded and the practitioner told."))
            return redirect("cpd_staff:audit", audit_id=case.pk)
    return _audit_page(request, case, form, status=400)


@access(AUDIT)
def audit_evidence(request: AuthenticatedRequest, audit_id: int, activity_id: int) -> FileResponse:
    """Evidence of the audited practitioner's activity in the audited cycle, and only that."""
    case = _audit(audit_id)
    activity = selectors.audited_activities(case).filter(pk=activity_id).first()
    if activity is None:
        raise Http404(_("Evidence not found."))
    return evidence_response(activity)
