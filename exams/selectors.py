"""Reads for the exams module: eligibility, attempts, a candidate's exams, rosters, results and pass rates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from exams.models import ApprovalToTest, Booking, Exam, Result, Sitting
from registry.lifecycles import APPLICATION_OPEN_STATUSES
from registry.models import Application

# Pass-rate cells with fewer candidates than this are suppressed, to protect privacy (ASWB's rule).
SMALL_CELL = 10


@dataclass(frozen=True)
class Route:
    """Why a person may book an exam: their application's route, or a registrar's approval to test."""

    application: Application | None
    approval: ApprovalToTest | None


def exam_route(*, user: User, exam: Exam, on_date: dt.date) -> Route | None:
    """The person's route to this exam, or None when they are not eligible."""
    application = (
        Application.objects.filter(
            applicant=user,
            category=exam.category,
            category__requires_exam=True,
            status__in=APPLICATION_OPEN_STATUSES - {Application.Status.DRAFT},
        )
        .order_by("-submitted_at")
        .first()
    )
    if application is not None:
        return Route(application=application, approval=None)
    approval = (
        ApprovalToTest.objects.filter(candidate=user, exam=exam, expires_date__gte=on_date)
        .order_by("-created_at")
        .first()
    )
    if approval is not None:
        return Route(application=None, approval=approval)
    return None


def current_results(bookings: QuerySet[Booking] | list[int]) -> dict[int, Result]:
    """Each booking's current published result (its highest published version)."""
    results: dict[int, Result] = {}
    for result in Result.objects.filter(booking__in=bookings, status=Result.Status.PUBLISHED).order_by(
        "booking_id", "-version"
    ):
        results.setdefault(result.booking_id, result)
    return results


def attempts_for(*, user: User, exam: Exam) -> list[Booking]:
    """Every seat the person holds or held at this exam, oldest first."""
    return list(
        Booking.objects.filter(candidate=user, sitting__version__exam=exam, status=Booking.Status.BOOKED)
        .select_related("sitting")
        .order_by("sitting__starts_at")
    )


def has_passed(*, user: User, exam: Exam) -> bool:
    bookings = Booking.objects.filter(candidate=user, sitting__version__exam=exam)
    return any(result.passed for result in current_results(bookings).values())


def category_exam_passed(*, user: User, category_id: int) -> bool:
    """Whether the person's current published result for any exam of this register category is a pass."""
    bookings = Booking.objects.filter(candidate=user, sitting__version__exam__category_id=category_id)
    return any(result.passed for result in current_results(bookings).values())


def sittings_open_for_booking(*, exam: Exam, now: dt.datetime | None = None) -> QuerySet[Sitting]:
    now = now or timezone.now()
    return (
        Sitting.objects.filter(version__exam=exam, booking_opens_at__lte=now, booking_closes_at__gt=now)
        .select_related("version__exam")
        .order_by("starts_at")
    )


@dataclass
class CandidateExam:
    exam: Exam
    route: Route | None
    passed: bool
    sittings: list[Sitting]
    bookings: list[Booking]


def candidate_overview(*, user: User, on_date: dt.date) -> list[CandidateExam]:
    """The exams a person can take or has taken, with their route, open sittings and bookings."""
    exam_ids = set(Booking.objects.filter(candidate=user).values_list("sitting__version__exam_id", flat=True)) | set(
        ApprovalToTest.objects.filter(candidate=user).values_list("exam_id", flat=True)
    )
    category_ids = Application.objects.filter(
        applicant=user, category__requires_exam=True, status__in=APPLICATION_OPEN_STATUSES - {Application.Status.DRAFT}
    ).values_list("category_id", flat=True)
    exams = Exam.objects.filter(Q(pk__in=exam_ids) | Q(category_id__in=category_ids, is_active=True)).select_related(
        "category"
    )
    overview = []
    for exam in exams:
        bookings = list(
            Booking.objects.filter(candidate=user, sitting__version__exam=exam)
            .select_related("sitting__version__exam", "invoice")
            .order_by("-sitting__starts_at")
        )
        overview.append(
            CandidateExam(
                exam=exam,
                route=exam_route(user=user, exam=exam, on_date=on_date),
                passed=has_passed(user=user, exam=exam),
                sittings=list(sittings_open_for_booking(exam=exam)),
                bookings=bookings,
            )
        )
    return overview


