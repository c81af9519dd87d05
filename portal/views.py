"""The public register: search, the public record page, and verification statements.

Only what DESIGN.md allows is shown (portal.selectors). Search is rate-limited per address, shares
its limit with the API, stops at MAX_RESULTS matches, and is counted anonymously (portal.stats).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.access import PUBLIC, access
from core.selectors import council_get, council_today
from portal import selectors, services
from portal.api_auth import PROBLEM_CONTENT_TYPE, anonymous_wait
from portal.documents import statement_pdf, statement_status_words
from portal.models import VerificationStatement
from portal.stats import search_counted, search_outcome
from registry import selectors as registry_selectors
from registry.forms import PublicSearchForm
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import RegisterEntry
from registry.numbers import looks_like_registration_number, normalise_registration_number

RESULTS_PER_PAGE = 25
MAX_RESULTS = 250  # ten pages: past that, refine the search (no paging through the whole register)


def _too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(request, "portal/too_many_requests.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


@access(PUBLIC)
@transaction.non_atomic_requests  # read-only: no transaction round trips on the hottest pages
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    categories = registry_selectors.category_list_open()
    return render(request, "portal/home.html", {"form": PublicSearchForm(categories=categories)})


@access(PUBLIC)
@transaction.non_atomic_requests
@require_GET
def register_search(request: HttpRequest) -> HttpResponse:
    categories = list(registry_selectors.category_list_open())
    form = PublicSearchForm(request.GET or None, categories=categories)
    page = None
    problem = None
    searched = False
    if form.is_valid():
        query = form.cleaned_data["q"]
        searched = bool(query.strip())
        if searched and (wait := anonymous_wait(request)) is not None:
            return _too_many_requests(request, wait)
        entries, problem = registry_selectors.public_register_search(
            query=query,
            category_code=form.cleaned_data["category"],
            status=form.cleaned_data["status"],
            previous_names_where=selectors.optional_public_fields(
                getattr(request, "council", None)
            ).previous_names_searchable(),
        )
        page = Paginator(entries[:MAX_RESULTS], RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        if searched:
            kind = "number" if looks_like_registration_number(" ".join(query.split())) else "name"
            outcome = search_outcome(problem=problem, found=bool(page.paginator.count))
            search_counted(channel="web", kind=kind, outcome=outcome)
    return render(
        request,
        "portal/search.html",
        {
            "form": form,
            "page": page,
            "searched": searched,
            "invalid_number": problem == "invalid-number",
            "too_short": problem == "too-short",
            "capped": page is not None and page.paginator.count >= MAX_RESULTS,
            "max_results": MAX_RESULTS,
            "practising_statuses": ENTRY_PRACTISING_STATUSES,
        },
    )


def _entry_or_404(registration_number: str) -> RegisterEntry:
    # Only a well-formed number reaches the database (a NUL in the address would be a server error there).
    number = normalise_registration_number(registration_number)
    if number is None:
        raise Http404(_("No one is registered under that number."))
    try:
        return selectors.public_entry(registration_number=number)
    except RegisterEntry.DoesNotExist as exc:
        raise Http404(_("No one is registered under that number.")) from exc


@access(PUBLIC)
@transaction.non_atomic_requests
@require_GET
def register_record(request: HttpRequest, registration_number: str) -> HttpResponse:
    # Record pages share the search's limit, so walking through numbers is as slow as searching.
    if (wait := anonymous_wait(request)) is not None:
        return _too_many_requests(request, wait)
    entry = _entry_or_404(registration_number)
    optional = selectors.optional_public_fields(getattr(request, "council", None))
    return render(
        request,
        "portal/record.html",
        {
            "entry": entry,
            "may_practise": entry.status in ENTRY_PRACTISING_STATUSES,
            "headline": selectors.status_headline(
                status=entry.status,
                status_label=str(entry.get_status_display()),
                licence_valid_to=getattr(entry, "licence_valid_to", None),
                licensing=selectors.licensing_in_force(),
            ),
            "notices": selectors.public_notices_for([entry.pk]).get(entry.pk, []),
            "periods": selectors.status_periods(entry=entry),
            "optional_fields": optional.published_for(entry.practitioner),
            "statement_form": StatementDateForm(initial={"as_at": timezone.localdate()}),
        },
    )


class StatementDateForm(forms.Form):
    as_at = forms.DateField(
        label=gettext_lazy("As at"),
        help_text=gettext_lazy("For example, 1 6 2025 is written 2025-06-01"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_as_at(self) -> dt.date:
        value: dt.date = self.cleaned_data["as_at"]
        if value > council_today():
            raise forms.ValidationError(_("A statement cannot be made for a date in the future."))
        if value.year < 1900:
            raise forms.ValidationError(_("Give a date after 1900."))
        return value


def _statement(
    request: HttpRequest, registration_number: str
) -> tuple[VerificationStatement | None, StatementDateForm]:
    number = normalise_registration_number(registration_number)
    found = (
        RegisterEntry.objects.select_related("practitioner", "category").filter(registration_number=number).first()
        if number is not None
        else None
    )
    if found is None:
        raise Http404(_("No one is registered under that number."))
    form = StatementDateForm(request.GET if "as_at" in request.GET else {"as_at": council_today()})
    if not form.is_valid():
        return None, form
    return services.statement_issue(entry=found, day=form.cleaned_data["as_at"]), form


def _check_url(request: HttpRequest, statement: VerificationStatement) -> str:
    return request.build_absolute_uri(reverse("portal:statement-check", args=[statement.reference]))


@access(PUBLIC)
@require_GET
def statement(request: HttpRequest, registration_number: str) -> HttpResponse:
    if (wait := anonymous_wait(request)) is not None:
        return _too_many_requests(request, wait)
    issued, form = _statement(request, registration_number)
    if issued is None:
        return render(request, "portal/statement.html", {"form": form, "number": registration_number}, status=400)
    return render(
        request,
        "portal/statement.html",
        {
            "form": form,
            "number": registration_number,
            "statement": issued,
            "facts": issued.payload,
            "words": statement_status_words(issued.payload),
            "check_url": _check_url(request, issued),
        },
    )


@access(PUBLIC)
@require_GET
def statement_pdf_download(request: HttpRequest, registration_number: str) -> HttpResponse:
    if (wait := anonymous_wait(request)) is not None:
        return _too_many_requests(request, wait)
    issued, form = _statement(request, registration_number)
    if issued is None:
        return render(request, "portal/statement.html", {"form": form, "number": registration_number}, status=400)
    council = council_get()
    pdf = statement_pdf(
        statement=issued, council_name=council.name if council else "", verify_url=_check_url(request, issued)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="statement-{issued.reference}.pdf"'
    return response


def _problem_json(status: int, title: str, **extra: object) -> JsonResponse:
    body = {"type": "about:blank", "title": title, "status": status, **extra}
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


@access(PUBLIC)
@require_GET
def statement_json(request: HttpRequest, registration_number: str) -> HttpResponse:
    if (wait := anonymous_wait(request)) is not None:
        response = _problem_json(429, _("Too many requests"), retry_after=wait)
        response["Retry-After"] = str(wait)
        return response
    try:
        issued, form = _statement(request, registration_number)
    except Http404:
        return _problem_json(404, _("Not found"), detail=_("No one is registered under that number."))
    if issued is None:
        return _problem_json(400, _("The request is not valid"), errors=form.errors)
    return JsonResponse(
        {
            "reference": issued.reference,
            "statement": issued.payload,
            "token": issued.token,
            "verify_url": _check_url(request, issued),
            "keys_url": request.build_absolute_uri(reverse("well-known-verification-keys")),
        },
        json_dumps_params={"ensure_ascii": False},
    )


@access(PUBLIC)
@transaction.non_atomic_requests
@require_GET
def statement_check(request: HttpRequest, reference: str) -> HttpResponse:
    """Re-check a statement online: is it one the council issued, and does the register still say the same
    of that date (a record corrected later would show here)."""
    if (wait := anonymous_wait(request)) is not None:
        return _too_many_requests(request, wait)
    try:
        if "\x00" in reference:  # PostgreSQL refuses NUL in text: a server error, not a lookup
            raise VerificationStatement.DoesNotExist
        issued = selectors.statement_get(reference=reference)
    except VerificationStatement.DoesNotExist as exc:
        raise Http404(_("The council has issued no statement with that reference.")) from exc
    current = selectors.entry_facts_as_at(entry=issued.register_entry, day=issued.as_at_date)
    unchanged = all(issued.payload.get(key) == value for key, value in current.items())
    return render(
        request,
        "portal/statement_check.html",
        {
            "statement": issued,
            "facts": issued.payload,
            "words": statement_status_words(issued.payload),
            "unchanged": unchanged,
        },
    )
