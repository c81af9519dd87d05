"""Eligibility, seats, the booking window, the exam fee, and attempt limits and waits (frozen clock)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from core.audit import audit_chain_verify
from core.exceptions import ApplicationError
from core.models import AuditEvent, Notification, RuleSet
from core.roles import Role
from exams import services
from exams.models import Booking, Exam, ExamVersion, Sitting
from exams.services import NotEligible, SittingFull
from licensing.models import Invoice
from tests import factories
from tests.exams.conftest import (
    EXAM_FEE,
    EXAM_RULES,
    JOHANNESBURG,
    applicant_submitted,
    approved_to_test,
    results_recorded,
    sitting_make,
)

pytestmark = pytest.mark.django_db


def test_an_applicant_whose_route_needs_the_exam_books_a_seat_and_is_invoiced_the_fee(exam_category, sitting):
    # given an applicant with a submitted application in a category that requires the exam
    application = applicant_submitted(exam_category)

    # when they book a seat
    booking = services.booking_create(actor=application.applicant, sitting=sitting)

    # then the seat is theirs, counted on the sitting, invoiced and audited
    sitting.refresh_from_db()
    assert sitting.seats_booked == 1
    assert booking.application == application
    assert booking.attempt_number == 1
    assert booking.institution_name == "University of the Western Cape"
    assert booking.practitioner.user == application.applicant
    invoice = Invoice.objects.get(pk=booking.invoice_id)
    assert (invoice.purpose, invoice.total_minor, invoice.currency) == (Invoice.Purpose.EXAM, EXAM_FEE, "ZAR")
    assert invoice.lines.get().fee_type == "exam"
    event = AuditEvent.objects.get(action="exam_booking.booked")
    assert event.actor == application.applicant
    assert event.after["candidate_number"] == booking.candidate_number
    assert booking.history.count() == 2  # booked, then invoiced
    assert Notification.objects.filter(recipient=application.applicant, kind="exam_booked").exists()
    assert audit_chain_verify()[1] is None


def test_a_person_without_a_route_cannot_book(exam_category, sitting):
    # given someone with only a draft application, and someone with no application at all
    draft_owner = factories.UserFactory()
    factories.draft_application(applicant=draft_owner, category=exam_category)
    stranger = factories.UserFactory()

    for person in (draft_owner, stranger):
        # when they try to book, then they are refused and nothing is written
        with pytest.raises(NotEligible):
            services.booking_create(actor=person, sitting=sitting)
    sitting.refresh_from_db()
    assert sitting.seats_booked == 0
    assert not Booking.objects.exists()
    assert not Invoice.objects.exists()


def test_a_registrars_approval_to_test_makes_a_person_eligible_until_it_expires(exam, sitting):
    candidate = approved_to_test(exam)
    booking = services.booking_create(actor=candidate, sitting=sitting)
    assert booking.approval is not None
    assert booking.application is None

    # an approval that has expired gives no route
    expired = approved_to_test(exam)
    with time_machine.travel(timezone.now() + dt.timedelta(days=400), tick=False):
        late = sitting_make(
            factories.staff_user(Role.EXAMS_OFFICER),
            sitting.version,
            code="sw-2028-late",
        )
        with pytest.raises(NotEligible):
            services.booking_create(actor=expired, sitting=late)


def test_a_full_sitting_refuses_bookings(exam, exams_officer, version):
    small = sitting_make(exams_officer, version, code="sw-small", capacity=1)
    services.booking_create(actor=approved_to_test(exam), sitting=small)
    latecomer = approved_to_test(exam)
    with pytest.raises(SittingFull):
        services.booking_create(actor=latecomer, sitting=small)
    small.refresh_from_db()
    assert small.seats_booked == 1
    assert Booking.objects.filter(sitting=small).count() == 1
    assert not Invoice.objects.filter(practitioner__user=latecomer).exists()


def test_booking_is_refused_outside_its_window(exam, exams_officer, version):
    now = timezone.now()
    sitting = sitting_make(
        exams_officer,
        version,
        code="sw-later",
        starts_at=now + dt.timedelta(days=60),
        opens_at=now + dt.timedelta(days=5),
        closes_at=now + dt.timedelta(days=50),
    )
    candidate = approved_to_test(exam)
    with pytest.raises(ApplicationError, match="not open"):
        services.booking_create(actor=candidate, sitting=sitting)
    with (
        time_machine.travel(now + dt.timedelta(days=51), tick=False),
        pytest.raises(ApplicationError, match="not open"),
    ):
        services.booking_create(actor=candidate, sitting=sitting)
    with time_machine.travel(now + dt.timedelta(days=6), tick=False):
        assert services.booking_create(actor=candidate, sitting=sitting).attempt_number == 1


def test_the_same_person_cannot_hold_two_seats_at_one_sitting(exam, sitting):
    candidate = approved_to_test(exam)
    services.booking_create(actor=candidate, sitting=sitting)
    with pytest.raises(ApplicationError, match="already booked"):
        services.booking_create(actor=candidate, sitting=sitting)
    sitting.refresh_from_db()
    assert sitting.seats_booked == 1


def test_a_category_whose_exam_fee_is_zero_raises_no_invoice(categories, exam_rules, exams_officer):
    auxiliary = categories["social-auxiliary-worker"]
    auxiliary.requires_exam = True
    auxiliary.save(update_fields=["requires_exam"])
    exam = Exam.objects.create(code="saw", name="Auxiliary exam", category=auxiliary, level="Entry")
    version = ExamVersion.objects.create(exam=exam, code="A", max_raw_score=80, pass_raw_score=48)
    sitting = sitting_make(exams_officer, version, code="saw-1")
    application = applicant_submitted(auxiliary, supervised_practice_hours=200)
    booking = services.booking_create(actor=application.applicant, sitting=sitting)
    assert booking.invoice is None
    assert not Invoice.objects.exists()


# Attempts and waits, on a frozen clock in the council's time zone ------------------------------


def _at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=JOHANNESBURG)


def _sitting_on(officer, version, code: str, day: dt.datetime) -> Sitting:
    return sitting_make(
        officer,
        version,
        code=code,
        starts_at=day,
        opens_at=day - dt.timedelta(days=60),
        closes_at=day - dt.timedelta(days=1),
    )


def _attempt(officer, candidate, sitting: Sitting, score: int) -> Booking:
    """Book the sitting while its window is open, then sit it and have a result published after it."""
    with time_machine.travel(sitting.booking_closes_at - dt.timedelta(days=2), tick=False):
        booking = services.booking_create(actor=candidate, sitting=sitting)
    with time_machine.travel(sitting.starts_at + dt.timedelta(days=10), tick=False):
        results_recorded(officer, sitting, [(booking, score)])
    return booking


def test_a_retake_must_wait_the_rules_days_after_the_last_attempt(exam, exams_officer, version):
    # given a candidate who failed a sitting on 1 March 2027, and a 90-day wait in the rules
    with time_machine.travel(_at(2026, 12, 1), tick=False):
        candidate = approved_to_test(exam)
        first = _sitting_on(exams_officer, version, "mar", _at(2027, 3, 1))
        too_soon = _sitting_on(exams_officer, version, "may", _at(2027, 5, 29))  # 89 days after
        on_the_day = _sitting_on(exams_officer, version, "may30", _at(2027, 5, 30))  # 90 days after
    _attempt(exams_officer, candidate, first, 40)

    # when they try to book a sitting 89 days later, then they are refused with the earliest date
    with time_machine.travel(_at(2027, 4, 1), tick=False):
        with pytest.raises(NotEligible, match="2027-05-30"):
            services.booking_create(actor=candidate, sitting=too_soon)
        # and a sitting exactly 90 days later is accepted, as their second attempt
        booking = services.booking_create(actor=candidate, sitting=on_the_day)
    assert booking.attempt_number == 2


def test_the_attempt_limit_is_enforced(exam, exams_officer, version):
    # given a limit of 3 attempts and a candidate who has failed three times, 90 days apart
    with time_machine.travel(_at(2026, 12, 1), tick=False):
        candidate = approved_to_test(exam)
        sittings = [
            _sitting_on(exams_officer, version, f"s{index}", _at(2027, 2, 1) + dt.timedelta(days=100 * index))
            for index in range(4)
        ]
    for sitting in sittings[:3]:
        _attempt(exams_officer, candidate, sitting, 40)

    # when they try a fourth time, then they are refused
    with time_machine.travel(sittings[3].booking_closes_at - dt.timedelta(days=2), tick=False):
        with pytest.raises(NotEligible, match="all 3 attempts"):
            services.booking_create(actor=candidate, sitting=sittings[3])

        # and a council whose rules allow this exam four attempts lets them book
        rule_set = RuleSet.objects.get(version=1)
        rule_set.rules = {**EXAM_RULES, "exams": {**EXAM_RULES["exams"], "by_exam": {exam.code: {"attempt_limit": 4}}}}
        rule_set.save(update_fields=["rules"])
        assert services.booking_create(actor=candidate, sitting=sittings[3]).attempt_number == 4


def test_a_candidate_waits_for_a_result_before_booking_again_and_cannot_book_after_passing(
    exam, exams_officer, version
):
    with time_machine.travel(_at(2026, 12, 1), tick=False):
        candidate = approved_to_test(exam)
        first = _sitting_on(exams_officer, version, "first", _at(2027, 2, 1))
        later = sitting_make(
            exams_officer,
            version,
            code="later",
            starts_at=_at(2027, 6, 1),
            opens_at=_at(2027, 1, 1),
            closes_at=_at(2027, 5, 1),
        )
    with time_machine.travel(_at(2027, 1, 10), tick=False):
        booking = services.booking_create(actor=candidate, sitting=first)
        # booked but not yet sat: a second booking is refused
        with pytest.raises(NotEligible, match="wait for its result"):
            services.booking_create(actor=candidate, sitting=later)
    with time_machine.travel(_at(2027, 2, 20), tick=False):
        results_recorded(exams_officer, first, [(booking, 120)])
    with time_machine.travel(_at(2027, 4, 1), tick=False), pytest.raises(NotEligible, match="already passed"):
        services.booking_create(actor=candidate, sitting=later)
