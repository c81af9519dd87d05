"""Staff pages: the queue's filters, the case page, the record timeline, and constant query counts."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import User
from registry import services
from registry.models import Application, RegisterEntry
from tests import factories

pytestmark = pytest.mark.django_db


def _queries(client: Any, url: str, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == HTTPStatus.OK
    return len(context.captured_queries)


def _in_review(categories: Any, registrar: User, **answers: Any) -> Application:
    return factories.application_in_review(
        applicant=factories.UserFactory(), category=categories["social-worker"], registrar=registrar, **answers
    )


def test_queue_filters_by_status_category_age_and_assignee(categories, registrar, officer, login):
    # given applications in different states, categories, ages and hands
    mine = _in_review(categories, registrar, family_name="Mine")
    submitted = factories.draft_application(
        applicant=factories.UserFactory(), category=categories["social-worker"], family_name="Waiting"
    )
    services.application_submit(actor=submitted.applicant, application=submitted)
    old = _in_review(categories, registrar, family_name="Old")
    Application.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - dt.timedelta(days=40))
    services.application_assign(actor=registrar, application=old, officer=officer)
    factories.draft_application(
        applicant=factories.UserFactory(), category=categories["social-worker"], family_name="Draft"
    )
    client = login(registrar)
    url = reverse("staff:application-queue")

    def names(**params: str) -> list[str]:
        response = client.get(url, params)
        return sorted(application.family_name for application in response.context["page"].object_list)

    # then drafts are never listed, and each filter narrows the queue
    assert names() == ["Mine", "Old", "Waiting"]
    assert names(status="SUBMITTED") == ["Waiting"]
    assert names(status="IN_REVIEW") == ["Mine", "Old"]
    assert names(assignee="me") == ["Mine"]
    assert names(assignee="none") == ["Waiting"]
    assert names(age="30") == ["Old"]
    assert names(category="social-auxiliary-worker") == []
    assert mine.status == "IN_REVIEW"


def test_queue_query_count_does_not_grow_with_rows(categories, registrar, login):
    client = login(registrar)
    for _ in range(3):
        _in_review(categories, registrar)
    with_three = _queries(client, reverse("staff:application-queue"))
    for _ in range(6):
        _in_review(categories, registrar)
    assert _queries(client, reverse("staff:application-queue")) == with_three


def test_case_page_query_count_does_not_grow_with_documents_and_requests(categories, applicant, registrar, login):
    client = login(registrar)
    application = _in_review(categories, registrar)
    url = reverse("staff:application-case", kwargs={"application_id": application.pk})
    before = _queries(client, url)
    # when three more documents and three rounds of questions are added
    for round_number in range(3):
        services.application_request_information(
            actor=registrar, application=application, message=f"Question {round_number}"
        )
        services.application_document_add(
            actor=application.applicant, application=application, kind="OTHER", uploaded=factories.pdf_upload()
        )
        services.application_respond(
            actor=application.applicant, application=application, response=f"Answer {round_number}"
        )
    # then the page shows them all with the same number of queries
    response = client.get(url)
    assert response.content.decode().count("Question ") == 3
    assert _queries(client, url) == before


def test_record_page_shows_the_timeline_and_keeps_its_query_count(categories, registrar, login):
    client = login(registrar)
    application = _in_review(categories, registrar)
    services.application_decide(actor=registrar, application=application, approve=True, reason="Complete file")
    entry = RegisterEntry.objects.get(application=application)
    url = reverse("staff:register-record", kwargs={"entry_id": entry.pk})
    before = _queries(client, url)
    for status in ("SUSPENDED", "REGISTERED", "LAPSED"):
        services.register_entry_change_status(
            actor=registrar, entry=entry, status=status, reason=f"Reason for {status}"
        )
    html = client.get(url).content.decode()
    # the timeline answers who did what, when and why
    for reason in ("Reason for SUSPENDED", "Reason for REGISTERED", "Reason for LAPSED", "Complete file"):
        assert reason in html
    assert registrar.email in html
    assert _queries(client, url) == before


def test_status_change_form_records_the_change(categories, registrar, login):
    application = _in_review(categories, registrar)
    services.application_decide(actor=registrar, application=application, approve=True, reason="")
    entry = RegisterEntry.objects.get(application=application)
    response = login(registrar).post(
        reverse("staff:register-status-change", kwargs={"entry_id": entry.pk}),
        {"status": "REGISTERED_WITH_CONDITIONS", "conditions": "Supervised practice only.", "reason": "Panel 2026/3"},
    )
    assert response.status_code == HTTPStatus.FOUND
    entry.refresh_from_db()
    assert (entry.status, entry.conditions) == ("REGISTERED_WITH_CONDITIONS", "Supervised practice only.")


def test_conditions_are_required_for_registration_with_conditions(categories, registrar, login):
    application = _in_review(categories, registrar)
    services.application_decide(actor=registrar, application=application, approve=True, reason="")
    entry = RegisterEntry.objects.get(application=application)
    response = login(registrar).post(
        reverse("staff:register-status-change", kwargs={"entry_id": entry.pk}),
        {"status": "REGISTERED_WITH_CONDITIONS", "conditions": "", "reason": "Panel"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "State the conditions the practitioner must meet." in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == "REGISTERED"
