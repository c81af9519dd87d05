"""Bad input at the interface: each gets a clear message, and nothing is stored."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent, Notification
from registry import services
from registry.models import Application, ApplicationDocument, RegisterEntry
from tests import factories

pytestmark = pytest.mark.django_db

EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _snapshot() -> tuple[Any, ...]:
    return (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        ApplicationDocument.objects.count(),
        tuple(Application.objects.order_by("pk").values_list("status", "decision_reason", "decided_at")),
        tuple(RegisterEntry.objects.order_by("pk").values_list("status", "conditions")),
    )


@pytest.fixture
def draft(categories: Any, applicant: Any) -> Application:
    return services.application_start(actor=applicant, category=categories["social-worker"])


def _upload(client: Any, application: Application, upload: SimpleUploadedFile) -> Any:
    url = reverse("registry:application-step", kwargs={"application_id": application.pk, "step": "documents"})
    return client.post(url, {"kind": "DEGREE", "file": upload})


def test_oversized_upload_is_refused_with_its_size(settings, draft, applicant, login):
    # given a 1 KB limit and a 2 KB PDF
    settings.COUNCIL_UPLOAD_MAX_BYTES = 1024
    big_pdf = SimpleUploadedFile("degree.pdf", factories.PDF_BYTES + b"0" * 2048, content_type="application/pdf")
    before = _snapshot()
    # when the applicant uploads it
    response = _upload(login(applicant, mfa=False), draft, big_pdf)
    # then the page says why, and nothing was stored
    assert response.status_code == HTTPStatus.OK
    assert "The selected file must be smaller than 1.0\xa0KB. It is 2.0\xa0KB." in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert _snapshot() == before


def test_renamed_executable_is_refused(draft, applicant, login, settings):
    # given a Windows executable renamed to .pdf, sent with a PDF content type
    fake = SimpleUploadedFile("degree.pdf", EXE_BYTES, content_type="application/pdf")
    before = _snapshot()
    # when the applicant uploads it
    response = _upload(login(applicant, mfa=False), draft, fake)
    # then its real type is detected from its content and it is refused
    assert response.status_code == HTTPStatus.OK
    assert (
        "The selected file must be a PDF, JPG or PNG. Its contents are not one of those." in response.content.decode()
    )
    assert _snapshot() == before
    assert not any(path.exists() for path in __import__("pathlib").Path(settings.MEDIA_ROOT).rglob("*"))


def test_empty_upload_is_refused(draft, applicant, login):
    response = _upload(
        login(applicant, mfa=False), draft, SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf")
    )
    assert response.status_code == HTTPStatus.OK
    assert "The submitted file is empty." in response.content.decode()
    assert not ApplicationDocument.objects.exists()


def test_a_real_png_is_accepted_whatever_its_name(draft, applicant, login):
    png = SimpleUploadedFile("scan.pdf", factories.PNG_BYTES, content_type="application/pdf")
    response = _upload(login(applicant, mfa=False), draft, png)
    assert response.status_code == HTTPStatus.FOUND
    document = ApplicationDocument.objects.get()
    assert (document.content_type, document.kind, document.original_name) == ("image/png", "DEGREE", "scan.pdf")


@pytest.mark.parametrize(
    ("_case", "url_name", "data", "message"),
    [
        (
            "decision not in the form",
            "staff:application-decide",
            {"decision": "DELETE", "reason": ""},
            "Choose approve or refuse.",
        ),
        (
            "status not offered",
            "staff:register-status-change",
            {"status": "REMOVED", "reason": "x"},
            "Choose one of the statuses listed.",
        ),
        (
            "status that does not exist",
            "staff:register-status-change",
            {"status": "HACKED", "reason": "x"},
            "Choose one of the statuses listed.",
        ),
    ],
)
def test_tampered_status_posts_are_refused(_case, url_name, data, message, categories, applicant, registrar, login):
    # given an application in review, and an entry on the register
    application = factories.application_in_review(
        applicant=applicant, category=categories["social-worker"], registrar=registrar
    )
    other = factories.application_in_review(
        applicant=factories.UserFactory(), category=categories["social-worker"], registrar=registrar
    )
    services.application_decide(actor=registrar, application=other, approve=True, reason="")
    entry = RegisterEntry.objects.get(application=other)
    kwargs = {"application_id": application.pk} if url_name.startswith("staff:application") else {"entry_id": entry.pk}
    before = _snapshot()
    # when a registrar's browser posts a value the form never offered
    response = login(registrar).post(reverse(url_name, kwargs=kwargs), data)
    # then it is refused with a message and nothing changes
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert _snapshot() == before


def test_another_applicants_application_is_not_found(categories, applicant, other_applicant, login):
    # given someone else's complete draft
    theirs = factories.draft_application(applicant=other_applicant, category=categories["social-worker"])
    document = theirs.documents.first()
    client = login(applicant, mfa=False)
    before = _snapshot()
    # when the applicant tries its id on every applicant page
    for name, kwargs in [
        ("registry:application-detail", {}),
        ("registry:application-check", {}),
        ("registry:application-step", {"step": "personal"}),
        ("registry:application-respond", {}),
        ("registry:application-document", {"document_id": document.pk}),
    ]:
        url = reverse(name, kwargs={"application_id": theirs.pk, **kwargs})
        get = client.get(url)
        post = client.post(url, {"given_names": "Mallory", "response": "x"})
        # then it is as if it did not exist, and nothing of it is shown or changed
        assert get.status_code == HTTPStatus.NOT_FOUND, name
        assert post.status_code == HTTPStatus.NOT_FOUND, name
        assert "Núñez" not in get.content.decode()
    response = client.post(reverse("registry:application-withdraw", kwargs={"application_id": theirs.pk}))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert _snapshot() == before
    theirs.refresh_from_db()
    assert (theirs.status, theirs.given_names) == (Application.Status.DRAFT, "José")


def test_refusal_without_reasons_in_the_form(categories, applicant, registrar, login):
    application = factories.application_in_review(
        applicant=applicant, category=categories["social-worker"], registrar=registrar
    )
    before = _snapshot()
    response = login(registrar).post(
        reverse("staff:application-decide", kwargs={"application_id": application.pk}),
        {"decision": "REFUSE", "reason": " "},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Give the reasons for refusing this application." in response.content.decode()
    assert _snapshot() == before


def test_deciding_an_application_twice_is_refused_with_a_message(categories, applicant, registrar, login):
    application = factories.application_in_review(
        applicant=applicant, category=categories["social-worker"], registrar=registrar
    )
    client = login(registrar)
    url = reverse("staff:application-decide", kwargs={"application_id": application.pk})
    assert client.post(url, {"decision": "APPROVE", "reason": ""}).status_code == HTTPStatus.FOUND
    before = _snapshot()
    response = client.post(url, {"decision": "REFUSE", "reason": "Changed my mind"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This application is approved, so it cannot be decided now." in response.content.decode()
    assert _snapshot() == before
