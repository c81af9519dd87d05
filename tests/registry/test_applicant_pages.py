"""The applicant's form, page by page: drafts save as they go, check-your-answers, submit, answer."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from core.models import AuditEvent
from registry import services
from registry.models import Application
from tests import factories

pytestmark = pytest.mark.django_db


def test_each_step_saves_the_draft_and_moves_on(categories, applicant, login):
    client = login(applicant, mfa=False)
    # when the applicant chooses a category
    response = client.post(reverse("registry:application-start"), {"category": "social-worker"})
    application = Application.objects.get(applicant=applicant)
    assert response["Location"] == reverse(
        "registry:application-step", kwargs={"application_id": application.pk, "step": "personal"}
    )
    step = lambda name: reverse("registry:application-step", kwargs={"application_id": application.pk, "step": name})  # noqa: E731
    # and fills in the personal details
    response = client.post(
        step("personal"),
        {"given_names": "María José", "family_name": "Gutiérrez", "date_of_birth": "1988-02-29", "national_id": "X1"},
    )
    assert response["Location"] == step("qualification")
    # then the draft holds the answers, recorded as a draft save
    application.refresh_from_db()
    assert (application.given_names, str(application.date_of_birth)) == ("María José", "1988-02-29")
    event = AuditEvent.objects.get(action="application.draft_saved")
    assert event.after["given_names"] == "María José"
    # and a bad answer is shown with its message and saves nothing
    response = client.post(step("qualification"), {"qualification_type": "", "institution_name": ""})
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Select your qualification." in html
    assert AuditEvent.objects.filter(action="application.draft_saved").count() == 1


def test_change_link_returns_to_check_your_answers(categories, applicant, login):
    application = factories.draft_application(applicant=applicant, category=categories["social-worker"])
    client = login(applicant, mfa=False)
    url = reverse("registry:application-step", kwargs={"application_id": application.pk, "step": "personal"})
    response = client.post(
        url,
        {
            "given_names": "José",
            "family_name": "Núñez Peña",
            "date_of_birth": "1990-05-17",
            "national_id": "1",
            "return_to": "check",
        },
    )
    assert response["Location"] == reverse("registry:application-check", kwargs={"application_id": application.pk})


def test_submit_from_check_your_answers(categories, applicant, login):
    application = factories.draft_application(applicant=applicant, category=categories["social-worker"])
    client = login(applicant, mfa=False)
    response = client.post(reverse("registry:application-check", kwargs={"application_id": application.pk}))
    assert response["Location"] == reverse("registry:application-detail", kwargs={"application_id": application.pk})
    application.refresh_from_db()
    assert application.status == "SUBMITTED"
    # a submitted application can no longer be edited through the steps
    step = reverse("registry:application-step", kwargs={"application_id": application.pk, "step": "personal"})
    assert client.post(step, {"given_names": "Changed"})["Location"] == response["Location"]
    application.refresh_from_db()
    assert application.given_names == "José"


def test_incomplete_submission_lists_what_is_missing(categories, applicant, login):
    application = services.application_start(actor=applicant, category=categories["social-worker"])
    response = login(applicant, mfa=False).post(
        reverse("registry:application-check", kwargs={"application_id": application.pk})
    )
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Upload your identity document." in html
    assert "Confirm the declaration." in html
    application.refresh_from_db()
    assert application.status == "DRAFT"


def test_answering_an_information_request_with_a_document(categories, applicant, registrar, login):
    application = factories.application_in_review(
        applicant=applicant, category=categories["social-worker"], registrar=registrar
    )
    services.application_request_information(actor=registrar, application=application, message="Send your transcript")
    client = login(applicant, mfa=False)
    detail = client.get(reverse("registry:application-detail", kwargs={"application_id": application.pk}))
    assert "Send your transcript" in detail.content.decode()
    response = client.post(
        reverse("registry:application-respond", kwargs={"application_id": application.pk}),
        {"response": "Here it is", "upload-kind": "TRANSCRIPT", "upload-file": factories.pdf_upload("transcript.pdf")},
    )
    assert response.status_code == HTTPStatus.FOUND
    application.refresh_from_db()
    assert application.status == "IN_REVIEW"
    assert list(application.documents.values_list("kind", flat=True)) == ["IDENTITY", "DEGREE", "TRANSCRIPT"]
    assert application.information_requests.get().response == "Here it is"


def test_a_bad_document_with_an_answer_stores_neither(categories, applicant, registrar, login):
    application = factories.application_in_review(
        applicant=applicant, category=categories["social-worker"], registrar=registrar
    )
    services.application_request_information(actor=registrar, application=application, message="Send your transcript")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = login(applicant, mfa=False).post(
        reverse("registry:application-respond", kwargs={"application_id": application.pk}),
        {
            "response": "Here",
            "upload-kind": "TRANSCRIPT",
            "upload-file": SimpleUploadedFile("t.pdf", b"MZ" + b"\0" * 99),
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert "The selected file must be a PDF, JPG or PNG." in response.content.decode()
    application.refresh_from_db()
    assert application.status == "INFO_REQUESTED"
    assert application.documents.count() == 2
    assert application.information_requests.get().response == ""
