"""The public register: search and the public record page. Only what DESIGN.md allows is shown."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.access import PUBLIC, access
from discipline.selectors import public_notices
from registry import selectors
from registry.forms import PublicSearchForm
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import RegisterEntry

RESULTS_PER_PAGE = 25


@access(PUBLIC)
@transaction.non_atomic_requests  # read-only: no transaction round trips on the hottest pages
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    categories = selectors.category_list_open()
    return render(request, "portal/home.html", {"form": PublicSearchForm(categories=categories)})


@access(PUBLIC)
@transaction.non_atomic_requests  # read-only: no transaction round trips on the hottest pages
@require_GET
def register_search(request: HttpRequest) -> HttpResponse:
    categories = list(selectors.category_list_open())
    form = PublicSearchForm(request.GET or None, categories=categories)
    page = None
    problem = None
    searched = False
    if form.is_valid():
        query = form.cleaned_data["q"]
        searched = bool(query.strip())
        entries, problem = selectors.public_register_search(
            query=query, category_code=form.cleaned_data["category"], status=form.cleaned_data["status"]
        )
        page = Paginator(entries, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/search.html",
        {
            "form": form,
            "page": page,
            "searched": searched,
            "invalid_number": problem == "invalid-number",
            "practising_statuses": ENTRY_PRACTISING_STATUSES,
        },
    )


@access(PUBLIC)
@transaction.non_atomic_requests  # read-only: no transaction round trips on the hottest pages
@require_GET
def register_record(request: HttpRequest, registration_number: str) -> HttpResponse:
    try:
        entry = selectors.public_register_entry(registration_number=registration_number)
    except RegisterEntry.DoesNotExist as exc:
        raise Http404(_("No one is registered under that number.")) from exc
    council = getattr(request, "council", None)
    return render(
        request,
        "portal/record.html",
        {
            "entry": entry,
            "may_practise": entry.status in ENTRY_PRACTISING_STATUSES,
            "notices": public_notices(entry=entry),
            "show_previous_names": bool(council and council.public_register_shows_previous_names),
        },
    )
