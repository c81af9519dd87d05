"""The public complaint form and the complainant's private progress page. No account is needed for either."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.access import PUBLIC, access
from core.exceptions import ApplicationError
from core.middleware import client_address
from discipline import selectors, services
from discipline.forms import ComplaintForm, form_stamp


@access(PUBLIC)
@never_cache
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ComplaintForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                lodged = services.complaint_lodge(
                    data=data,
                    attachments=data.pop("attachments"),
                    source_address=client_address(request),
                    tracking_url=lambda token: request.build_absolute_uri(reverse("complaints:track", args=[token])),
                )
            except services.TooManyComplaints as error:
                form.add_error(None, error.message)
                status = 429
            except ApplicationError as error:
                form.add_error("attachments", error.message)
                status = 400
            else:
                messages.success(
                    request,
                    _("Your complaint is received. Your reference is %(reference)s.")
                    % {"reference": lodged.complaint.reference},
                )
                request.session["complaint_just_lodged"] = lodged.complaint.reference
                return redirect("complaints:track", token=lodged.tracking_token)
        else:
            status = 400
        # Keep what the person typed; a new stamp, so a corrected form is not refused as too old.
        data = request.POST.copy()
        data["form_stamp"] = form_stamp()
        form.data = data
    else:
        form = ComplaintForm(initial={"form_stamp": form_stamp()})
    return render(request, "discipline/complaint_new.html", {"form": form}, status=status)


@access(PUBLIC)
@never_cache
@require_GET
def complaint_track(request: HttpRequest, token: str) -> HttpResponse:
    complaint = selectors.complaint_by_token(token)
    just_lodged = request.session.pop("complaint_just_lodged", None) == complaint.reference
    case = getattr(complaint, "case", None)
    return render(
        request,
        "discipline/complaint_track.html",
        {
            "complaint": complaint,
            "case": case,
            "just_lodged": just_lodged,
            "tracking_url": request.build_absolute_uri(),
        },
    )
