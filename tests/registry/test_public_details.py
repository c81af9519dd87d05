"""The practitioner's own page about their public entry: town of work and consent to the optional public fields.

Only the practitioner makes these choices, through registry.consent, with a history row and an audit event;
staff cannot make them for anyone, and nobody can reach anyone else's record through the page.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse

from core.exceptions import ApplicationError
from core.models import AuditEvent
from core.roles import Role
from registry import consent
from registry.models import Practitioner, RegisterCategory, RegisterEntry
from tests import factories
from tests.conftest import mfa_login
from tests.portal.test_public_register import _register

pytestmark = pytest.mark.django_db

URL = "/my-record/public-register/"
CHOICES = ("work_town", "consents_to_publish_previous_names", "consents_to_publish_work_town")


def _choices(practitioner: Practitioner) -> tuple[Any, ...]:
    practitioner.refresh_from_db()
    return tuple(getattr(practitioner, name) for name in CHOICES)


def _events(practitioner: Practitioner) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="practitioner.public_details_changed", object_id=str(practitioner.pk)))


@pytest.fixture
def entry(categories: Any, registrar: Any) -> RegisterEntry:
    return _register(categories, registrar, "Hélène", "Dubois", previous_names="Hélène Martin")


def test_the_url_is_the_practitioner_page():
    assert reverse("practitioner:public-details") == URL


def test_the_practitioner_sees_their_choices_and_what_would_be_public(client, council, entry):
    # given a council publishing previous names with consent, and not publishing towns
    council.public_register_shows_previous_names = True
    council.save()
    user = entry.practitioner.user
    client.force_login(user)
    # when the practitioner opens the page
    response = client.get(URL)
    html = response.content.decode()
    # then it shows their previous name as it would be published, and what the council's rules do
    assert response.status_code == HTTPStatus.OK
    assert "The register would show: “Hélène Martin”" in html
    assert "Shown only if you tick this box." in html
    assert "The council does not publish this at present." in html
    # and links to their own public record
    assert reverse("portal:register-record", args=[entry.registration_number]) in html


def test_the_practitioner_saves_a_town_and_consents_with_history_and_an_audit_event(client, council, entry):
    practitioner = entry.practitioner
    client.force_login(practitioner.user)
    history_before = practitioner.history.count()
    # when they give a town and agree to both fields
    response = client.post(
        URL,
        {
            "work_town": "  Gqeberha  ",
            "consents_to_publish_previous_names": "on",
            "consents_to_publish_work_town": "on",
        },
    )
    # then they are sent back to the page, and the record holds their choices
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == URL
    assert _choices(practitioner) == ("Gqeberha", True, True)
    # with a history row by them, and one audit event saying what changed
    latest = practitioner.history.order_by("-history_id").first()
    assert practitioner.history.count() == history_before + 1
    assert (latest.history_user_id, latest.history_change_reason) == (practitioner.user_id, "public register choices")
    (event,) = _events(practitioner)
    assert event.actor_id == practitioner.user_id
    assert event.before == {
        "work_town": "",
        "consents_to_publish_previous_names": False,
        "consents_to_publish_work_town": False,
    }
    assert event.after == {
        "work_town": "Gqeberha",
        "consents_to_publish_previous_names": True,
        "consents_to_publish_work_town": True,
    }
    # and withdrawing one consent later records only that change
    client.post(URL, {"work_town": "Gqeberha", "consents_to_publish_work_town": "on"})
    assert _choices(practitioner) == ("Gqeberha", False, True)
    assert _events(practitioner)[-1].after == {"consents_to_publish_previous_names": False}


def test_saving_the_same_choices_again_changes_nothing(client, council, entry):
    practitioner = entry.practitioner
    client.force_login(practitioner.user)
    client.post(URL, {"work_town": "Durban"})
    history, events = practitioner.history.count(), AuditEvent.objects.count()
    client.post(URL, {"work_town": "Durban"})
    assert (practitioner.history.count(), AuditEvent.objects.count()) == (history, events)


def test_a_town_too_long_is_refused_and_nothing_changes(client, council, entry):
    practitioner = entry.practitioner
    client.force_login(practitioner.user)
    events = AuditEvent.objects.count()
    response = client.post(URL, {"work_town": "x" * 101, "consents_to_publish_work_town": "on"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Ensure this value has at most 100 characters" in response.content.decode()
    assert _choices(practitioner) == ("", False, False)
    assert AuditEvent.objects.count() == events


def test_staff_cannot_give_consent_for_a_practitioner(council, entry, registrar):
    # given a registrar, who may change the practitioner's register status
    practitioner = entry.practitioner
    events = AuditEvent.objects.count()
    # when the registrar tries to consent on the practitioner's behalf
    with pytest.raises(ApplicationError, match="Only the practitioner can choose"):
        consent.practitioner_public_details_save(
            actor=registrar,
            practitioner=practitioner,
            work_town="Durban",
            consents_to_publish_previous_names=True,
            consents_to_publish_work_town=True,
        )
    # then nothing changed
    assert _choices(practitioner) == ("", False, False)
    assert AuditEvent.objects.count() == events


def test_the_page_only_ever_opens_the_signed_in_persons_own_record(client, council, entry):
    # given someone signed in with no register record (a member of staff, or another applicant)
    events = AuditEvent.objects.count()
    for user in (factories.UserFactory(), factories.staff_user(Role.REGISTRAR)):
        signed_in = mfa_login(client, user)
        # when they open or post the page
        assert signed_in.get(URL).status_code == HTTPStatus.NOT_FOUND
        assert signed_in.post(URL, {"consents_to_publish_work_town": "on"}).status_code == HTTPStatus.NOT_FOUND
    # then the practitioner's choices are untouched
    assert _choices(entry.practitioner) == ("", False, False)
    assert AuditEvent.objects.count() == events


def test_anonymous_visitors_are_sent_to_sign_in(client, council):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


def test_the_licence_page_links_to_the_choices(client, council, entry):
    client.force_login(entry.practitioner.user)
    assert URL in client.get(reverse("licensing:overview")).content.decode()


def test_the_page_makes_a_constant_number_of_queries(client, council, categories, registrar, django_assert_num_queries):
    # given a practitioner on the register in three categories
    entry = _register(categories, registrar, "Sipho", "Ndlovu")
    user = entry.practitioner.user
    third = RegisterCategory.objects.create(
        code="cycw", name="Child and youth care worker", registration_number_prefix="CYCW"
    )
    for category in (categories["social-auxiliary-worker"], third):
        RegisterEntry.objects.create(
            practitioner=entry.practitioner,
            category=category,
            registration_number=f"{category.registration_number_prefix}-1",
            registered_date=entry.registered_date,
            status_changed_at=entry.status_changed_at,
        )
    client.force_login(user)
    # then the page reads the council, the session and the user, the person and their entries with their
    # categories (two queries, however many entries), what the menu needs (permissions and groups), and the
    # request's transaction makes a savepoint and releases it
    with django_assert_num_queries(10):
        response = client.get(URL)
    assert response.content.decode().count("See your public record") == 3
