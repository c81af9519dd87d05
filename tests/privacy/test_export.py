"""The subject-access export: complete by the model graph, bounded in queries, and withholding secrets."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import User
from core.person_graph import references_to
from core.services import notification_queue
from cpd import services as cpd_services
from cpd.models import ActivityType
from discipline.models import Complaint
from portal.models import RosterEntry
from privacy import rules, selectors
from privacy.selectors import Extent, Subject
from registry.models import Practitioner
from tests import factories
from tests.discipline.conftest import lodge
from tests.privacy.conftest import CARD_CLIENT_SECRET, NATIONAL_ID

pytestmark = pytest.mark.django_db


def export(subject: Subject) -> dict:
    holding = selectors.personal_data_collect(subject=subject)
    return selectors.personal_data_document(holding=holding)


def rows_by_key(document: dict) -> dict[tuple[str, object], dict]:
    return {(section["model"], row["pk"]): row for section in document["sections"] for row in section["rows"]}


# --- Completeness -----------------------------------------------------------------------------


def test_every_row_that_references_the_person_is_in_the_export(person):
    # given a person with applications, registration, money, CPD, exams, a complaint and an account
    subject = selectors.subject_for_user(user=person.user)
    # when their export is made
    document = export(subject)
    # then walking every relation to Practitioner and User in every installed model finds nothing it lacks
    report = selectors.export_missing_rows(subject=subject, document=document)
    assert report.missing == []
    # and the walk was not vacuous: it covered the relations that matter and found rows through them
    expected_relations = {
        "registry.RegisterEntry.practitioner",
        "registry.Application.applicant",
        "registry.Qualification.practitioner",
        "registry.Employment.practitioner",
        "registry.HistoricalPractitioner.user",
        "registry.HistoricalApplication.applicant",
        "licensing.Invoice.practitioner",
        "licensing.Payment.practitioner",
        "licensing.FeeExemption.practitioner",
        "licensing.CardPayment.started_by",
        "licensing.RenewalDeclaration.declared_by",
        "cpd.Activity.practitioner",
        "exams.Booking.practitioner",
        "exams.Booking.candidate",
        "exams.ApprovalToTest.candidate",
        "discipline.Complaint.practitioner",
        "account.EmailAddress.user",
        "mfa.Authenticator.user",
        "core.Notification.recipient",
        "core.AuditEvent.actor",
    }
    assert {relation for relation, count in report.found.items() if count} >= expected_relations
    assert len(report.found) == len(references_to(Practitioner)) + len(references_to(User))
    # and the export holds rows of many models, each made by a different part of the register
    models_held = {section["model"] for section in document["sections"]}
    assert len(models_held) >= 45
    assert models_held >= {
        "registry.ApplicationDocument",
        "registry.InformationRequest",
        "licensing.InvoiceLine",
        "licensing.PaymentAllocation",
        "exams.AccommodationRequest",
        "discipline.Case",
        "discipline.ComplaintAttachment",
        "portal.RosterEntry",
        "cpd.Compliance",
        "registry.HistoricalRegisterEntry",
    }
    json.dumps(document)  # JSON-safe throughout


def test_a_relation_the_export_skips_is_reported_missing(person, monkeypatch):
    # given an export that, like one written before a new model existed, does not know CPD activities
    original = selectors._references

    def without_cpd_activities(target):
        return tuple(reference for reference in original(target) if reference.label != "cpd.Activity.practitioner")

    monkeypatch.setattr(selectors, "_references", without_cpd_activities)
    subject = selectors.subject_for_user(user=person.user)
    document = export(subject)
    # when the completeness check walks the graph
    report = selectors.export_missing_rows(subject=subject, document=document)
    # then it names exactly the row the export left out, and the relation that reaches it
    assert report.missing == [("cpd.Activity", person.activity.pk, "cpd.Activity.practitioner")]


def test_rows_that_belong_to_the_persons_rows_are_followed(person):
    # given rows that reference the person only through their other rows
    document = export(selectors.subject_for_user(user=person.user))
    rows = rows_by_key(document)
    # then their invoice's lines, the payment's allocation, the booking's accommodation request, the complaint's
    # case and attachment, and an employer's roster entry of their registration are all in full
    owned = [
        *[("licensing.InvoiceLine", line.pk) for line in person.invoice.lines.all()],
        *[("licensing.PaymentAllocation", allocation.pk) for allocation in person.payment.allocations.all()],
        *[("exams.AccommodationRequest", request.pk) for request in person.booking.accommodations.all()],
        ("discipline.Case", person.case.pk),
        *[("discipline.ComplaintAttachment", attachment.pk) for attachment in person.complaint.attachments.all()],
        *[("portal.RosterEntry", roster.pk) for roster in RosterEntry.objects.filter(register_entry=person.entry)],
    ]
    assert len(owned) >= 6
    for key in owned:
        assert rows[key]["extent"] == "full", key
    # and so are the past versions of their records, and the audit events about them
    history = [row for (model, _pk), row in rows.items() if model == "registry.HistoricalApplication"]
    assert {row["fields"]["status"] for row in history} >= {"DRAFT", "SUBMITTED", "IN_REVIEW", "APPROVED"}
    actions = {row["fields"]["action"] for (model, _pk), row in rows.items() if model == "core.AuditEvent"}
    assert {"application.approved", "register_entry.registered", "payment.recorded", "case.opened"} <= actions


def test_a_staff_members_export_lists_what_they_did_without_copying_other_peoples_data(person):
    # given the registrar who assigned and approved the person's application
    subject = selectors.subject_for_user(user=person.registrar)
    # when the registrar's own export is made
    document = export(subject)
    text = json.dumps(document, ensure_ascii=False)
    rows = rows_by_key(document)
    # then the application they decided is listed, naming them as the one who acted, with none of the
    # applicant's details (the emails the registrar was sent are theirs, and are copied as sent)
    application = rows[("registry.Application", person.application.pk)]
    assert application["extent"] == "mention"
    assert application["named_as"] == ["assigned_to", "decided_by"]
    assert "given_names" not in application["fields"]
    assert application["fields"]["decided_by"] == {"pk": person.registrar.pk, "label": person.registrar.email}
    for personal in (NATIONAL_ID, "12 Jacaranda Street", "1990-05-17", person.user.email):
        assert personal not in text, personal
    # and nothing is followed from it: the applicant's documents and register entry are not in their export
    assert not any(model == "registry.ApplicationDocument" for model, _pk in rows)
    assert ("registry.RegisterEntry", person.entry.pk) not in rows
    # and the export is still complete for the registrar
    assert selectors.export_missing_rows(subject=subject, document=document).missing == []


def test_a_person_with_only_an_account_gets_their_account_and_applications(categories, registrar):
    # given an applicant who was never registered
    applicant = factories.UserFactory(name="Kwame Mensah")
    application = factories.draft_application(applicant=applicant, category=categories["social-worker"])
    subject = selectors.subject_for_user(user=applicant)
    assert subject.practitioner is None
    # when their export is made
    document = export(subject)
    rows = rows_by_key(document)
    # then it holds their account, their draft and its documents, and nothing is missing
    assert document["subject"] == {
        "name": "Kwame Mensah",
        "practitioner": None,
        "user": applicant.pk,
        "email": applicant.email,
        "registration_numbers": [],
    }
    assert rows[("registry.Application", application.pk)]["fields"]["national_id"] == NATIONAL_ID
    assert sum(1 for model, _pk in rows if model == "registry.ApplicationDocument") == 2
    assert selectors.export_missing_rows(subject=subject, document=document).missing == []


def test_a_practitioner_without_an_account_is_exported_from_their_record(categories, registrar):
    # given a practitioner imported without a user account, with a qualification
    practitioner = Practitioner.objects.create(given_names="Ama", family_name="Owusu", national_id="GHA-123456789")
    practitioner.qualifications.create(
        qualification_type=categories["social-worker"].accepted_qualification_types.get(),
        institution_name="University of Ghana",
        awarded_date=dt.date(2015, 6, 30),
    )
    subject = selectors.subject_for_practitioner(practitioner_id=practitioner.pk)
    # when their export is made
    document = export(subject)
    # then it holds their record, its history and their qualification, with the national ID in full
    models_held = [section["model"] for section in document["sections"]]
    assert models_held[:2] == ["registry.Practitioner", "registry.HistoricalPractitioner"]
    assert "registry.Qualification" in models_held
    assert document["sections"][0]["rows"][0]["fields"]["national_id"] == "GHA-123456789"
    assert selectors.export_missing_rows(subject=subject, document=document).missing == []


def test_sections_and_rows_come_in_a_stable_order(person):
    subject = selectors.subject_for_user(user=person.user)
    first, second = export(subject), export(subject)
    assert [section["model"] for section in first["sections"]] == [section["model"] for section in second["sections"]]
    assert first["sections"] == second["sections"]
    models_in_order = [section["model"] for section in first["sections"]]
    assert models_in_order[:3] == ["core.User", "registry.Practitioner", "registry.HistoricalPractitioner"]
    # each model's history comes right after it
    assert models_in_order.index("registry.HistoricalApplication") == models_in_order.index("registry.Application") + 1
    for section in first["sections"]:
        pks = [row["pk"] for row in section["rows"]]
        assert pks == sorted(pks), section["model"]


# --- Queries ----------------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_number_of_rows(person):
    # given the person's export, counted
    subject = selectors.subject_for_user(user=person.user)
    with CaptureQueriesContext(connection) as before:
        export(subject)
    # when they log three more CPD activities and get three more emails
    course = ActivityType.objects.get(code="course")
    for number in range(3):
        cpd_services.activity_log(
            actor=person.user,
            activity_type=course,
            title=f"Supervision workshop {number}",
            provider_name="",
            activity_date=timezone.localdate() - dt.timedelta(days=number + 1),
            points=Decimal(1),
        )
        notification_queue(
            recipient=person.user,
            kind="payment_received",
            context={"invoice": person.invoice, "payment": person.payment},
        )
    with CaptureQueriesContext(connection) as after:
        document = export(subject)
    # then the export holds the new rows with exactly as many queries as before
    assert sum(1 for row in rows_by_key(document) if row[0] == "cpd.Activity") == 4
    assert len(after.captured_queries) == len(before.captured_queries)
    # and the count is bounded by the relations walked, not by rows
    relations = len(references_to(User)) + len(references_to(Practitioner))
    assert len(after.captured_queries) < relations * 2


# --- What is withheld -------------------------------------------------------------------------


def test_credentials_are_withheld_and_the_persons_own_identifiers_are_not(person):
    subject = selectors.subject_for_user(user=person.user)
    document = export(subject)
    text = json.dumps(document, ensure_ascii=False)
    rows = rows_by_key(document)
    user_row = rows[("core.User", person.user.pk)]
    authenticator = next(row for (model, _pk), row in rows.items() if model == "mfa.Authenticator")
    # the password hash, the authenticator's secret, the card payment's client secret, the complaint's
    # tracking-token hash and the national ID's keyed digest appear nowhere
    complaint = Complaint.objects.get(pk=person.complaint.pk)
    for secret in (
        person.user.password,
        person.totp_secret,
        CARD_CLIENT_SECRET,
        complaint.tracking_token_hash,
        complaint.source_hash,
        person.practitioner.national_id_digest,
    ):
        assert secret
        assert secret not in text
    # and the export says what it withheld, and why
    assert set(user_row["withheld"]) == {"password"}
    assert "password" not in user_row["fields"]
    assert set(authenticator["withheld"]) == {"data"}
    assert authenticator["fields"]["type"] == "totp"
    # and another person who acted is shown by number, not by email; the person's own email stays
    events = [row for (model, _pk), row in rows.items() if model == "core.AuditEvent"]
    approved = next(row for row in events if row["fields"]["action"] == "application.approved")
    assert approved["fields"]["actor"] == {"pk": person.registrar.pk, "label": None}
    assert "actor_label" in approved["withheld"]
    assert person.registrar.email not in text
    started = next(row for row in events if row["fields"]["action"] == "application.started")
    assert started["fields"]["actor_label"] == person.user.email
    assert "withheld" not in started
    # while the person sees their own national ID in full, in their record and in its history
    assert rows[("registry.Practitioner", person.practitioner.pk)]["fields"]["national_id"] == NATIONAL_ID
    history = [row for (model, _pk), row in rows.items() if model == "registry.HistoricalPractitioner"]
    assert {row["fields"]["national_id"] for row in history} == {NATIONAL_ID}
    assert all("national_id_digest" in row["withheld"] for row in history)


def test_a_complainant_who_asked_for_anonymity_stays_anonymous(person):
    # given one complaint whose complainant asked to stay anonymous, and one who did not
    open_complaint = lodge(
        person.entry,
        address="198.51.100.30",
        complainant_name="Sipho Ndlovu",
        complainant_email="sipho@example.org",
        anonymous_to_practitioner=False,
    )
    document = export(selectors.subject_for_user(user=person.user))
    rows = rows_by_key(document)
    text = json.dumps(document, ensure_ascii=False)
    # then the first complainant's identity is withheld, with the reason, in the complaint and its history
    anonymous = rows[("discipline.Complaint", person.complaint.pk)]
    assert set(anonymous["withheld"]) >= {"complainant_name", "complainant_email", "complainant_phone"}
    assert "Naledi" not in text
    assert "naledi@example.org" not in text
    # and the second's name is given
    shown = rows[("discipline.Complaint", open_complaint.pk)]
    assert shown["fields"]["complainant_name"] == "Sipho Ndlovu"
    assert set(shown["withheld"]) == {"source_hash", "tracking_token_hash"}


SECRET_LOOKING = re.compile(r"secret|token|hash|password|digest|sha\d*|(^|_)key($|_)|(^|_)data$")


def test_every_column_that_looks_like_a_secret_has_been_considered():
    # a new column named like a credential must be withheld, or said not to be one, in privacy.rules
    unconsidered = []
    for model in apps.get_models():
        label = selectors.tracked_label(model)
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation or not SECRET_LOOKING.search(model_field.name):
                continue
            if model_field.name in rules.WITHHELD.get(label, {}) or model_field.name in rules.NOT_CREDENTIALS.get(
                label, frozenset()
            ):
                continue
            unconsidered.append(f"{model._meta.label}.{model_field.name}")
    assert unconsidered == []


def test_every_relation_to_a_user_is_either_the_persons_own_or_names_them_acting():
    # a new relation to a user must be a deliberate choice: rows it finds are either theirs (copied and
    # followed) or name them as the one who acted (listed only). This is the list of the first kind.
    owning = {
        reference.label
        for reference in references_to(User)
        if not rules.is_acting_relation(reference.model._meta.label, reference.field.name)
    }
    assert owning == {
        "account.EmailAddress.user",
        "core.Notification.recipient",
        "exams.ApprovalToTest.candidate",
        "exams.Booking.candidate",
        "exams.ConflictOfInterest.candidate",
        "exams.HistoricalApprovalToTest.candidate",
        "exams.HistoricalBooking.candidate",
        "exams.HistoricalConflictOfInterest.candidate",
        "mfa.Authenticator.user",
        "portal.EmployerMember.user",
        "portal.HistoricalEmployerMember.user",
        "registry.Application.applicant",
        "registry.HistoricalApplication.applicant",
        "registry.HistoricalPractitioner.user",
        "registry.Practitioner.user",
    }


def test_json_values_are_json_safe():
    assert selectors.json_value(Decimal("12.50")) == "12.50"
    assert selectors.json_value(dt.date(2027, 1, 1)) == "2027-01-01"
    assert selectors.json_value(dt.datetime(2027, 1, 1, 8, 30, tzinfo=dt.UTC)) == "2027-01-01T08:30:00+00:00"
    assert selectors.json_value(dt.timedelta(days=1, hours=2)) == "P1DT02H00M00S"
    assert selectors.json_value(b"\x00\xff") == "AP8="
    assert selectors.json_value({"when": dt.date(2027, 1, 1), "amount": 3}) == {"when": "2027-01-01", "amount": 3}
    assert selectors.json_value(Extent.FULL) == "full"
