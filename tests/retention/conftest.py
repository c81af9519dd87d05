"""Fixtures for the retention tests: one record of every record type, made through the real services and then
aged (test set-up only: the rows' dates are moved back, as time would)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import models
from django.utils import timezone

from core.models import Notification, User
from core.roles import Role
from discipline import services as discipline_services
from portal import services as portal_services
from portal.models import RosterUpload, WebhookDelivery
from registry import services as registry_services
from registry.models import Application, RegisterEntry
from retention.models import RecordType
from tests import factories
from tests.discipline.conftest import discipline_rules, lodge  # noqa: F401 - the fixture is used by name

YEARS_AGO = timezone.now() - dt.timedelta(days=365 * 5)


def age(model: type[models.Model], pk: int, **moments: dt.datetime) -> None:
    """Move a row's dates back (set-up only: nothing in the product writes dates this way)."""
    model._default_manager.filter(pk=pk).update(**moments)


@pytest.fixture
def conduct_officer(db: None) -> User:
    return factories.staff_user(Role.CONDUCT_OFFICER)


@pytest.fixture
def aged(
    categories: Any,
    registrar: User,
    conduct_officer: User,
    discipline_rules: Any,  # noqa: F811
) -> dict[str, Any]:
    """One record of each record type, five years old, and a registered practitioner whose entry is as old."""
    social_worker = categories["social-worker"]
    draft = factories.draft_application(applicant=factories.UserFactory(), category=social_worker)
    age(Application, draft.pk, updated_at=YEARS_AGO)

    refused = factories.application_in_review(
        applicant=factories.UserFactory(), category=social_worker, registrar=registrar
    )
    registry_services.application_decide(actor=registrar, application=refused, approve=False, reason="Not qualified")
    age(Application, refused.pk, decided_at=YEARS_AGO, updated_at=YEARS_AGO)

    approved = factories.application_in_review(
        applicant=factories.UserFactory(), category=social_worker, registrar=registrar
    )
    registry_services.application_decide(actor=registrar, application=approved, approve=True, reason="")
    age(Application, approved.pk, decided_at=YEARS_AGO, updated_at=YEARS_AGO, created_at=YEARS_AGO)
    entry = RegisterEntry.objects.select_related("practitioner").get(application=approved)
    age(RegisterEntry, entry.pk, created_at=YEARS_AGO, updated_at=YEARS_AGO, status_changed_at=YEARS_AGO)

    complaint = lodge(entry, address="198.51.100.20")
    discipline_services.complaint_triage(
        actor=conduct_officer, complaint=complaint, open_case=False, reason="Not a conduct matter"
    )
    age(type(complaint), complaint.pk, triaged_at=YEARS_AGO, created_at=YEARS_AGO)

    notification = Notification.objects.create(
        to_email="someone@example.org", subject="Hello", body="Body", kind="test", status="SENT", sent_at=YEARS_AGO
    )
    organisation = portal_services.organisation_create(actor=None, name="Old employer")
    employer_user = factories.UserFactory()
    portal_services.member_add(actor=None, organisation=organisation, user=employer_user)
    delivery = WebhookDelivery.objects.create(
        organisation=organisation, url="https://hooks.example/x", body="{}", status="DELIVERED", delivered_at=YEARS_AGO
    )
    upload = portal_services.roster_upload(
        actor=employer_user,
        organisation=organisation,
        name="roster.csv",
        data=f"registration_number\n{entry.registration_number}\nSW-BAD\n".encode(),
    )
    age(RosterUpload, upload.pk, created_at=YEARS_AGO)
    return {
        RecordType.DRAFT_APPLICATION: [draft.pk],
        RecordType.CLOSED_APPLICATION: [refused.pk],
        RecordType.GRANTED_APPLICATION_DOCUMENT: sorted(approved.documents.values_list("pk", flat=True)),
        RecordType.CLOSED_COMPLAINT: [complaint.pk],
        RecordType.NOTIFICATION: [notification.pk],
        RecordType.WEBHOOK_DELIVERY: [delivery.pk],
        RecordType.ROSTER_UPLOAD: [upload.pk],
        "entry": entry,
        "approved": approved,
        "draft": draft,
        "complaint": complaint,
    }
