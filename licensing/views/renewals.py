"""Registry staff and renewal: the at-risk queue, restoration decisions and extensions."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.access import AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from core.selectors import council_today
from licensing import selectors, services
from licensing.forms import ExtensionForm, RestorationDecisionForm, errors_text
from licensing.models import RenewalPeriod, RestorationApplication
from registry.models import RegisterEntry

VIEWER = staff("registry.view_register_record")
REGISTRAR = staff("registry.change_register_status")


@access(VIEWER)
def at_risk(request: AuthenticatedRequest) -> HttpResponse:
    """Registrants who have done two of the three steps, for each open period, soonest lapse first."""
    today = council_today()
    queues = [
        (
            period,
            f"page-{period.year}",
            Paginator(selectors.at_risk_list(period=period), 100).get_page(request.GET.get(f"page-{period.year}")),
        )
        for period in selectors.periods_open(on_date=today)
    ]
    return render(request, "licensing/staff/at_risk.html", {"queues": queues, "today": today})


@access(VIEWER)
@require_POST
def at_risk_remind(request: AuthenticatedRequest, entry_id: int, year: int) -> HttpResponse:
    entry = get_object_or_404(RegisterEntry, pk=entry_id)
    period = get_object_or_404(RenewalPeriod, year=year)
    try:
        services.at_risk_remind(actor=request.user, entry=entry, period=period)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Reminder sent to %(number)s.") % {"number": entry.registration_number})
    return redirect("renewals:at-risk")


@access(VIEWER)
def restorations(request: AuthenticatedRequest) -> HttpResponse:
    items = RestorationApplication.objects.select_related("register_entry__practitioner", "invoice").order_by(
        "status", "created_at"
    )
    return render(request, "licensing/staff/restorations.html", {"restorations": items})


@access(VIEWER)
def restoration_detail(request: AuthenticatedRequest, restoration_id: int) -> HttpResponse:
    restoration = get_object_or_404(
        RestorationApplication.objects.select_related(
            "register_entry__practitioner", "register_entry__category", "invoice"
        ),
        pk=restoration_id,
    )
    return render(
        request,
        "licensing/staff/restoration.html",
        {
            "restoration": restoration,
            "lines": restoration.invoice.lines.all(),
            "arrears": services.restoration_arrears(entry=restoration.register_entry),
            "form": RestorationDecisionForm(),
            "can_decide": request.user.has_perm("registry.change_register_status"),
        },
    )


@access(REGISTRAR)
@require_POST
def restoration_decide(request: AuthenticatedRequest, restoration_id: int) -> HttpResponse:
    restoration = get_object_or_404(RestorationApplication, pk=restoration_id)
    form = RestorationDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.restoration_decide(
                actor=request.user,
                restoration=restoration,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Decision recorded."))
    else:
        messages.error(request, errors_text(form))
    return redirect("renewals:restoration-detail", restoration_id=restoration.pk)


@access(REGISTRAR)
@require_http_methods(["GET", "POST"])
def extension_grant(request: AuthenticatedRequest, entry_id: int, year: int) -> HttpResponse:
    entry = get_object_or_404(RegisterEntry.objects.select_related("practitioner"), pk=entry_id)
    period = get_object_or_404(RenewalPeriod, year=year)
    state = selectors.renewal_state(entry=entry, period=period)
    form = ExtensionForm(
        request.POST or None,
        initial={"due_date": state.due_on, "penalty_from_date": state.penalty_on, "lapse_date": state.lapse_on},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.renewal_extension_grant(actor=request.user, entry=entry, period=period, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Extension granted; reminders will follow the new dates."))
            return redirect("staff:register-record", entry_id=entry.pk)
    return render(request, "licensing/staff/extension.html", {"form": form, "entry": entry, "state": state})
