"""The exams staff pages: scheduling a sitting, the roster for the vendor, accommodations, approvals to test."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from core.models import AuditEvent, Notification
from core.roles import Role
from exams import services
from exams.models import AccommodationRequest, ApprovalToTest, Sitting
from tests import factories
from tests.conftest import mfa_login
from tests.exams.conftest import applicant_submitted, approved_to_test

pytestmark = pytest.mark.django_db


def test_an_exams_officer_schedules_a_sitting_from_the_form(client, exams_officer, version):
    client = mfa_login(client, exams_officer)
    form = {
        "version": str(version.pk),
        "code": "sw-2027-09-cpt",
        "starts_at": "2027-09-04T09:00",
        "venue": "Cape Town International Convention Centre",
        "capacity": "200",
        "booking_opens_at": "2027-06-01T08:00",
        "booking_closes_at": "2027-08-20T17:00",
    }
    response = client.post(reverse("exams_staff:sitting-create"), form)
    sitting = Sitting.objects.get(code="sw-2027-09-cpt")
    assert response.status_code == 302
    assert response["Location"] == reverse("exams_staff:sitting", args=[sitting.pk])
    # the times are the council's local times
    assert sitting.starts_at.isoformat() == "2027-09-04T07:00:00+00:00"
    assert AuditEvent.objects.filter(action="exam_sitting.scheduled", actor=exams_officer).count() == 1

    # a sitting with no venue that is not online, or booking closing after the start, is refused with reasons
    bad = {**form, "code": "bad", "venue": "", "booking_closes_at": "2027-09-05T09:00"}
    refused = client.post(reverse("exams_staff:sitting-create"), bad)
    assert refused.status_code == 400
    assert "Give the venue, or mark the sitting as online." in refused.content.decode()
    assert not Sitting.objects.filter(code="bad").exists()


def test_the_roster_lists_candidate_numbers_and_cannot_smuggle_a_formula(client, exam_category, exams_officer, sitting):
    application = applicant_submitted(exam_category, family_name='=HYPERLINK("http://evil.example")')
    booking = services.booking_create(actor=application.applicant, sitting=sitting)
    request = services.accommodation_request(
        actor=application.applicant, booking=booking, details="@SUM(1,2) extra time"
    )
    services.accommodation_decide(actor=exams_officer, request=request, approve=True, note="")
    client = mfa_login(client, exams_officer)
    response = client.get(reverse("exams_staff:sitting-roster", args=[sitting.pk]))
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["candidate_number"] == booking.candidate_number
    assert row["sitting_code"] == sitting.code
    assert row["family_name"] == '\'=HYPERLINK("http://evil.example")'
    assert row["accommodations"] == "'@SUM(1,2) extra time"


def test_accommodations_are_requested_by_the_candidate_and_decided_by_staff(client, exam, exams_officer, sitting):
    candidate = approved_to_test(exam)
    booking = services.booking_create(actor=candidate, sitting=sitting)
    client.force_login(candidate)
    asked = client.post(reverse("exams:accommodation-request", args=[booking.pk]), {"details": "A reader, please"})
    assert asked.status_code == 302
    request = AccommodationRequest.objects.get()
    # a second open request is refused
    again = client.post(reverse("exams:accommodation-request", args=[booking.pk]), {"details": "And a quiet room"})
    assert again.status_code == 400
    assert AccommodationRequest.objects.count() == 1

    staff = mfa_login(client, exams_officer)
    no_reason = staff.post(reverse("exams_staff:accommodation-decide", args=[request.pk]), {"decision": "decline"})
    assert no_reason.status_code == 302
    request.refresh_from_db()
    assert request.status == AccommodationRequest.Status.REQUESTED
    staff.post(
        reverse("exams_staff:accommodation-decide", args=[request.pk]),
        {"decision": "decline", "note": "Readers are only available at the Durban venue."},
    )
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (AccommodationRequest.Status.DECLINED, exams_officer)
    notice = Notification.objects.get(kind="exam_accommodation_decided")
    assert notice.recipient == candidate
    assert "Durban" in notice.body


def test_a_registrar_approves_a_person_to_test_by_their_account_email(client, exam):
    person = factories.UserFactory()
    registrar = mfa_login(client, factories.staff_user(Role.REGISTRAR))
    form = {
        "email": person.email.upper(),
        "exam": str(exam.pk),
        "expires_date": "2030-01-31",
        "reason": "SAQA evaluated",
    }
    assert registrar.post(reverse("exams_staff:approvals"), form).status_code == 302
    approval = ApprovalToTest.objects.get()
    assert (approval.candidate, approval.reason) == (person, "SAQA evaluated")
    unknown = registrar.post(reverse("exams_staff:approvals"), {**form, "email": "nobody@example.org"})
    assert unknown.status_code == 400
    assert ApprovalToTest.objects.count() == 1


def test_the_candidate_books_from_my_exams_and_a_refusal_is_explained(client, exam_category, sitting):
    application = applicant_submitted(exam_category)
    client.force_login(application.applicant)
    overview = client.get(reverse("exams:overview")).content.decode()
    assert sitting.code in overview
    booked = client.post(reverse("exams:book", args=[sitting.pk]))
    assert booked.status_code == 302
    again = client.post(reverse("exams:book", args=[sitting.pk]), follow=True)
    assert "already booked on this sitting" in again.content.decode()
