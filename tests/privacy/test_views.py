"""The "Your data" page and downloads, and the registrar's export: who may take whose, and the record of it."""

from __future__ import annotations

import hashlib
import json
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from core.exceptions import ApplicationError
from core.models import AuditEvent
from core.roles import Role
from privacy import selectors, services
from tests import factories
from tests.conftest import mfa_login
from tests.licensing.test_certificates import pdf_texts
from tests.privacy.conftest import NATIONAL_ID

pytestmark = pytest.mark.django_db

ACTION = "privacy.subject_access_exported"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=ACTION).order_by("pk"))


# --- The person's own -------------------------------------------------------------------------


def test_the_your_data_page_explains_the_export_and_offers_both_formats(person):
    client = signed_in(person.user)
    response = client.get(reverse("privacy:your-data"))
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert '<h1 class="govuk-heading-l">Your data</h1>' in page
    assert f'formaction="{reverse("privacy:download", args=["pdf"])}"' in page
    assert f'formaction="{reverse("privacy:download", args=["json"])}"' in page
    assert "internal notes" in page
    # and every signed-in page links to it
    assert f'href="{reverse("privacy:your-data")}"' in client.get(reverse("licensing:overview")).content.decode()
    # and opening the page records nothing: only a download does
    assert exports() == []


def test_a_person_downloads_their_own_data_as_json_and_it_is_recorded(person):
    # given the person, signed in with a password only
    client = signed_in(person.user)
    # when they download their data as JSON
    response = client.post(reverse("privacy:download", args=["json"]))
    # then they get their own export, as an attachment nobody caches
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-practitioner-')
    assert response["Cache-Control"] == "private, no-store"
    document = json.loads(response.content)
    assert document["subject"]["practitioner"] == person.practitioner.pk
    assert document["subject"]["user"] == person.user.pk
    practitioner_row = next(s for s in document["sections"] if s["model"] == "registry.Practitioner")["rows"][0]
    assert practitioner_row["fields"]["national_id"] == NATIONAL_ID
    # and one audit event says who took it, in which format, and which file it was
    [event] = exports()
    assert event.actor == person.user
    assert (event.object_type.model, event.object_id) == ("practitioner", str(person.practitioner.pk))
    assert event.reason == services.OWN_REQUEST_REASON
    assert event.after == {
        "format": "json",
        "by_the_person": True,
        "rows": sum(len(section["rows"]) for section in document["sections"]),
        "sha256": hashlib.sha256(response.content).hexdigest(),
    }


