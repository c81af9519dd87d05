"""National ID numbers are never shown in full in a list, table, export or admin list: only masked (core.crypto.mask).

The application's case page, read by the reviewing officer, may show the number in full (as the applicant's
own check-your-answers page does); everything listing people shows the last four characters at most.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from core.audit import audit_record
from core.crypto import EncryptedTextField, mask
from core.models import AuditEvent
from core.roles import Role
from registry import services
from registry.models import Application, RegisterEntry
from tests import factories

pytestmark = pytest.mark.django_db

NATIONAL_ID = "9005175800086"  # tests/factories.py draft_application
MASKED = "••••0086"


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return str(response.content.decode())


@pytest.fixture
def people(categories: Any, registrar: Any) -> dict[str, Any]:
    """An application in review and a registered practitioner, both with the known national ID, and an audit
    event written the old way, with the number in full, about the registered person's application."""
    waiting = factories.application_in_review(
        applicant=factories.UserFactory(), category=categories["social-worker"], registrar=registrar
    )
    approved = factories.application_in_review(
        applicant=factories.UserFactory(), category=categories["social-auxiliary-worker"], registrar=registrar
    )
    services.application_decide(actor=registrar, application=approved, approve=True, reason="")
    entry = RegisterEntry.objects.select_related("practitioner").get(application=approved)
    audit_record(
        actor=approved.applicant,
        action="application.draft_saved",
        obj=approved,
        before={"national_id": ""},
        after={"national_id": NATIONAL_ID},
    )
    return {"waiting": waiting, "approved": approved, "entry": entry}


def test_the_mask_keeps_only_the_last_four_characters():
    assert mask(NATIONAL_ID) == MASKED


def test_the_application_queue_shows_national_ids_masked(login, officer, people):
    # when an officer opens the review queue
    html = _body(login(officer).get(reverse("staff:application-queue")))
    # then the applicant's number is masked
    assert MASKED in html
    assert NATIONAL_ID not in html


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.REGISTRATION_OFFICER, Role.CONDUCT_OFFICER])
def test_the_register_record_shows_the_number_masked_even_from_old_audit_events(login, people, role):
    # when a member of staff opens the registered person's record, whose timeline holds an old event with
    # the number in full
    response = login(factories.staff_user(role)).get(reverse("staff:register-record", args=[people["entry"].pk]))
    html = _body(response)
    # then the record and its timeline show the number masked, never in full
    assert response.status_code == HTTPStatus.OK
    assert MASKED in html
    assert NATIONAL_ID not in html


def test_new_audit_events_hold_the_number_masked(people):
    # given the drafts' answers saved through the services (tests/factories.py)
    events = AuditEvent.objects.filter(action="application.draft_saved", object_id=str(people["waiting"].pk)).order_by(
        "id"
    )
    # then the event records that the number was given, masked
    assert [event.after.get("national_id") for event in events if "national_id" in event.after] == [MASKED]
    # and the application itself still holds it in full (encrypted at rest)
    assert Application.objects.get(pk=people["waiting"].pk).national_id == NATIONAL_ID


def test_the_reviewing_officer_sees_the_number_in_full_on_the_case_page(login, officer, people):
    html = _body(login(officer).get(reverse("staff:application-case", args=[people["waiting"].pk])))
    assert NATIONAL_ID in html


def test_the_register_export_holds_no_national_id(login, people):
    response = login(factories.staff_user(Role.REGISTRAR)).get(reverse("verification_staff:register-export"))
    body = _body(response)
    assert response.status_code == HTTPStatus.OK
    assert people["entry"].registration_number in body
    assert NATIONAL_ID not in body
    assert "0086" not in body


def test_no_admin_list_shows_an_encrypted_identifier(login, people):
    # given every model the admin lists, none listing an encrypted field as a column
    council_admin = factories.staff_user(Role.COUNCIL_ADMIN, is_staff=True)
    client = login(council_admin)
    for model, model_admin in admin.site._registry.items():
        columns = set(model_admin.get_list_display(None)) | set(model_admin.search_fields)
        encrypted = {field.name for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)}
        assert not columns & encrypted, model
        # when the council administrator opens its list
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        # then the number is not in it
        assert NATIONAL_ID not in _body(client.get(url)), model
