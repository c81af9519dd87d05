"""Staff pages for the public register: anonymous search statistics, and the whole register as CSV."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.access import AuthenticatedRequest, access, staff
from core.selectors import council_today
from portal import selectors, services
from portal.documents import register_csv_chunks
from portal.stats import search_counts_flush

STATISTICS_DAYS = 30


@access(staff("portal.view_search_statistics"))
@require_GET
def search_statistics(request: AuthenticatedRequest) -> HttpResponse:
    search_counts_flush()  # this process's counts so far
    since = council_today() - dt.timedelta(days=STATISTICS_DAYS - 1)
    rows = selectors.search_statistics(since=since)
    by_day: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        for key in (f"{row['channel']}", f"{row['kind']}", f"outcome:{row['outcome']}", "all"):
            by_day[row["day"]][key] += row["count"]
            totals[key] += row["count"]
    return render(
        request,
        "portal/staff/statistics.html",
        {"days": sorted(by_day.items(), reverse=True), "totals": totals, "since": since, "rows": rows},
    )


@access(staff("portal.export_register"))
@transaction.non_atomic_requests  # the export streams after the view returns, from a server-side cursor
@require_GET
def register_export(request: AuthenticatedRequest) -> StreamingHttpResponse:
    services.register_export_record(actor=request.user)
    response = StreamingHttpResponse(register_csv_chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="register-{council_today().isoformat()}.csv"'
    return response
