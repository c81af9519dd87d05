"""The applicant's pages: start, the form's steps, uploads, check your answers, status, respond."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.access import AUTHENTICATED, AuthenticatedRequest, access
from core.exceptions import ApplicationError
from registry import selectors, services
from registry.exceptions import ApplicationIncomplete
from registry.forms import (
    CategoryChoiceForm,
    DeclarationForm,
    DocumentUploadForm,
    EmploymentForm,
    PersonalDetailsForm,
    QualificationForm,
    ResponseForm,
    WithdrawForm,
)
from registry.models import Application, ApplicationDocument

# The form's steps, in order: (slug, title, form class).
STEPS: list[tuple[str, Any, Any]] = [
    ("personal", gettext_lazy("Your details"), PersonalDetailsForm),
    ("qualification", gettext_lazy("Your qualification"), QualificationForm),
    ("employment", gettext_lazy("Work and supervised practice"), EmploymentForm),
    ("documents", gettext_lazy("Supporting documents"), None),
    ("declaration", gettext_lazy("Declaration"), DeclarationForm),
]
STEP_SLUGS = [slug for slug, _title, _form in STEPS]


def _own_application(request: AuthenticatedRequest, application_id: int) -> Application:
    try:
        return selectors.application_get_for_applicant(user=request.user, application_id=application_id)
    except Application.DoesNotExist as exc:
        raise Http404(_("Application not found.")) from exc


def _next_step_url(application: Application, slug: str) -> Any:
    index = STEP_SLUGS.index(slug)
    if index + 1 < len(STEP_SLUGS):
        return redirect("registry:application-step", application_id=application.pk, step=STEP_SLUGS[index + 1])
    return redirect("registry:application-check", application_id=application.pk)


@access(AUTHENTICATED)
def application_list(request: AuthenticatedRequest) -> HttpResponse:
    applications = selectors.application_list_for_applicant(user=request.user)
    return render(request, "registry/applicant/list.html", {"applications": applications})


@access(AUTHENTICATED)
@require_http_methods(["GET", "POST"])
def application_start(request: AuthenticatedRequest) -> HttpResponse:
    categories = selectors.category_list_open()
    form = CategoryChoiceForm(request.POST or None, categories=categories)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_start(actor=request.user, category=form.cleaned_data["category"])
        except ApplicationError as error:
            form.add_error("category", error.message)
        else:
            return redirect("registry:application-step", application_id=application.pk, step=STEP_SLUGS[0])
    return render(request, "registry/applicant/start.html", {"form": form})


@access(AUTHENTICATED)
@require_http_methods(["GET", "POST"])
def application_step(request: AuthenticatedRequest, application_id: int, step: str) -> HttpResponse:
    application = _own_application(request, application_id)
    if step not in STEP_SLUGS:
        raise Http404(_("There is no such step."))
    if application.status != Application.Status.DRAFT:
        return redirect("registry:application-detail", application_id=application.pk)
    if step == "documents":
        return _documents_step(request, application)
    _slug, title, form_class = STEPS[STEP_SLUGS.index(step)]
    kwargs: dict[str, Any] = {}
    if form_class is QualificationForm:
        kwargs["category"] = application.category
    if form_class is DeclarationForm:
        form = form_class(request.POST or None, initial={"declaration_accepted": application.declaration_accepted})
    else:
        form = form_class(request.POST or None, instance=application, **kwargs)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        try:
            services.application_save_draft(actor=request.user, application=application, data=data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            if request.POST.get("return_to") == "check":
                return redirect("registry:application-check", application_id=application.pk)
            return _next_step_url(application, step)
    return render(
        request,
        "registry/applicant/step.html",
        {
            "application": application,
            "form": form,
            "title": title,
            "step": step,
            "step_number": STEP_SLUGS.index(step) + 1,
            "step_count": len(STEP_SLUGS),
            "return_to": request.GET.get("return_to", ""),
        },
    )


def _documents_step(request: AuthenticatedRequest, application: Application) -> HttpResponse:
    form = DocumentUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if request.POST.get("continue"):
            return _next_step_url(application, "documents")
        if form.is_valid():
            try:
                services.application_document_add(
                    actor=request.user,
                    application=application,
                    kind=form.cleaned_data["kind"],
                    uploaded=form.cleaned_data["file"],
                )
            except ApplicationError as error:
                form.add_error("file", error.message)
            else:
                messages.success(request, _("The document was uploaded."))
                return redirect("registry:application-step", application_id=application.pk, step="documents")
    return render(
        request,
        "registry/applicant/documents.html",
        {
            "application": application,
            "form": form,
            "documents": application.documents.all(),
            "step_number": STEP_SLUGS.index("documents") + 1,
            "step_count": len(STEP_SLUGS),
        },
    )


@access(AUTHENTICATED)
@require_http_methods(["GET", "POST"])
def application_check(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    """Check your answers, then submit."""
    application = _own_application(request, application_id)
    if application.status != Application.Status.DRAFT:
        return redirect("registry:application-detail", application_id=application.pk)
    problems: list[str] = []
    if request.method == "POST":
        try:
            services.application_submit(actor=request.user, application=application)
        except ApplicationIncomplete as error:
            problems = error.problems
        except ApplicationError as error:
            problems = [error.message]
        else:
            messages.success(request, _("Your application has been submitted."))
            return redirect("registry:application-detail", application_id=application.pk)
    return render(
        request,
        "registry/applicant/check.html",
        {"application": application, "problems": problems, "documents": application.documents.all()},
    )


@access(AUTHENTICATED)
def application_detail(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    application = _own_application(request, application_id)
    open_request = next((r for r in application.information_requests.all() if r.responded_at is None), None)
    return render(
        request,
        "registry/applicant/detail.html",
        {
            "application": application,
            "open_request": open_request,
            "response_form": ResponseForm(),
            "withdraw_form": WithdrawForm(),
        },
    )


@access(AUTHENTICATED)
@require_http_methods(["GET", "POST"])
def application_respond(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    application = _own_application(request, application_id)
    open_request = next((r for r in application.information_requests.all() if r.responded_at is None), None)
    if open_request is None:
        messages.info(request, _("The council has not asked for more information."))
        return redirect("registry:application-detail", application_id=application.pk)
    form = ResponseForm(request.POST or None)
    has_upload = request.method == "POST" and bool(request.FILES.get("upload-file"))
    upload_form = (
        DocumentUploadForm(request.POST, request.FILES, prefix="upload")
        if has_upload
        else DocumentUploadForm(prefix="upload")
    )
    if request.method == "POST" and form.is_valid():
        try:
            if has_upload:
                if not upload_form.is_valid():
                    raise ApplicationError(_("Check the document you are uploading."))
                services.application_document_add(
                    actor=request.user,
                    application=application,
                    kind=upload_form.cleaned_data["kind"],
                    uploaded=upload_form.cleaned_data["file"],
                )
            services.application_respond(
                actor=request.user,
                application=application,
                response=form.cleaned_data["response"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Thank you. Your answer has been sent to the council."))
            return redirect("registry:application-detail", application_id=application.pk)
    return render(
        request,
        "registry/applicant/respond.html",
        {"application": application, "open_request": open_request, "form": form, "upload_form": upload_form},
    )


@access(AUTHENTICATED)
@require_POST
def application_withdraw(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    application = _own_application(request, application_id)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.application_withdraw(
                actor=request.user,
                application=application,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your application has been withdrawn."))
    return redirect("registry:application-detail", application_id=application.pk)


@access(AUTHENTICATED)
def application_document(request: AuthenticatedRequest, application_id: int, document_id: int) -> FileResponse:
    try:
        document = selectors.application_document_get_for_applicant(
            user=request.user,
            application_id=application_id,
            document_id=document_id,
        )
    except ApplicationDocument.DoesNotExist as exc:
        raise Http404(_("Document not found.")) from exc
    return document_response(document)


def document_response(document: ApplicationDocument) -> FileResponse:
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
