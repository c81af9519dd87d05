"""Publication, immutability of published results, corrections as new versions, and conflicts of interest."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from core.audit import audit_chain_verify
from core.exceptions import ApplicationError
from core.models import AuditEvent, Notification
from core.roles import Role
from exams import selectors, services
from exams.models import Result
from exams.services import ConflictedExaminer
from tests import factories
from tests.conftest import mfa_login
from tests.exams.conftest import approved_to_test, results_recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(exam, exams_officer, sitting):
    """One candidate's result, published: a fail at 90 of 150."""
    booking = services.booking_create(actor=approved_to_test(exam), sitting=sitting)
    results_recorded(exams_officer, sitting, [(booking, 90)])
    return Result.objects.get(booking=booking)


def test_publishing_makes_drafts_visible_to_candidates_and_tells_them(exam, exams_officer, sitting):
    bookings = [services.booking_create(actor=approved_to_test(exam), sitting=sitting) for _ in range(2)]
    results_recorded(exams_officer, sitting, [(bookings[0], 120), (bookings[1], 60)], publish=False)
    # drafts are not the candidate's to see
    assert selectors.booking_results(bookings[0]) == []

    assert services.results_publish(actor=exams_officer, sitting=sitting) == 2

    current = selectors.booking_results(bookings[0])
    assert [(result.version, result.passed, result.status) for result in current] == [(1, True, "PUBLISHED")]
    assert Notification.objects.filter(kind="exam_result_published").count() == 2
    assert AuditEvent.objects.filter(action="exam_result.published").count() == 2
    assert all(result.history.count() == 2 for result in Result.objects.all())  # recorded, published
    sitting.refresh_from_db()
    assert sitting.results_published_at is not None
    with pytest.raises(ApplicationError, match="no draft results"):
        services.results_publish(actor=exams_officer, sitting=sitting)


def test_the_database_refuses_to_change_or_delete_a_published_result(published):
    # not through a queryset update
    with pytest.raises(IntegrityError), transaction.atomic():
        Result.objects.filter(pk=published.pk).update(raw_score=Decimal(140), passed=True)
    # not through the model's save
    published.raw_score = Decimal(140)
    with pytest.raises(IntegrityError), transaction.atomic():
        published.save()
    # not through a delete
    with pytest.raises(IntegrityError), transaction.atomic():
        Result.objects.filter(pk=published.pk).delete()
    # not in raw SQL
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE exams_result SET passed = %s WHERE id = %s", [True, published.pk])
    stored = Result.objects.get(pk=published.pk)
    assert (stored.raw_score, stored.passed, stored.status) == (Decimal(90), False, Result.Status.PUBLISHED)


def test_the_admin_offers_no_way_to_change_a_result(client, published):
    # even a superuser, signed in with MFA
    client = mfa_login(client, factories.staff_user(Role.COUNCIL_ADMIN, is_staff=True, is_superuser=True))
    change_url = reverse("admin:exams_result_change", args=[published.pk])
    delete_url = reverse("admin:exams_result_delete", args=[published.pk])
    for url in (change_url, delete_url):
        response = client.post(url, {"raw_score": "140", "passed": "on", "post": "yes"})
        assert response.status_code == 403, url
    stored = Result.objects.get(pk=published.pk)
    assert (stored.raw_score, stored.passed) == (Decimal(90), False)


def test_a_correction_is_a_new_published_version_and_the_earlier_one_stays(exams_officer, published):
    # when an exams officer corrects a marking error
    corrected = services.result_correct(
        actor=exams_officer, result=published, raw_score=Decimal(104), scaled_score=None, reason="Item 37 was miskeyed"
    )

    # then version 2 is current, a pass, with the reason; version 1 is unchanged
    assert (corrected.version, corrected.passed, corrected.correction_reason) == (2, True, "Item 37 was miskeyed")
    history = selectors.booking_results(published.booking)
    assert [(result.version, result.raw_score, result.passed) for result in history] == [
        (2, Decimal(104), True),
        (1, Decimal(90), False),
    ]
    event = AuditEvent.objects.get(action="exam_result.corrected")
    assert event.actor == exams_officer
    assert event.reason == "Item 37 was miskeyed"
    assert event.before["raw_score"] == "90.00"
    assert event.after["passed"] is True
    notice = Notification.objects.get(kind="exam_result_corrected")
    assert notice.recipient == published.booking.candidate
    assert "Item 37 was miskeyed" in notice.body
    assert audit_chain_verify()[1] is None


