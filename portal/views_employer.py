"""An employer's pages: the roster at a glance, uploads, reports, API keys, and change alerts.

Every read is scoped to the signed-in user's organisation (portal.selectors.organisation_for); an id
from another organisation is a 404, never a leak.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.defaults import permission_denied

from core.access import EMPLOYER, AuthenticatedRequest, access
from core.exceptions import ApplicationError
from core.selectors import council_get, council_today
from portal import selectors, services
from portal.documents import flag_label, roster_csv_chunks, roster_pdf
from portal.forms import AlertSettingsForm, ApiKeyForm, RosterUploadForm
from portal.models import EmployerOrganisation, RosterEntry

ROSTER_PAGE = 50


def _organisation_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Pass the user's organisation to the view; a user who acts for none gets a 403 page."""

    @wraps(view)
    def wrapped(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        organisation = selectors.organisation_for(user=request.user)
        if organisation is None:
            return permission_denied(
                request, PermissionDenied(_("Your account is not linked to an employer organisation."))
            )
        try:
            return view(request, organisation, *args, **kwargs)
        except ObjectDoesNotExist as exc:
            raise Http404(_("Not found.")) from exc

    return wrapped


@access(EMPLOYER)
@require_GET
@_organisation_view
def dashboard(request: AuthenticatedRequest, organisation: EmployerOrganisation) -> HttpResponse:
    rows = list(selectors.roster_rows(organisation=organisation))
    summary = selectors.roster_summary(rows)
    flag = request.GET.get("flag", "")
    if flag in selectors.ROSTER_FLAGS:
        rows = [row for row in rows if flag in row.flags]
    else:
        flag = ""
    page = Paginator(rows, ROSTER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/employer/dashboard.html",
        {
            "organisation": organisation,
            "summary": summary,
            "flags": [(name, flag_label(name), summary[name]) for name in selectors.ROSTER_FLAGS],
            "flag": flag,
            "page": page,
            "flag_labels": {name: flag_label(name) for name in selectors.ROSTER_FLAGS},
            "upload_form": RosterUploadForm(),
        },
    )


@access(EMPLOYER)
@require_http_methods(["GET", "POST"])
@_organisation_view
def roster_upload(request: AuthenticatedRequest, organisation: EmployerOrganisation) -> HttpResponse:
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["roster"]
        try:
            upload = services.roster_upload(
                actor=request.user,
                organisation=organisation,
                name=uploaded.name or "roster.csv",
                data=uploaded.read(services.ROSTER_MAX_BYTES + 1),
            )
        except ApplicationError as error:
            form.add_error("roster", error.message)
        else:
            return redirect("employer:upload", roster_upload_id=upload.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/employer/upload.html", {"form": form, "organisation": organisation}, status=status)


@access(EMPLOYER)
@require_GET
@_organisation_view
def upload_result(
    request: AuthenticatedRequest, organisation: EmployerOrganisation, roster_upload_id: int
) -> HttpResponse:
    upload = selectors.roster_upload_get(organisation=organisation, upload_id=roster_upload_id)
    return render(request, "portal/employer/upload_result.html", {"upload": upload, "organisation": organisation})


@access(EMPLOYER)
@require_POST
@_organisation_view
def roster_remove(request: AuthenticatedRequest, organisation: EmployerOrganisation, roster_id: int) -> HttpResponse:
    row = RosterEntry.objects.select_related("register_entry").get(organisation=organisation, pk=roster_id)
    services.roster_remove(
        actor=request.user, organisation=organisation, registration_number=row.register_entry.registration_number
    )
    messages.success(
        request, _("%(number)s is no longer on your roster.") % {"number": row.register_entry.registration_number}
    )
    return redirect("employer:dashboard")


@access(EMPLOYER)
@require_GET
@_organisation_view
def roster_csv(request: AuthenticatedRequest, organisation: EmployerOrganisation) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        roster_csv_chunks(selectors.roster_rows(organisation=organisation)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="roster-{council_today().isoformat()}.csv"'
    return response


@access(EMPLOYER)
@require_GET
@_organisation_view
def roster_pdf_download(request: AuthenticatedRequest, organisation: EmployerOrganisation) -> HttpResponse:
    council = council_get()
    pdf = roster_pdf(
        rows=selectors.roster_rows(organisation=organisation),
        organisation_name=organisation.name,
        council_name=council.name if council else "",
        on_date=council_today(),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="roster-{council_today().isoformat()}.pdf"'
    return response


def _keys_page(
    request: AuthenticatedRequest,
    organisation: EmployerOrganisation,
    *,
    form: ApiKeyForm,
    new_key: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "portal/employer/keys.html",
        {
            "organisation": organisation,
            "keys": selectors.api_keys(organisation=organisation),
            "form": form,
            "new_key": new_key,
        },
        status=status,
    )


@access(EMPLOYER)
@require_http_methods(["GET", "POST"])
@_organisation_view
def api_keys(request: AuthenticatedRequest, organisation: EmployerOrganisation) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                _key, raw = services.api_key_issue(
                    actor=request.user, organisation=organisation, name=form.cleaned_data["name"]
                )
            except ApplicationError as error:
                form.add_error("name", error.message)
            else:
                return _keys_page(request, organisation, form=ApiKeyForm(), new_key=raw)
        return _keys_page(request, organisation, form=form, status=400)
    return _keys_page(request, organisation, form=form)


@access(EMPLOYER)
@require_POST
@_organisation_view
def api_key_revoke(request: AuthenticatedRequest, organisation: EmployerOrganisation, key_id: int) -> HttpResponse:
    key = selectors.api_key_get(organisation=organisation, key_id=key_id)
    try:
        services.api_key_revoke(actor=request.user, key=key, reason="revoked in the portal")
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The key %(name)s is revoked. Requests using it are refused from now on.") % {"name": key.name}
        )
    return redirect("employer:keys")


def _alerts_page(
    request: AuthenticatedRequest,
    organisation: EmployerOrganisation,
    *,
    form: AlertSettingsForm | None = None,
    new_secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    form = form or AlertSettingsForm(
        initial={"frequency": organisation.alert_frequency, "webhook_url": organisation.webhook_url}
    )
    return render(
        request,
        "portal/employer/alerts.html",
        {
            "organisation": organisation,
            "form": form,
            "new_secret": new_secret,
            "alerts": Paginator(selectors.alerts(organisation=organisation), 50).get_page(request.GET.get("page")),
            "deliveries": selectors.deliveries(organisation=organisation)[:50],
        },
        status=status,
    )


@access(EMPLOYER)
@require_http_methods(["GET", "POST"])
@_organisation_view
def alerts(request: AuthenticatedRequest, organisation: EmployerOrganisation) -> HttpResponse:
    if request.method == "GET":
        return _alerts_page(request, organisation)
    form = AlertSettingsForm(request.POST)
    if form.is_valid():
        try:
            organisation, secret = services.alert_settings_save(
                actor=request.user,
                organisation=organisation,
                frequency=form.cleaned_data["frequency"],
                webhook_url=form.cleaned_data["webhook_url"],
            )
        except ApplicationError as error:
            form.add_error("webhook_url", error.message)
        else:
            messages.success(request, _("Your alert settings are saved."))
            return _alerts_page(request, organisation, new_secret=secret)
    return _alerts_page(request, organisation, form=form, status=400)


@access(EMPLOYER)
@require_POST
@_organisation_view
def webhook_secret_rotate(request: AuthenticatedRequest, organisation: EmployerOrganisation) -> HttpResponse:
    try:
        secret = services.webhook_secret_rotate(actor=request.user, organisation=organisation)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("employer:alerts")
    return _alerts_page(request, organisation, new_secret=secret)


@access(EMPLOYER)
@require_POST
@_organisation_view
def delivery_resend(
    request: AuthenticatedRequest, organisation: EmployerOrganisation, delivery_id: int
) -> HttpResponse:
    delivery = selectors.delivery_get(organisation=organisation, delivery_id=delivery_id)
    try:
        services.webhook_resend(actor=request.user, delivery=delivery)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The message is being sent again."))
    return redirect("employer:alerts")
