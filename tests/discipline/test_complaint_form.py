"""The public complaint form: no account needed, clear refusals that keep what was typed, upload checks,
a limit on floods from one address, and robots turned away without a CAPTCHA."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import pytest
import time_machine
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent, Notification
from discipline.forms import form_stamp
from discipline.models import Complaint, ComplaintAttachment
from registry.models import RegisterEntry
from tests.discipline.conftest import pdf

pytestmark = pytest.mark.django_db
URL = "/complaints/"


@pytest.fixture(autouse=True)
def _quick_people(settings: Any) -> None:
    settings.COUNCIL_COMPLAINT_MIN_SECONDS = 0


def _answers(entry: RegisterEntry | None = None, **overrides: Any) -> dict[str, Any]:
    return {
        "complainant_role": "CHILD_OR_YOUNG_PERSON",
        "practitioner_named": "Thabo Nkosi",
        "registration_number_given": entry.registration_number if entry else "",
        "workplace_named": "Sunrise Children's Home",
        "incident_date": "2026-10-01",
        "description": "He locked me in a room for a whole night.",
        "complainant_name": "Sipho",
        "complainant_email": "sipho@example.org",
        "complainant_phone": "",
        "anonymous_to_practitioner": "on",
        "declaration": "on",
        "website": "",
        "form_stamp": form_stamp(),
        **overrides,
    }


def _post(client: Client, data: dict[str, Any], address: str = "203.0.113.20") -> Any:
    return client.post(URL, data, REMOTE_ADDR=address)


def test_anyone_can_complain_and_follow_it_by_a_private_link(entry: RegisterEntry, settings: Any) -> None:
    client = Client()
    page = client.get(URL)
    assert page.status_code == HTTPStatus.OK
    assert 'name="form_stamp"' in page.content.decode()
    response = _post(client, {**_answers(entry), "attachments": [pdf("photo.pdf"), pdf("letter.pdf")]})
    assert response.status_code == HTTPStatus.FOUND
    complaint = Complaint.objects.get()
    assert complaint.practitioner == entry.practitioner  # matched by the registration number
    assert complaint.attachments.count() == 2
    assert complaint.source_hash
    assert "203.0.113.20" not in complaint.source_hash
    tracked = client.get(response["Location"]).content.decode()
    assert complaint.reference in tracked
    assert "Complaint received" in tracked
    # the email carries the reference and the private link, and nothing else of the complaint
    notification = Notification.objects.get(kind="complaint_received")
    assert notification.to_email == "sipho@example.org"
    assert complaint.reference in notification.body
    assert response["Location"] in notification.body
    # a later visit by the link shows progress without the confirmation
    again = Client().get(response["Location"]).content.decode()
    assert "Complaint received" not in again
    assert complaint.reference in again
    assert Client().get("/complaints/track/not-a-token/").status_code == HTTPStatus.NOT_FOUND
    event = AuditEvent.objects.get(action="complaint.received")
    assert event.actor is None
    assert event.object_id == str(complaint.pk)


def _assert_kept(body: str, *typed: str) -> None:
    for value in typed:
        assert f'value="{value}"' in body or f">{value}</textarea>" in body, value


def test_empty_required_fields_are_named_and_nothing_is_stored() -> None:
    response = _post(
        Client(),
        _answers(
            complainant_role="",
            practitioner_named="",
            description="",
            declaration="",
            workplace_named="Sunrise Children's Home",
        ),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.content.decode()
    assert "There is a problem" in body
    for message in (
        "Say who you are.",
        "Tell us what happened.",
        "Give the practitioner&#x27;s name or their registration number.",
        "Confirm that what you have written is true to the best of your knowledge.",
    ):
        assert message in body, message
    _assert_kept(body, "Sunrise Children&#x27;s Home", "sipho@example.org", "Sipho")
    assert not Complaint.objects.exists()


def test_a_wrong_registration_number_and_a_future_date_are_explained() -> None:
    response = _post(Client(), _answers(registration_number_given="SW-000123-5", incident_date="2099-01-01"))
    body = response.content.decode()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Check the registration number" in body
    assert "The date can&#x27;t be in the future." in body
    _assert_kept(body, "Thabo Nkosi")
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("evil.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/pdf"),
            "must be a PDF, JPG or PNG",
        ),
        (
            SimpleUploadedFile("page.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
            "must be a PDF, JPG or PNG",
        ),
        (SimpleUploadedFile("empty.pdf", b"", "application/pdf"), "The submitted file is empty."),
    ],
    ids=["executable", "html", "empty"],
)
def test_unsafe_attachments_are_refused_and_nothing_is_stored(upload: Any, message: str) -> None:
    response = _post(Client(), {**_answers(), "attachments": [pdf("fine.pdf"), upload]})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.content.decode()
    assert message in body
    assert "choose them again" in body
    _assert_kept(body, "Thabo Nkosi")
    assert "He locked me in a room for a whole night." in body
    assert not Complaint.objects.exists()
    assert not ComplaintAttachment.objects.exists()


def test_oversized_and_too_many_attachments_are_refused(settings: Any) -> None:
    settings.COUNCIL_UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 4096, "application/pdf")
    response = _post(Client(), {**_answers(), "attachments": [big]})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "must be smaller than 1.0" in response.content.decode()
    settings.COUNCIL_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    response = _post(Client(), {**_answers(), "attachments": [pdf(f"{index}.pdf") for index in range(6)]})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Attach at most 5 files." in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_flood_from_one_address_is_refused_and_keeps_the_answers(settings: Any) -> None:
    settings.COUNCIL_COMPLAINT_LIMIT = 3
    client = Client()
    for _ in range(3):
        assert _post(client, _answers(), address="198.51.100.9").status_code == HTTPStatus.FOUND
    refused = _post(client, _answers(description="A fourth one"), address="198.51.100.9")
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    body = refused.content.decode()
    assert "Too many complaints have been sent from your connection recently." in body
    assert "A fourth one" in body
    assert Complaint.objects.count() == 3
    # another address is not held up, and the window passes
    assert _post(client, _answers(), address="198.51.100.10").status_code == HTTPStatus.FOUND
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1, minutes=1)):
        settings.COUNCIL_COMPLAINT_MIN_SECONDS = 0
        assert (
            _post(Client(), _answers(form_stamp=form_stamp()), address="198.51.100.9").status_code == HTTPStatus.FOUND
        )


def test_behind_a_proxy_the_configured_header_is_the_address(settings: Any) -> None:
    settings.COUNCIL_COMPLAINT_LIMIT = 1
    settings.COUNCIL_CLIENT_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    client = Client()
    assert client.post(URL, _answers(), REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="192.0.2.1").status_code == 302
    assert client.post(URL, _answers(), REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="192.0.2.2").status_code == 302
    assert client.post(URL, _answers(), REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="192.0.2.1").status_code == 429


def test_robots_are_turned_away_without_a_captcha(settings: Any) -> None:
    client = Client()
    # a filled-in trap field
    assert _post(client, _answers(website="http://spam.example")).status_code == HTTPStatus.BAD_REQUEST
    # a forged or missing stamp
    assert _post(client, _answers(form_stamp="forged")).status_code == HTTPStatus.BAD_REQUEST
    assert _post(client, _answers(form_stamp=signing.dumps(0, salt="other"))).status_code == HTTPStatus.BAD_REQUEST
    # an instant reply
    settings.COUNCIL_COMPLAINT_MIN_SECONDS = 3
    response = _post(client, _answers())
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The form was sent too quickly." in response.content.decode()
    # the re-shown form carries a fresh stamp, so a person who waits gets through
    fresh = re.search(r'name="form_stamp" value="([^"]+)"', response.content.decode())
    assert fresh is not None
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=5)):
        assert _post(client, _answers(form_stamp=fresh.group(1))).status_code == HTTPStatus.FOUND
    assert Complaint.objects.count() == 1
    assert not mail.outbox or all("spam" not in message.body for message in mail.outbox)
