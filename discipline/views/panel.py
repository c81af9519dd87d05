"""Hearing panel pages. A panel member sees only the hearings they sit on: the case bundle once they have
declared no conflict, and the decision form. A removal needs a second member's confirmation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from core.selectors import council_get
from discipline import selectors, services
from discipline.forms import DecisionForm, DeclarationForm
from discipline.models import CaseDocument, Decision, PanelSeat
from discipline.views.staff import document_response, refused_response

PANEL = staff("discipline.sit_on_panel")


def _currency() -> str:
    council = council_get()
    return council.currency if council is not None else "ZAR"


@access(PANEL)
@require_GET
def hearings(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "discipline/panel/hearings.html", {"seats": selectors.hearings_of_member(user=request.user)})


def _hearing_page(request: AuthenticatedRequest, seat: PanelSeat, status: int = 200, **forms: Any) -> HttpResponse:
    hearing = seat.hearing
    case = hearing.case
    sitting = seat.declaration == PanelSeat.Declaration.NO_CONFLICT
    decision = Decision.objects.filter(hearing=hearing).select_related("recorded_by").first()
    context: dict[str, Any] = {
        "seat": seat,
        "hearing": hearing,
        "case": case,
        "sitting": sitting,
        "bundle": list(case.documents.filter(in_bundle=True)) if sitting else [],
        "panel": list(hearing.seats.select_related("member")),
        "decision": decision,
        "may_confirm": bool(
            sitting
            and decision is not None
            and decision.status == Decision.Status.AWAITING_CONFIRMATION
            and decision.recorded_by_id != request.user.pk
        ),
        "declaration_form": DeclarationForm(),
        "decision_form": DecisionForm(currency=_currency()),
    }
    context.update(forms)
    return render(request, "discipline/panel/hearing.html", context, status=status)


@access(PANEL)
@require_GET
def hearing(request: AuthenticatedRequest, hearing_id: int) -> HttpResponse:
    return _hearing_page(request, selectors.seat_of_member(user=request.user, hearing_id=hearing_id))


@access(PANEL)
@require_POST
def declare(request: AuthenticatedRequest, hearing_id: int) -> HttpResponse:
    seat = selectors.seat_of_member(user=request.user, hearing_id=hearing_id)
    form = DeclarationForm(request.POST)
    if form.is_valid():
        try:
            services.panel_declare(
                actor=request.user,
                seat=seat,
                has_conflict=form.cleaned_data["has_conflict"] == "yes",
                note=form.cleaned_data["note"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your declaration is recorded."))
            return redirect("panel:hearing", hearing_id=hearing_id)
    return _hearing_page(request, seat, status=400, declaration_form=form)


@access(PANEL)
@require_POST
def decide(request: AuthenticatedRequest, hearing_id: int) -> HttpResponse:
    seat = selectors.seat_of_member(user=request.user, hearing_id=hearing_id)
    form = DecisionForm(request.POST, currency=_currency())
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.decision_record(
                actor=request.user,
                hearing=seat.hearing,
                decision=services.DecisionInput(
                    outcome=data["outcome"],
                    findings=data["findings"],
                    reasons=data["reasons"],
                    sanction_kind=data["sanction_kind"],
                    sanction_months=data["sanction_months"],
                    conditions=data["conditions"],
                    fine_minor=data["fine"],
                    public_summary=data["public_summary"],
                ),
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The decision is recorded."))
            return redirect("panel:hearing", hearing_id=hearing_id)
    return _hearing_page(request, seat, status=400, decision_form=form)


@access(PANEL)
@require_POST
def confirm(request: AuthenticatedRequest, hearing_id: int) -> HttpResponse:
    seat = selectors.seat_of_member(user=request.user, hearing_id=hearing_id)
    decision = get_object_or_404(Decision, hearing=seat.hearing)
    try:
        services.decision_confirm(actor=request.user, decision=decision)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The removal is confirmed and in effect."))
    return redirect("panel:hearing", hearing_id=hearing_id)


@access(PANEL)
@require_GET
def document(request: AuthenticatedRequest, hearing_id: int, document_id: int) -> HttpResponseBase:
    seat = selectors.seat_of_member(user=request.user, hearing_id=hearing_id)
    found = get_object_or_404(CaseDocument, pk=document_id, case_id=seat.hearing.case_id, in_bundle=True)
    if not services.case_document_open(actor=request.user, document=found):
        return refused_response(request, _("Only the case team and the hearing panel can open this document."))
    return document_response(found.file, name=found.original_name, content_type=found.content_type)
