"""The staff review of records past retention: the rules with what awaits review, and each record type's list,
where staff keep or dispose of the ticked records (or all of them) with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.access import AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from retention import selectors, services
from retention.forms import FlagDecisionForm
from retention.record_types import RecordTypeSpec, record_type_get

REVIEW = staff(services.REVIEW_PERMISSION)
PAGE_SIZE = 50


def _spec(record_type: str) -> RecordTypeSpec:
    spec = record_type_get(record_type)
    if spec is None:
        raise Http404(_("There is no such kind of record."))
    return spec


@access(REVIEW)
@require_GET
def review(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "retention/review.html", {"summaries": selectors.rule_summaries()})


def _flags_page(
    request: AuthenticatedRequest, spec: RecordTypeSpec, form: FlagDecisionForm, *, status: int = 200
) -> HttpResponse:
    page = Paginator(selectors.open_flags(record_type=spec.code), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "retention/flags.html",
        {
            "spec": spec,
            "rule": selectors.rule_get(record_type=spec.code),
            "page": page,
            "rows": selectors.flag_rows(spec=spec, flags=page.object_list),
            "ticked": set(request.POST.getlist("flags")),
            "form": form,
        },
        status=status,
    )


@access(REVIEW)
@require_GET
def flags(request: AuthenticatedRequest, record_type: str) -> HttpResponse:
    return _flags_page(request, _spec(record_type), FlagDecisionForm())


@access(REVIEW)
@require_POST
def decide(request: AuthenticatedRequest, record_type: str) -> HttpResponse:
    spec = _spec(record_type)
    form = FlagDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        among = None if data["scope"] == "all" else data["flags"]
        flag_ids = selectors.open_flag_ids(record_type=spec.code, among=among)
        try:
            if among is not None and len(flag_ids) != len(among):
                raise ApplicationError(
                    _("Some of the ticked records are no longer awaiting review: look at the list again.")
                )
            if data["decision"] == FlagDecisionForm.KEEP:
                decided = services.retention_flags_keep(
                    actor=request.user, flag_ids=flag_ids, reason=data["reason"], keep_until=data["keep_until"]
                )
                message = ngettext(
                    "%(count)s record kept until %(date)s.", "%(count)s records kept until %(date)s.", len(decided)
                )
            else:
                decided = services.retention_flags_dispose(actor=request.user, flag_ids=flag_ids, reason=data["reason"])
                message = ngettext("%(count)s record disposed of.", "%(count)s records disposed of.", len(decided))
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            keep_until = data.get("keep_until")
            messages.success(
                request,
                message % {"count": len(decided), "date": date_format(keep_until, "j F Y") if keep_until else ""},
            )
            return redirect("retention:flags", record_type=spec.code)
    return _flags_page(request, spec, form, status=400)