def booking_for_candidate(*, user: User, booking_id: int) -> Booking:
    return Booking.objects.select_related("sitting__version__exam__category", "invoice").get(
        pk=booking_id, candidate=user
    )


def booking_results(booking: Booking) -> list[Result]:
    """Published versions of a booking's result, newest first: the current one, then what it corrected."""
    return list(booking.results.filter(status=Result.Status.PUBLISHED).order_by("-version"))


def sittings_for_staff() -> QuerySet[Sitting]:
    return Sitting.objects.select_related("version__exam__category").annotate(
        results_draft=Count("bookings__results", filter=Q(bookings__results__status=Result.Status.DRAFT)),
    )


def sitting_roster(sitting: Sitting) -> list[Booking]:
    return list(
        sitting.bookings.filter(status=Booking.Status.BOOKED)
        .select_related("practitioner", "invoice", "candidate")
        .prefetch_related("accommodations")
        .order_by("practitioner__family_name", "practitioner__given_names", "pk")
    )


def sitting_results(sitting: Sitting) -> list[Result]:
    """The newest version of each booking's result at this sitting (draft or published)."""
    newest = Result.objects.filter(booking=OuterRef("booking")).order_by("-version").values("version")[:1]
    return list(
        Result.objects.filter(booking__sitting=sitting, version=Subquery(newest))
        .select_related("booking__practitioner")
        .order_by("booking__practitioner__family_name", "booking_id")
    )


# Pass rates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PassRateCell:
    label: str
    candidates: int | None  # None when suppressed
    passed: int | None
    suppressed: bool

    @property
    def rate_percent(self) -> float | None:
        if self.suppressed or not self.candidates:
            return None
        return round(100 * (self.passed or 0) / self.candidates, 1)


PASS_RATE_DIMENSIONS = {
    "sitting": "booking__sitting__code",
    "category": "booking__sitting__version__exam__category__name",
    "institution": "booking__institution_name",
    "attempt": "booking__attempt_number",
}


def dimension_labels() -> dict[str, str]:
    return {
        "sitting": _("Sitting"),
        "category": _("Register category"),
        "institution": _("Institution"),
        "attempt": _("First or repeat attempt"),
    }


def pass_rates(*, dimension: str) -> list[PassRateCell]:
    """Pass rates of current published results, grouped by one dimension; groups under SMALL_CELL are hidden."""
    column = PASS_RATE_DIMENSIONS[dimension]
    newest = (
        Result.objects.filter(booking=OuterRef("booking"), status=Result.Status.PUBLISHED)
        .order_by("-version")
        .values("version")[:1]
    )
    current = Result.objects.filter(
        status=Result.Status.PUBLISHED, booking__status=Booking.Status.BOOKED, version=Subquery(newest)
    )
    counted = {"candidates": Count("pk"), "passes": Count("pk", filter=Q(passed=True))}
    rows: list[dict[str, Any]]
    if dimension == "attempt":
        grouped = {_("First attempt"): [0, 0], _("Repeat attempt"): [0, 0]}
        for first, candidates, passes in (
            current.annotate(first=Q(booking__attempt_number=1))
            .values("first")
            .annotate(**counted)
            .values_list("first", "candidates", "passes")
        ):
            counts = grouped[_("First attempt") if first else _("Repeat attempt")]
            counts[0] += candidates
            counts[1] += passes
        rows = [{"label": label, "candidates": c, "passes": p} for label, (c, p) in grouped.items() if c]
    else:
        rows = [
            {"label": label, "candidates": candidates, "passes": passes}
            for label, candidates, passes in current.values(column)
            .annotate(**counted)
            .order_by(column)
            .values_list(column, "candidates", "passes")
        ]
    cells = []
    for row in rows:
        label = row["label"] or _("Not recorded")
        small = row["candidates"] < SMALL_CELL
        cells.append(
            PassRateCell(
                label=str(label),
                candidates=None if small else row["candidates"],
                passed=None if small else row["passes"],
                suppressed=small,
            )
        )
    return cells
