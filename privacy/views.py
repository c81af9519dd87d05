"""The person's "Your data" page and downloads, and the registrar's export for a written request.

Every download goes through privacy.services.personal_data_export, which records who took it and why.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import AUTHENTICATED, AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from privacy import selectors, services
from privacy.forms import ExportRequestForm
from privacy.selectors import Subject
from registry.models import Practitioner

EXPORT_FOR_REQUEST = staff("privacy.export_personal_data")


def _download(export: services.ExportFile) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _format(file_format: str) -> str:
    if file_format not in services.FORMATS:
        raise Http404(_("There is no such download."))
    return file_format


@access(AUTHENTICATED)
@require_GET
def your_data(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "privacy/your_data.html")


@access(AUTHENTICATED)
@require_POST
def your_data_download(request: AuthenticatedRequest, file_format: str) -> HttpResponse:
    """The signed-in person's own data; there is no way to name anyone else's."""
    subject = selectors.subject_for_user(user=request.user)
    export = services.personal_data_export(actor=request.user, subject=subject, file_format=_format(file_format))
    return _download(export)


def _subject(practitioner_id: int) -> Subject:
    try:
        return selectors.subject_for_practitioner(practitioner_id=practitioner_id)
    except Practitioner.DoesNotExist as exc:
        raise Http404(_("Practitioner not found.")) from exc


@access(EXPORT_FOR_REQUEST)
@require_GET
def person_data(request: AuthenticatedRequest, practitioner_id: int) -> HttpResponse:
    subject = _subject(practitioner_id)
    return render(request, "privacy/staff/person.html", {"subject": subject, "form": ExportRequestForm()})


@access(EXPORT_FOR_REQUEST)
@require_POST
def person_data_download(request: AuthenticatedRequest, practitioner_id: int, file_format: str) -> HttpResponse:
    subject = _subject(practitioner_id)
    file_format = _format(file_format)
    form = ExportRequestForm(request.POST)
    if form.is_valid():
        try:
            export = services.personal_data_export(
                actor=request.user, subject=subject, file_format=file_format, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return _download(export)
    return render(request, "privacy/staff/person.html", {"subject": subject, "form": form}, status=400)