def test_a_correction_needs_a_reason_and_a_real_change(exams_officer, published):
    with pytest.raises(ApplicationError, match="reason"):
        services.result_correct(
            actor=exams_officer, result=published, raw_score=Decimal(100), scaled_score=None, reason=" "
        )
    with pytest.raises(ApplicationError, match="same"):
        services.result_correct(
            actor=exams_officer, result=published, raw_score=Decimal(90), scaled_score=None, reason="x"
        )
    with pytest.raises(ApplicationError, match="from 0 to 150"):
        services.result_correct(
            actor=exams_officer, result=published, raw_score=Decimal(151), scaled_score=None, reason="x"
        )
    assert Result.objects.count() == 1


def test_the_correction_form_posts_a_new_version_and_leaves_the_published_one(client, exams_officer, published):
    client = mfa_login(client, exams_officer)
    response = client.post(
        reverse("exams_staff:result-correct", args=[published.pk]),
        {"raw_score": "101", "scaled_score": "", "reason": "Re-marked on appeal"},
    )
    assert response.status_code == 302
    assert Result.objects.get(pk=published.pk).raw_score == Decimal(90)
    assert Result.objects.get(booking=published.booking, version=2).raw_score == Decimal(101)
    page = client.get(reverse("exams_staff:result", args=[published.pk]))
    assert "Re-marked on appeal" in page.content.decode()


def test_a_conflicted_examiner_cannot_publish_or_correct_that_candidates_result(exam, exams_officer, sitting):
    booking = services.booking_create(actor=approved_to_test(exam), sitting=sitting)
    colleague = factories.staff_user(Role.EXAMS_OFFICER)
    results_recorded(colleague, sitting, [(booking, 90)], publish=False)
    services.conflict_declare(
        actor=exams_officer, candidate_number=booking.candidate_number, reason="My former student"
    )

    with pytest.raises(ConflictedExaminer):
        services.results_publish(actor=exams_officer, sitting=sitting)
    assert Result.objects.get().status == Result.Status.DRAFT

    services.results_publish(actor=colleague, sitting=sitting)
    with pytest.raises(ConflictedExaminer):
        services.result_correct(
            actor=exams_officer, result=Result.objects.get(), raw_score=Decimal(120), scaled_score=None, reason="x"
        )
    assert Result.objects.count() == 1


def test_a_conflicted_examiner_is_refused_in_the_staff_pages(client, exam, exams_officer, sitting):
    booking = services.booking_create(actor=approved_to_test(exam), sitting=sitting)
    colleague = factories.staff_user(Role.EXAMS_OFFICER)
    results_recorded(colleague, sitting, [(booking, 90)])
    client = mfa_login(client, exams_officer)
    declared = client.post(
        reverse("exams_staff:conflicts"), {"candidate_number": booking.candidate_number, "reason": "My sister"}
    )
    assert declared.status_code == 302
    response = client.post(
        reverse("exams_staff:result-correct", args=[Result.objects.get().pk]),
        {"raw_score": "120", "scaled_score": "", "reason": "Re-marked"},
    )
    assert response.status_code == 400
    assert "conflict of interest" in response.content.decode()
    assert Result.objects.count() == 1


def test_the_candidate_sees_their_result_and_its_history_but_not_anyone_elses(client, exams_officer, published):
    services.result_correct(
        actor=exams_officer, result=published, raw_score=Decimal(104), scaled_score=None, reason="Item 37 was miskeyed"
    )
    candidate = published.booking.candidate
    client.force_login(candidate)
    page = client.get(reverse("exams:booking", args=[published.booking.pk])).content.decode()
    assert "Passed" in page
    assert "Item 37 was miskeyed" in page
    assert "90.00" in page  # the earlier version is still shown
    client.force_login(factories.UserFactory())
    assert client.get(reverse("exams:booking", args=[published.booking.pk])).status_code == 404
