"""A CPD provider's pages: its accreditation, its activities, and their attendance lists. A provider user
sees only their own providers' activities and the people those activities credited."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.access import CPD_PROVIDER, AuthenticatedRequest, access
from core.exceptions import ApplicationError
from cpd import selectors, services
from cpd.forms import AccreditedActivityForm, AttendanceForm, ProviderApplicationForm
from cpd.models import AccreditedActivity, AttendanceUpload
from licensing.forms import errors_text


def _home(
    request: AuthenticatedRequest, *, apply_form: ProviderApplicationForm | None = None, status: int = 200
) -> HttpResponse:
    providers = selectors.providers_for(request.user).prefetch_related("activities")
    return render(
        request,
        "cpd/provider/home.html",
        {
            "providers": providers,
            "apply_form": apply_form or ProviderApplicationForm(),
            "activity_form": AccreditedActivityForm(),
        },
        status=status,
    )


@access(CPD_PROVIDER)
def home(request: AuthenticatedRequest) -> HttpResponse:
    return _home(request)


@access(CPD_PROVIDER)
@require_POST
def apply(request: AuthenticatedRequest) -> HttpResponse:
    form = ProviderApplicationForm(request.POST)
    if form.is_valid():
        try:
            services.provider_apply(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your application for accreditation has been sent to the council."))
            return redirect("cpd_provider:home")
    return _home(request, apply_form=form, status=400)


@access(CPD_PROVIDER)
@require_POST
def activity_submit(request: AuthenticatedRequest, provider_id: int) -> HttpResponse:
    provider = selectors.providers_for(request.user).filter(pk=provider_id).first()
    if provider is None:
        raise Http404(_("Provider not found."))
    form = AccreditedActivityForm(request.POST)
    if not form.is_valid():
        messages.error(request, errors_text(form))
        return redirect("cpd_provider:home")
    data = form.cleaned_data
    try:
        services.accredited_activity_submit(
            actor=request.user,
            provider=provider,
            title=data["title"],
            activity_type=data["activity_type"],
            held_on=data["held_on"],
            proposed_points=data["proposed_points"],
            subtype="ethics" if data["is_ethics"] else "",
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The activity has been sent to the council for accreditation."))
    return redirect("cpd_provider:home")


def _own_activity(request: AuthenticatedRequest, activity_id: int) -> AccreditedActivity:
    try:
        return selectors.provider_activity_for(user=request.user, activity_id=activity_id)
    except AccreditedActivity.DoesNotExist as exc:
        raise Http404(_("Activity not found.")) from exc


def _activity_page(
    request: AuthenticatedRequest, activity: AccreditedActivity, form: AttendanceForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "cpd/provider/activity.html",
        {
            "activity": activity,
            "attendees": selectors.attendees_of(activity),
            "uploads": activity.uploads.order_by("-created_at")[:10],
            "form": form,
        },
        status=status,
    )


@access(CPD_PROVIDER)
def activity(request: AuthenticatedRequest, activity_id: int) -> HttpResponse:
    return _activity_page(request, _own_activity(request, activity_id), AttendanceForm())


@access(CPD_PROVIDER)
@require_POST
def attendance_upload(request: AuthenticatedRequest, activity_id: int) -> HttpResponse:
    accredited = _own_activity(request, activity_id)
    form = AttendanceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            upload = services.attendance_upload(
                actor=request.user, activity=accredited, uploaded=form.cleaned_data["attendance"]
            )
        except ApplicationError as error:
            form.add_error("attendance", error.message)
        else:
            if upload.status == AttendanceUpload.Status.IMPORTED:
                messages.success(
                    request,
                    ngettext(
                        "%(credited)s attendee credited; %(already)s had already been credited.",
                        "%(credited)s attendees credited; %(already)s had already been credited.",
                        upload.credited_count,
                    )
                    % {"credited": upload.credited_count, "already": upload.already_credited_count},
                )
            return redirect("cpd_provider:upload", upload_id=upload.pk)
    return _activity_page(request, accredited, form, status=400)


@access(CPD_PROVIDER)
def upload(request: AuthenticatedRequest, upload_id: int) -> HttpResponse:
    found = (
        AttendanceUpload.objects.select_related("activity__provider")
        .filter(pk=upload_id, activity__provider__users=request.user)
        .first()
    )
    if found is None:
        raise Http404(_("Upload not found."))
    return render(request, "cpd/provider/upload.html", {"upload": found})
