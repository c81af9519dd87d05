"""Workforce statistics: the staff dashboard and its exports, the child population import, and the
public open-data page. Charts are SVG drawn on the server, each beside its table: no JavaScript."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.access import PUBLIC, AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from core.selectors import council_today
from workforce import charts, figures, services
from workforce.forms import ChildPopulationForm, DashboardForm
from workforce.models import ChildPopulation

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _choices(request: HttpRequest) -> tuple[DashboardForm, dict[str, Any]]:
    today = council_today()
    data = request.GET if request.GET else None
    form = DashboardForm(data, initial={"as_at": today, "by": "region"})
    if data is not None and form.is_valid():
        return form, form.cleaned_data
    return form, {"as_at": today, "by": "region", "licensed_only": False}


@access(staff("workforce.view_workforce_statistics"))
@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    form, chosen = _choices(request)
    as_at, by = chosen["as_at"], chosen["by"]
    indicator = figures.indicator(as_at=as_at, licensed_only=chosen["licensed_only"])
    overall = [row for row in indicator.rows if row[1] == _("All categories")]
    breakdown, breakdown_table = figures.breakdown(as_at=as_at, by=by)
    statuses, _statuses_table = figures.statuses(as_at=as_at)
    flows, _periods = figures.flows(as_at=as_at)
    context = {
        "form": form,
        "as_at": as_at,
        "query": request.GET.urlencode(),
        "indicator": indicator,
        "indicator_chart": charts.bar_chart(
            chart_id="indicator-chart", title=indicator.title, bars=[(row[0], row[5]) for row in overall]
        ),
        "breakdown": breakdown,
        "breakdown_chart": charts.bar_chart(
            chart_id="breakdown-chart",
            title=breakdown.title,
            bars=[(row, breakdown_table.row_total(row)) for row in breakdown_table.rows],
        ),
        "statuses": statuses,
        "flows": flows,
        "flows_chart": charts.bar_chart(
            chart_id="flows-chart",
            title=_("New registrations by year"),
            bars=[(row[0], row[2]) for row in flows.rows],
        ),
        "has_populations": ChildPopulation.objects.exists(),
    }
    return render(request, "workforce/dashboard.html", context)


@access(staff("workforce.view_workforce_statistics"))
@require_GET
def export(request: AuthenticatedRequest, figure: str, file_format: str) -> HttpResponse:
    _form, chosen = _choices(request)
    as_at = chosen["as_at"]
    builders = {
        "indicator": lambda: figures.indicator(as_at=as_at, licensed_only=chosen["licensed_only"]),
        "breakdown": lambda: figures.breakdown(as_at=as_at, by=chosen["by"])[0],
        "statuses": lambda: figures.statuses(as_at=as_at)[0],
        "flows": lambda: figures.flows(as_at=as_at)[0],
    }
    if figure not in builders or file_format not in CONTENT_TYPES:
        raise Http404
    sheet = builders[figure]()
    body = sheet.csv_bytes() if file_format == "csv" else sheet.xlsx_bytes()
    response = HttpResponse(body, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="workforce-{figure}-{as_at.isoformat()}.{file_format}"'
    return response


@access(staff("workforce.import_child_population"))
@require_http_methods(["GET", "POST"])
def child_population(request: AuthenticatedRequest) -> HttpResponse:
    form = ChildPopulationForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.child_population_import(
                actor=request.user,
                data=form.cleaned_data["file"].read(services.MAX_BYTES + 1),
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            form.add_error("file", error.message)
        else:
            if not outcome.errors:
                messages.success(
                    request,
                    _("Imported: %(added)s added, %(changed)s changed, %(unchanged)s unchanged.")
                    % {"added": outcome.added, "changed": outcome.changed, "unchanged": outcome.unchanged},
                )
                return redirect("workforce:child-population")
    populations = ChildPopulation.objects.select_related("region").order_by("-year", "region__name")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "workforce/child_population.html",
        {"form": form, "outcome": outcome, "populations": populations},
        status=status,
    )


def _open_data(as_at: Any) -> list[Any]:
    key = f"workforce:open-data:{as_at.isoformat()}"
    tables = cache.get(key)
    if tables is None:
        tables = figures.open_data_tables(as_at=as_at)
        cache.set(key, tables, 3600)
    return tables


@access(PUBLIC)
@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    as_at = council_today()
    tables = _open_data(as_at)
    return render(
        request, "workforce/open_data.html", {"tables": tables, "as_at": as_at, "threshold": figures.SUPPRESSED}
    )


@access(PUBLIC)
@require_GET
def open_data_csv(request: HttpRequest) -> HttpResponse:
    as_at = council_today()
    sheet = figures.open_data_sheet(_open_data(as_at), as_at=as_at)
    response = HttpResponse(sheet.csv_bytes(), content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = f'attachment; filename="workforce-open-data-{as_at.isoformat()}.csv"'
    return response
