"""Who sees what in CPD: a provider only its own activities and attendees, a practitioner only their own log,
an auditor only the evidence of practitioners under audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.roles import Role
from cpd import services
from cpd.models import Audit
from tests import factories
from tests.conftest import mfa_login
from tests.cpd.conftest import at, logged, registered

pytestmark = pytest.mark.django_db


def _provider(officer, types, name: str):
    user = factories.UserFactory()
    user.groups.add(Group.objects.get(name=Role.CPD_PROVIDER_USER.value))
    provider = services.provider_apply(actor=user, name=name, contact_email="x@example.org", description="")
    services.provider_decide(actor=officer, provider=provider, approve=True, reason="")
    activity = services.accredited_activity_submit(
        actor=user, provider=provider, title=f"{name} workshop", activity_type=types["course"],
        held_on=dt.date(2027, 3, 1), proposed_points=Decimal(4),
    )  # fmt: skip
    return user, services.accredited_activity_decide(
        actor=officer, activity=activity, approve=True, points=None, reason=""
    )


def test_a_provider_sees_only_its_own_activities_and_the_people_they_credited(
    client, categories, cpd_rules, types, cpd_officer
):
    mine_user, _mine = _provider(cpd_officer, types, "Mine")
    theirs_user, theirs = _provider(cpd_officer, types, "Theirs")
    attendee = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name="Attendee")
    stranger = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name="Stranger")
    logged(stranger, types["course"], "3", dt.date(2027, 2, 1))  # not credited by anyone
    with time_machine.travel(at(2027, 3, 5), tick=False):
        services.attendance_upload(
            actor=theirs_user, activity=theirs,
            uploaded=SimpleUploadedFile("a.csv", f"registration_number\n{attendee.registration_number}\n".encode()),
        )  # fmt: skip
    client.force_login(mine_user)
    assert client.get(reverse("cpd_provider:activity", args=[theirs.pk])).status_code == 404
    home = client.get(reverse("cpd_provider:home")).content.decode()
    assert "Mine workshop" in home
    assert "Theirs workshop" not in home
    client.force_login(theirs_user)
    page = client.get(reverse("cpd_provider:activity", args=[theirs.pk])).content.decode()
    assert attendee.registration_number in page
    assert stranger.registration_number not in page
    assert "Course or workshop on 2027-02-01" not in page  # nobody's log is shown to a provider


def test_a_practitioner_sees_only_their_own_log_and_evidence(client, categories, cpd_rules, types):
    owner = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name="Owner")
    other = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name="Other")
    activity = logged(owner, types["course"], "3", dt.date(2027, 2, 1), evidence=factories.pdf_upload("mine.pdf"))
    client.force_login(other.practitioner.user)
    assert client.get(reverse("cpd:activity-evidence", args=[activity.pk])).status_code == 404
    assert "mine.pdf" not in client.get(reverse("cpd:overview")).content.decode()
    client.force_login(owner.practitioner.user)
    response = client.get(reverse("cpd:activity-evidence", args=[activity.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="mine.pdf"')


def test_an_auditor_sees_evidence_only_of_the_practitioner_under_audit(
    client, categories, cpd_rules, types, cpd_officer
):
    audited = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name="Audited")
    other = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name="Other")
    audited_activity = logged(
        audited, types["course"], "3", dt.date(2027, 2, 1), evidence=factories.pdf_upload("a.pdf")
    )
    other_activity = logged(other, types["course"], "3", dt.date(2027, 2, 1), evidence=factories.pdf_upload("o.pdf"))
    with time_machine.travel(at(2028, 1, 10), tick=False):
        draw = services.audit_draw(actor=cpd_officer, cycle_start_year=2027, seed="s")
    Audit.objects.filter(draw=draw).delete()  # make the sample exactly the one person, whatever the seed drew
    audit = Audit.objects.create(draw=draw, register_entry=audited, due_date=dt.date(2028, 2, 10))
    staff = mfa_login(client, cpd_officer)
    ok = staff.get(reverse("cpd_staff:audit-evidence", args=[audit.pk, audited_activity.pk]))
    assert ok.status_code == 200
    assert staff.get(reverse("cpd_staff:audit-evidence", args=[audit.pk, other_activity.pk])).status_code == 404
    page = staff.get(reverse("cpd_staff:audit", args=[audit.pk])).content.decode()
    assert "a.pdf" in page
    assert "o.pdf" not in page


def test_the_transcript_is_a_pdf_of_the_cycle(client, categories, cpd_rules, types):
    entry = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    logged(entry, types["course"], "4", dt.date(2027, 2, 1))
    with time_machine.travel(at(2027, 3, 1), tick=False):
        client.force_login(entry.practitioner.user)
        response = client.get(reverse("cpd:transcript"))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == 'attachment; filename="cpd-transcript-2027.pdf"'
