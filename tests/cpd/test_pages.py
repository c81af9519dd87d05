"""The CPD pages end to end through the test client: a provider's applications and activities, the CPD officer's
decisions, exemptions, the audit draw and a decision, and the nightly tasks."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from core.roles import Role
from cpd import tasks
from cpd.models import AccreditedActivity, Activity, Audit, AuditDraw, Compliance, Exemption, Provider
from tests import factories
from tests.conftest import mfa_login
from tests.cpd.conftest import at, registered

pytestmark = pytest.mark.django_db


def test_a_provider_applies_is_accredited_submits_an_activity_and_credits_attendees(
    categories, cpd_rules, types, cpd_officer
):
    attendee = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    provider_user = factories.UserFactory()
    provider_user.groups.add(Group.objects.get(name=Role.CPD_PROVIDER_USER.value))
    with time_machine.travel(at(2027, 3, 20), tick=False):  # signed in at that time, or the sessions expire
        provider_client = Client()
        provider_client.force_login(provider_user)
        officer = mfa_login(Client(), cpd_officer)
        # the provider applies
        assert provider_client.get(reverse("cpd_provider:home")).status_code == 200
        response = provider_client.post(
            reverse("cpd_provider:apply"),
            {"name": "Ubuntu Institute", "contact_email": "u@example.org", "description": ""},
        )
        assert response.status_code == 302
        provider = Provider.objects.get()
        # the CPD officer sees it and accredits it
        assert "Ubuntu Institute" in officer.get(reverse("cpd_staff:dashboard")).content.decode()
        officer.post(reverse("cpd_staff:provider-decide", args=[provider.pk]), {"decision": "approve", "reason": ""})
        provider.refresh_from_db()
        assert provider.status == Provider.Status.ACCREDITED
        # the provider submits an activity; its kinds are listed by name
        home = provider_client.get(reverse("cpd_provider:home")).content.decode()
        assert ">Course or workshop<" in home
        provider_client.post(
            reverse("cpd_provider:activity-submit", args=[provider.pk]),
            {
                "title": "Ethics",
                "activity_type": str(types["course"].pk),
                "held_on": "2027-03-10",
                "proposed_points": "5",
                "is_ethics": "on",
            },
        )
        activity = AccreditedActivity.objects.get()
        # the officer accredits it at 4 points
        officer.post(
            reverse("cpd_staff:activity-decide", args=[activity.pk]),
            {"decision": "approve", "points": "4", "reason": ""},
        )
        activity.refresh_from_db()
        assert (activity.status, activity.points, activity.subtype) == ("ACCREDITED", 4, "ethics")
        # the provider uploads the attendance list and sees the report
        assert provider_client.get(reverse("cpd_provider:activity", args=[activity.pk])).status_code == 200
        uploaded = provider_client.post(
            reverse("cpd_provider:attendance-upload", args=[activity.pk]),
            {
                "attendance": SimpleUploadedFile(
                    "a.csv", f"registration_number\n{attendee.registration_number}\n".encode()
                )
            },
        )
        assert uploaded.status_code == 302
        report = provider_client.get(uploaded["Location"]).content.decode()
        assert "Imported" in report
    assert Activity.objects.get().practitioner == attendee.practitioner


def test_a_refusal_needs_reasons(cpd_rules, cpd_officer):
    user = factories.UserFactory()
    provider = Provider.objects.create(name="X", contact_email="x@example.org")
    provider.users.add(user)
    officer = mfa_login(Client(), cpd_officer)
    officer.post(reverse("cpd_staff:provider-decide", args=[provider.pk]), {"decision": "refuse", "reason": ""})
    provider.refresh_from_db()
    assert provider.status == Provider.Status.APPLIED
    officer.post(
        reverse("cpd_staff:provider-decide", args=[provider.pk]), {"decision": "refuse", "reason": "No trainers"}
    )
    provider.refresh_from_db()
    assert (provider.status, provider.decision_reason) == (Provider.Status.REFUSED, "No trainers")


def test_an_officer_grants_an_exemption_by_registration_number(categories, cpd_rules, cpd_officer):
    entry = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    officer = mfa_login(Client(), cpd_officer)
    form = {"cycle_start_year": "2026", "kind": "ILLNESS", "reduction_percent": "100", "reason": "Long illness"}
    officer.post(reverse("cpd_staff:exemption-grant"), {**form, "registration_number": "SW-999999-0"})
    assert not Exemption.objects.exists()
    officer.post(
        reverse("cpd_staff:exemption-grant"), {**form, "registration_number": entry.registration_number.lower()}
    )
    assert Exemption.objects.get().practitioner == entry.practitioner
    assert Compliance.objects.get(register_entry=entry, cycle_start_year=2026).status == Compliance.Status.MET


def test_an_auditor_draws_opens_a_case_and_decides(categories, cpd_rules, cpd_officer):
    entries = [
        registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name=f"A {index}") for index in range(5)
    ]
    with time_machine.travel(at(2028, 1, 10), tick=False):
        officer = mfa_login(Client(), cpd_officer)
        assert officer.get(reverse("cpd_staff:audits")).status_code == 200
        drawn = officer.post(reverse("cpd_staff:audits"), {"cycle_start_year": "2027", "seed": "page-seed"})
        draw = AuditDraw.objects.get()
        assert drawn["Location"] == reverse("cpd_staff:draw", args=[draw.pk])
        audit = Audit.objects.get(draw=draw)  # 10% of 5, rounded up
        assert audit.register_entry in entries
        assert officer.get(reverse("cpd_staff:audit", args=[audit.pk])).status_code == 200
        refused = officer.post(reverse("cpd_staff:audit-decide", args=[audit.pk]), {"decision": "exempt", "reason": ""})
        assert refused.status_code == 400
        officer.post(
            reverse("cpd_staff:audit-decide", args=[audit.pk]), {"decision": "exempt", "reason": "Seriously ill"}
        )
    audit.refresh_from_db()
    assert audit.status == Audit.Status.EXEMPT


def test_the_practitioner_submits_an_audit_from_my_cpd(categories, cpd_rules, cpd_officer):
    registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    with time_machine.travel(at(2028, 1, 10), tick=False):
        from cpd import services

        draw = services.audit_draw(actor=cpd_officer, cycle_start_year=2027, seed="s")
        audit = draw.audits.get()
        client = Client()
        client.force_login(audit.register_entry.practitioner.user)
        assert "Submit my CPD log" in client.get(reverse("cpd:overview")).content.decode()
        client.post(reverse("cpd:audit-submit", args=[audit.pk]), {"statement": "All in my log"})
    audit.refresh_from_db()
    assert (audit.status, audit.statement) == (Audit.Status.SUBMITTED, "All in my log")


def test_the_nightly_tasks_run_the_services(categories, cpd_rules, types):
    entry = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    with time_machine.travel(at(2027, 1, 5), tick=False):
        assert tasks.compliance_nightly() >= 1  # January: last cycle settled, and the new one started
        assert tasks.audit_reminders_daily() == 0
    assert set(Compliance.objects.filter(register_entry=entry).values_list("cycle_start_year", "status")) == {
        (2026, "NOT_MET"),
        (2027, "AT_RISK"),
    }
    assert AuditEvent.objects.filter(action="cpd_compliance.assessed", actor=None).count() == 2
