"""Two people taking a sitting's last seat at the same moment, on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from core.audit import audit_chain_verify
from core.roles import Role
from exams import services
from exams.models import Booking, Sitting
from exams.services import SittingFull
from licensing.models import Invoice
from tests import factories
from tests.exams.conftest import approved_to_test, sitting_make
from tests.registry.test_concurrency import _run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.mark.parametrize("attempt", range(3))
def test_two_people_taking_the_last_seat_at_once_get_one_seat_between_them(exam, version, attempt):
    assert connection.vendor == "postgresql"
    # given a sitting with one seat left, and two eligible candidates
    officer = factories.staff_user(Role.EXAMS_OFFICER)
    sitting = sitting_make(officer, version, code=f"last-seat-{attempt}", capacity=2)
    services.booking_create(actor=approved_to_test(exam), sitting=sitting)
    first, second = approved_to_test(exam), approved_to_test(exam)

    # when both book at the same instant, each on their own connection
    outcomes = _run_together(
        [
            lambda: services.booking_create(actor=first, sitting=sitting),
            lambda: services.booking_create(actor=second, sitting=sitting),
        ]
    )

    # then exactly one gets the seat, the other is told the sitting is full, and only one fee is raised
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Booking", "SittingFull"]
    assert any(isinstance(outcome, SittingFull) for outcome in outcomes)
    assert Sitting.objects.get(pk=sitting.pk).seats_booked == 2
    assert Booking.objects.filter(sitting=sitting).count() == 2
    assert Invoice.objects.filter(purpose=Invoice.Purpose.EXAM).count() == 2
    assert audit_chain_verify()[1] is None
