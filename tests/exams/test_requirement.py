"""A published pass meets the exam requirement of the candidate's application; nothing else does."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.models import AuditEvent
from exams import services
from registry import services as registry_services
from registry.exceptions import RequirementsNotMet
from registry.models import Application, RegisterEntry
from tests.exams.conftest import applicant_submitted, results_recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(exam_category, registrar):
    application = applicant_submitted(exam_category)
    registry_services.application_assign(actor=registrar, application=application, officer=registrar)
    return Application.objects.get(pk=application.pk)


def test_without_a_published_pass_the_application_cannot_be_approved(registrar, exams_officer, sitting, in_review):
    # no exam at all
    with pytest.raises(RequirementsNotMet) as refused:
        registry_services.application_decide(actor=registrar, application=in_review, approve=True, reason="")
    assert any("national exam" in problem for problem in refused.value.problems)

    # a pass that is only a draft
    booking = services.booking_create(actor=in_review.applicant, sitting=sitting)
    results_recorded(exams_officer, sitting, [(booking, 130)], publish=False)
    with pytest.raises(RequirementsNotMet):
        registry_services.application_decide(actor=registrar, application=in_review, approve=True, reason="")
    assert not RegisterEntry.objects.exists()


def test_a_published_pass_makes_the_application_approvable(registrar, exams_officer, sitting, in_review):
    booking = services.booking_create(actor=in_review.applicant, sitting=sitting)
    results_recorded(exams_officer, sitting, [(booking, 130)])

    # the pass is on the application's timeline
    noted = AuditEvent.objects.get(action="application.exam_requirement_met")
    assert noted.object_id == str(in_review.pk)

    registry_services.application_decide(actor=registrar, application=in_review, approve=True, reason="")
    entry = RegisterEntry.objects.get(application=in_review)
    assert entry.registration_number.startswith("SW-")
    # the person record made at booking is the one on the register
    assert entry.practitioner == booking.practitioner


def test_a_fail_corrected_to_a_pass_makes_it_approvable_and_a_pass_corrected_to_a_fail_does_not(
    registrar, exams_officer, sitting, in_review
):
    booking = services.booking_create(actor=in_review.applicant, sitting=sitting)
    (result,) = results_recorded(exams_officer, sitting, [(booking, 130)])
    services.result_correct(
        actor=exams_officer, result=result, raw_score=Decimal(80), scaled_score=None, reason="Scores were swapped"
    )
    with pytest.raises(RequirementsNotMet):
        registry_services.application_decide(actor=registrar, application=in_review, approve=True, reason="")
