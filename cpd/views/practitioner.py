"""The practitioner's CPD pages: progress against each requirement, the log, evidence, transcript, audits.
Everything is looked up through the signed-in user, so nobody sees anyone else's log."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.access import AUTHENTICATED, AuthenticatedRequest, access
from core.exceptions import ApplicationError
from core.selectors import council_get, council_today
from cpd import selectors, services
from cpd.forms import ActivityForm, AuditSubmitForm
from cpd.models import Activity
from cpd.transcript import TranscriptData, transcript_pdf
from cpd.views.common import evidence_response


@access(AUTHENTICATED)
def overview(request: AuthenticatedRequest) -> HttpResponse:
    practitioner = selectors.practitioner_for(request.user)
    today = council_today()
    progress = []
    activities = Activity.objects.none()
    if practitioner is not None:
        for entry in practitioner.register_entries.select_related("category"):
            item = selectors.progress_for(entry=entry, on_date=today)
            if item is not None:
                progress.append(item)
        activities = selectors.log_for(practitioner=practitioner)[:100]
    audits = selectors.audits_for_practitioner(user=request.user)
    return render(
        request,
        "cpd/overview.html",
        {
            "practitioner": practitioner,
            "progress": progress,
            "activities": activities,
            "audits": audits,
            "audit_form": AuditSubmitForm(),
        },
    )


@access(AUTHENTICATED)
@require_http_methods(["GET", "POST"])
def activity_new(request: AuthenticatedRequest) -> HttpResponse:
    form = ActivityForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.activity_log(
                actor=request.user,
                activity_type=data["activity_type"],
                title=data["title"],
                provider_name=data["provider_name"],
                activity_date=data["activity_date"],
                points=data["points"],
                subtype="ethics" if data["is_ethics"] else "",
                reflection=data["reflection"],
                evidence=data["evidence"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The activity is in your CPD log."))
            return redirect("cpd:overview")
    return render(request, "cpd/activity_new.html", {"form": form}, status=400 if form.errors else 200)


@access(AUTHENTICATED)
def activity_evidence(request: AuthenticatedRequest, activity_id: int) -> FileResponse:
    try:
        activity = selectors.activity_for_practitioner(user=request.user, activity_id=activity_id)
    except Activity.DoesNotExist as exc:
        raise Http404(_("Activity not found.")) from exc
    return evidence_response(activity)


@access(AUTHENTICATED)
def transcript(request: AuthenticatedRequest) -> HttpResponse:
    practitioner = selectors.practitioner_for(request.user)
    if practitioner is None:
        raise Http404(_("You have no CPD log."))
    today = council_today()
    entries = list(practitioner.register_entries.select_related("category"))
    progress = next(
        (item for entry in entries if (item := selectors.progress_for(entry=entry, on_date=today)) is not None), None
    )
    if progress is None:
        raise Http404(_("No CPD is required of you in this cycle."))
    lines = tuple(
        (
            activity.activity_date,
            activity.title,
            activity.activity_type.name,
            (activity.accredited_activity.code or "") if activity.accredited_activity else activity.provider_name,
            activity.points,
        )
        for activity in selectors.log_for(practitioner=practitioner, since=progress.cycle.start).filter(
            activity_date__lte=progress.cycle.end
        )
    )
    council = council_get()
    pdf = transcript_pdf(
        TranscriptData(
            council_name=council.name if council else "",
            practitioner_name=practitioner.full_name,
            registration_numbers=", ".join(entry.registration_number for entry in entries),
            cycle_label=progress.cycle.label,
            unit=progress.unit,
            status=progress.status_label,
            required=progress.required,
            earned=progress.earned,
            carried_forward=progress.carried_forward,
            lines=lines,
            issued=today,
        )
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="cpd-transcript-{progress.cycle.label}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@access(AUTHENTICATED)
@require_POST
def audit_submit(request: AuthenticatedRequest, audit_id: int) -> HttpResponse:
    audit = selectors.audits_for_practitioner(user=request.user).filter(pk=audit_id).first()
    if audit is None:
        raise Http404(_("Audit not found."))
    form = AuditSubmitForm(request.POST)
    form.is_valid()
    try:
        services.audit_submit(actor=request.user, audit=audit, statement=form.cleaned_data.get("statement", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your CPD log has been submitted to the auditor."))
    return redirect("cpd:overview")