def test_a_person_downloads_their_own_data_as_pdf_and_it_is_recorded(person):
    client = signed_in(person.user)
    response = client.post(reverse("privacy:download", args=["pdf"]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')
    assert "Thandeka Mthembu" in pdf_texts(response.content)
    [event] = exports()
    assert event.actor == person.user
    assert event.after["format"] == "pdf"
    assert event.after["sha256"] == hashlib.sha256(response.content).hexdigest()
    # and the next export includes the record of this one
    document = json.loads(client.post(reverse("privacy:download", args=["json"])).content)
    events = next(s for s in document["sections"] if s["model"] == "core.AuditEvent")["rows"]
    assert event.pk in [row["pk"] for row in events]


def test_an_applicant_who_was_never_registered_gets_their_data(categories):
    applicant = factories.UserFactory(name="Kwame Mensah")
    application = factories.draft_application(applicant=applicant, category=categories["social-worker"])
    response = signed_in(applicant).post(reverse("privacy:download", args=["json"]))
    assert response.status_code == HTTPStatus.OK
    document = json.loads(response.content)
    assert document["subject"]["practitioner"] is None
    applications = next(s for s in document["sections"] if s["model"] == "registry.Application")["rows"]
    assert [row["pk"] for row in applications] == [application.pk]
    [event] = exports()
    assert (event.object_type.model, event.object_id) == ("user", str(applicant.pk))


def test_someone_else_downloading_gets_only_their_own_data(person):
    # given another signed-in person, with no way to name anyone in the URL
    other = factories.UserFactory(name="Someone Else")
    response = signed_in(other).post(reverse("privacy:download", args=["json"]))
    # then what they get is theirs alone
    text = response.content.decode()
    assert json.loads(text)["subject"]["user"] == other.pk
    for personal in (NATIONAL_ID, person.user.email, "Mthembu", "12 Jacaranda Street"):
        assert personal not in text
    [event] = exports()
    assert event.actor == other
    assert (event.object_type.model, event.object_id) == ("user", str(other.pk))


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_is_recorded(person):
    for url in (reverse("privacy:your-data"), reverse("privacy:download", args=["json"])):
        response = Client().post(url) if url.endswith("json") else Client().get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(reverse("account_login"))
    assert exports() == []


def test_a_download_must_be_posted_in_a_known_format(person):
    client = signed_in(person.user)
    assert client.get(reverse("privacy:download", args=["json"])).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert client.post(reverse("privacy:download", args=["csv"])).status_code == HTTPStatus.NOT_FOUND
    assert exports() == []


# --- The registrar's, for a written request ---------------------------------------------------


def test_a_registrar_exports_a_practitioners_data_for_a_written_request(person):
    # given the registrar, signed in with their authenticator
    client = mfa_login(Client(), person.registrar)
    page = client.get(reverse("privacy_staff:person", args=[person.practitioner.pk]))
    assert page.status_code == HTTPStatus.OK
    assert "Thandeka Mthembu" in page.content.decode()
    # and the practitioner's staff record links to it
    record = client.get(reverse("staff:register-record", args=[person.entry.pk])).content.decode()
    assert f'href="{reverse("privacy_staff:person", args=[person.practitioner.pk])}"' in record
    # when they download it as PDF, giving the request it answers
    response = client.post(
        reverse("privacy_staff:download", args=[person.practitioner.pk, "pdf"]),
        {"reason": "Letter of 3 May 2027, ref. DP-14"},
    )
    # then they get the practitioner's export, and the audit chain says who took it and why
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert NATIONAL_ID in pdf_texts(response.content)
    [event] = exports()
    assert event.actor == person.registrar
    assert (event.object_type.model, event.object_id) == ("practitioner", str(person.practitioner.pk))
    assert event.reason == "Letter of 3 May 2027, ref. DP-14"
    assert event.after["format"] == "pdf"
    assert event.after["by_the_person"] is False


def test_a_registrar_must_say_which_request_an_export_answers(person):
    client = mfa_login(Client(), person.registrar)
    response = client.post(reverse("privacy_staff:download", args=[person.practitioner.pk, "json"]), {"reason": " "})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Say which written request this export answers." in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert exports() == []


def test_a_registrar_asking_for_nobody_gets_a_404(person):
    client = mfa_login(Client(), person.registrar)
    assert client.get(reverse("privacy_staff:person", args=[999999])).status_code == HTTPStatus.NOT_FOUND
    response = client.post(reverse("privacy_staff:download", args=[999999, "json"]), {"reason": "Letter"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert exports() == []


def test_staff_without_the_permission_and_practitioners_cannot_export_someone_else(person):
    # given a registration officer (staff, without the permission), the practitioner themselves, and a registrar
    # whose session did not use their authenticator
    officer = factories.staff_user(Role.REGISTRATION_OFFICER)
    url = reverse("privacy_staff:download", args=[person.practitioner.pk, "json"])
    data = {"reason": "Curious"}
    # when each asks for the practitioner's export from the staff side
    refused_officer = mfa_login(Client(), officer).post(url, data)
    refused_owner = signed_in(person.user).post(url, data)
    no_mfa = signed_in(person.registrar).post(url, data)
    # then the first two are forbidden, the third sent to sign in again, and nothing is recorded
    assert refused_officer.status_code == HTTPStatus.FORBIDDEN
    assert refused_owner.status_code == HTTPStatus.FORBIDDEN
    assert no_mfa.status_code == HTTPStatus.FOUND
    assert no_mfa["Location"].startswith(reverse("account_login"))
    assert exports() == []
    # and the staff record shows the officer no link to it
    record = mfa_login(Client(), officer).get(reverse("staff:register-record", args=[person.entry.pk]))
    assert reverse("privacy_staff:person", args=[person.practitioner.pk]) not in record.content.decode()


def test_the_service_refuses_someone_elses_export_without_the_permission(person):
    # given a person asking the service directly for someone else's data
    other = factories.UserFactory()
    subject = selectors.subject_for_practitioner(practitioner_id=person.practitioner.pk)
    # then it refuses, and records nothing
    with pytest.raises(ApplicationError, match=r"You do not have permission to do this\."):
        services.personal_data_export(actor=other, subject=subject, file_format="json", reason="Because")
    with pytest.raises(ApplicationError, match="Give the reason for this export"):
        services.personal_data_export(actor=person.registrar, subject=subject, file_format="json", reason="")
    with pytest.raises(ApplicationError, match=r"Choose JSON or PDF\."):
        services.personal_data_export(actor=person.user, subject=subject, file_format="xml")
    assert exports() == []
