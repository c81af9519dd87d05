"""The candidate's pages: the exams they can take, booking a seat, accommodations, and their results.
Every booking is looked up through the signed-in user, so nobody sees anyone else's."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import AUTHENTICATED, AuthenticatedRequest, access
from core.exceptions import ApplicationError
from core.selectors import council_today
from exams import selectors, services
from exams.forms import AccommodationForm
from exams.models import Booking, Sitting


def _own_booking(request: AuthenticatedRequest, booking_id: int) -> Booking:
    try:
        return selectors.booking_for_candidate(user=request.user, booking_id=booking_id)
    except Booking.DoesNotExist as exc:
        raise Http404(_("Booking not found.")) from exc


@access(AUTHENTICATED)
def overview(request: AuthenticatedRequest) -> HttpResponse:
    exams = selectors.candidate_overview(user=request.user, on_date=council_today())
    return render(request, "exams/overview.html", {"exams": exams})


@access(AUTHENTICATED)
@require_POST
def book(request: AuthenticatedRequest, sitting_id: int) -> HttpResponse:
    sitting = get_object_or_404(Sitting, pk=sitting_id)
    try:
        booking = services.booking_create(actor=request.user, sitting=sitting)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("exams:overview")
    messages.success(
        request,
        _("Your seat at %(code)s is booked. Your candidate number is %(number)s.")
        % {"code": sitting.code, "number": booking.candidate_number},
    )
    return redirect("exams:booking", booking_id=booking.pk)


def _booking_page(
    request: AuthenticatedRequest, booking: Booking, form: AccommodationForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "exams/booking.html",
        {
            "booking": booking,
            "results": selectors.booking_results(booking),
            "accommodations": booking.accommodations.order_by("created_at"),
            "form": form,
        },
        status=status,
    )


@access(AUTHENTICATED)
def booking_detail(request: AuthenticatedRequest, booking_id: int) -> HttpResponse:
    return _booking_page(request, _own_booking(request, booking_id), AccommodationForm())


@access(AUTHENTICATED)
@require_POST
def accommodation_request(request: AuthenticatedRequest, booking_id: int) -> HttpResponse:
    booking = _own_booking(request, booking_id)
    form = AccommodationForm(request.POST)
    if form.is_valid():
        try:
            services.accommodation_request(actor=request.user, booking=booking, details=form.cleaned_data["details"])
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your request has been sent. The council will tell you its decision."))
            return redirect("exams:booking", booking_id=booking.pk)
    return _booking_page(request, booking, form, status=400)
