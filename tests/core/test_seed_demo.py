"""The demo council: seeded through the real services, complete, reproducible and idempotent."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import validate_totp_code
from allauth.mfa.utils import decrypt
from django.core.management import CommandError, call_command

from core.audit import audit_chain_verify
from core.demo import (
    DEMO_COUNCIL_NAME,
    DEMO_PASSWORD,
    DemoRefusedError,
    demo_email,
    demo_seed,
)
from core.models import AuditEvent, Council, RuleSet, User
from core.roles import STAFF_ROLES, Role
from cpd.models import AttendanceUpload, Compliance, Provider
from discipline.models import Case, Complaint, Hearing, InterimOrder, PanelSeat, Publication
from exams.models import AccommodationRequest, ApprovalToTest, Booking
from exams.selectors import category_exam_passed
from registry.models import (
    Application,
    ApplicationDocument,
    InformationRequest,
    Institution,
    Practitioner,
    Programme,
    QualificationType,
    RegisterCategory,
    RegisterEntry,
)
from registry.selectors import public_register_search
from tests import factories

pytestmark = pytest.mark.django_db

SMALL = 14  # practitioners in the quick seeds; one test runs the real default
AppStatus = Application.Status
EntryStatus = RegisterEntry.Status


@pytest.fixture
def debug(settings: Any) -> None:
    settings.DEBUG = True


def _row_counts() -> dict[str, int]:
    models = (
        Council, RuleSet, User, AuditEvent, Authenticator, EmailAddress, QualificationType, RegisterCategory,
        Institution, Programme, Practitioner, Application, ApplicationDocument, InformationRequest, RegisterEntry,
    )  # fmt: skip
    return {model.__name__: model._default_manager.count() for model in models}


def test_small_seed_has_every_status_through_the_services(debug):
    # given an empty database
    # when the demo is seeded with a few practitioners
    result = demo_seed(practitioner_count=SMALL)

    # then every register status is there, REGISTERED the most (one more with conditions: a conduct interim order)
    assert result.created is True
    assert result.entry_counts == {
        "DECEASED": 1,
        "LAPSED": 1,
        "REGISTERED": SMALL - 7,
        "REGISTERED_WITH_CONDITIONS": 2,
        "REMOVED": 1,
        "SUSPENDED": 1,
        "VOLUNTARILY_REMOVED": 1,
    }
    assert dict(Counter(RegisterEntry.objects.values_list("status", flat=True))) == result.entry_counts
    # and every application status, refusals with their reasons
    assert result.application_counts == {
        "APPROVED": SMALL,
        "DRAFT": 3,
        "INFO_REQUESTED": 3,
        "IN_REVIEW": 3,
        "REFUSED": 3,
        "SUBMITTED": 3,
        "WITHDRAWN": 3,
    }
    assert set(Application.objects.values_list("status", flat=True)) == set(AppStatus.values)
    refused = Application.objects.filter(status=AppStatus.REFUSED)
    assert all(application.decision_reason for application in refused)
    assert (
        refused.filter(decision_reason__startswith="The application records 80 supervised practice hours").count() == 1
    )
    # and the council and its first rules are configured, with realistic values
    council = Council.objects.get()
    assert (council.name, council.currency, council.time_zone, council.languages) == (
        DEMO_COUNCIL_NAME,
        "ZAR",
        "Africa/Johannesburg",
        ["en", "es", "fr"],
    )
    rules = RuleSet.objects.get(version=1).rules
    assert str(RuleSet.objects.get().effective_date) == "2026-01-01"
    assert rules["renewal"]["annual_fee_due"] == {"month": 1, "day": 1}
    assert rules["renewal"]["late_penalty_after"] == {"month": 3, "day": 31}
    assert rules["fees"]["social-worker"]["late_penalty"] == 46500
    assert rules["fees"]["social-auxiliary-worker"]["restoration"] == 76200
    assert rules["cpd"]["points_per_cycle"] == {
        "social-worker": 20,
        "social-auxiliary-worker": 10,
        "child-and-youth-care-worker": 10,
    }
    assert {category.registration_number_prefix for category in RegisterCategory.objects.all()} == {"SW", "SAW", "CYCW"}
    assert RegisterCategory.objects.get(code="social-auxiliary-worker").supervised_practice_hours_required == 200
    # and every configuration row has its creation event
    assert AuditEvent.objects.filter(action="configuration.created", object_type__model="council").count() == 1
    assert AuditEvent.objects.filter(action="configuration.created", object_type__model="ruleset").count() == 1


def test_the_demo_has_an_exam_season_booked_through_the_services(debug):
    demo_seed(practitioner_count=SMALL)
    # the child and youth care category now requires the exam, and its waiting applicants are booked on a sitting
    category = RegisterCategory.objects.get(code="child-and-youth-care-worker")
    assert category.requires_exam
    waiting = Application.objects.filter(category=category, status__in=[AppStatus.SUBMITTED, AppStatus.IN_REVIEW])
    bookings = Booking.objects.filter(application__in=waiting)
    assert bookings.count() == waiting.count() > 0
    assert all(booking.invoice is not None and booking.invoice.total_minor == 42500 for booking in bookings)
    assert AccommodationRequest.objects.filter(status=AccommodationRequest.Status.REQUESTED).count() == 1
    assert ApprovalToTest.objects.count() == 1
    assert AuditEvent.objects.filter(action="exam_booking.booked").count() == bookings.count()
    # and none of them can be approved until they pass
    assert not category_exam_passed(user=waiting.first().applicant, category_id=category.pk)


def test_the_demo_has_a_cpd_season_credited_through_attendance_lists(debug):
    demo_seed(practitioner_count=SMALL)
    # most registrants are credited by the accredited provider's three workshops; José Núñez only by one
    statuses = Counter(Compliance.objects.values_list("status", flat=True))
    assert statuses["MET"] > 0
    assert statuses["AT_RISK"] > 0
    jose = RegisterEntry.objects.get(practitioner__user__email=demo_email("practitioner"))
    assert Compliance.objects.get(register_entry=jose).status == "AT_RISK"
    assert AttendanceUpload.objects.filter(status="IMPORTED").count() == 3
    assert Provider.objects.filter(status="APPLIED").count() == 1  # one waiting for the CPD officer


def test_the_demo_has_conduct_work_in_every_stage(debug):
    # when the demo is seeded
    demo_seed(practitioner_count=SMALL)

    # then complaints, cases, an interim order, a hearing with a panel and a published caution are there
    assert Complaint.objects.filter(status=Complaint.Status.RECEIVED).count() == 1
    assert sorted(Case.objects.values_list("status", flat=True)) == ["DECIDED", "HEARING_SCHEDULED", "INVESTIGATION"]
    order = InterimOrder.objects.get(status=InterimOrder.Status.IN_FORCE)
    assert order.register_entry.status == RegisterEntry.Status.REGISTERED_WITH_CONDITIONS
    hearing = Hearing.objects.get(status=Hearing.Status.SCHEDULED)
    assert hearing.seats.filter(declaration=PanelSeat.Declaration.PENDING).count() == 2
    notices = Publication.objects.filter(status=Publication.Status.PUBLISHED)
    assert sorted(notices.values_list("kind", flat=True)) == ["CAUTION", "INTERIM_CONDITIONS"]
    caution = notices.get(kind="CAUTION")
    assert caution.summary == "Did not keep case records up to date for six months."


def test_every_register_row_has_its_audit_events_and_history(debug):
    # when the demo is seeded
    demo_seed(practitioner_count=SMALL)

    # then each entry was registered by the registrar through an approved application
    registrar = User.objects.get(email="registrar@demo.council.example")
    for entry in RegisterEntry.objects.select_related("application"):
        assert entry.application.status == AppStatus.APPROVED
        registered = AuditEvent.objects.get(
            action="register_entry.registered", object_type__model="registerentry", object_id=str(entry.pk)
        )
        assert registered.actor == registrar
        assert entry.history.count() == (1 if entry.status == EntryStatus.REGISTERED else 2)
    # and each later change of status carries its reason; lapse and removal were the system's doing, and the
    # registrar made both conditions: one directly, one as a conduct interim order
    changes = AuditEvent.objects.filter(action="register_entry.status_changed").order_by("id")
    assert sorted((event.after["status"], event.actor_label) for event in changes) == [
        ("DECEASED", "registrar@demo.council.example"),
        ("LAPSED", "system"),
        ("REGISTERED_WITH_CONDITIONS", "registrar@demo.council.example"),
        ("REGISTERED_WITH_CONDITIONS", "registrar@demo.council.example"),
        ("REMOVED", "system"),
        ("SUSPENDED", "registrar@demo.council.example"),
        ("VOLUNTARILY_REMOVED", "registrar@demo.council.example"),
    ]
    assert all(event.reason for event in changes)
    conditions = sorted(
        RegisterEntry.objects.filter(status=EntryStatus.REGISTERED_WITH_CONDITIONS).values_list("conditions", flat=True)
    )
    assert conditions[0] == "No unsupervised night shifts pending the outcome of the case."
    assert conditions[1].startswith("Practise only under the supervision")
    # and every application, open or closed, has its audit trail from the start
    for application in Application.objects.all():
        actions = AuditEvent.objects.filter(object_type__model="application", object_id=str(application.pk))
        assert actions.order_by("id").first().action == "application.started"
    # and the chain of audit events is intact
    checked, broken = audit_chain_verify()
    assert broken is None
    assert checked == AuditEvent.objects.count()


def test_names_with_accents_are_on_the_register_and_found_without_them(debug):
    # when the demo is seeded
    demo_seed(practitioner_count=SMALL)

    # then the names are stored with their accents
    names = set(Practitioner.objects.values_list("given_names", "family_name"))
    assert {("José", "Núñez"), ("María José", "Gutiérrez"), ("Françoise", "Lefèvre"), ("Zoë", "Brontë")} <= names
    # and a search typed without accents finds José Núñez, a registered social worker
    entries, problem = public_register_search(query="jose nunez")
    assert problem is None
    assert [(entry.practitioner.full_name, entry.category.code, entry.status) for entry in entries] == [
        ("José Núñez", "social-worker", "REGISTERED")
    ]


def test_demo_accounts_can_sign_in_in_their_roles(debug):
    # when the demo is seeded
    result = demo_seed(practitioner_count=SMALL)

    # then there is one log-in per role (two for finance, as refunds need a second person, and two for the
    # hearing panel, which needs two members), plus the applicant
    # and a practitioner
    emails = [login.email for login in result.logins]
    assert emails == [
        "registrar@demo.council.example",
        "registration-officer@demo.council.example",
        "finance-officer@demo.council.example",
        "finance-manager@demo.council.example",
        "exams-officer@demo.council.example",
        "cpd-officer@demo.council.example",
        "conduct-officer@demo.council.example",
        "hearing-panel@demo.council.example",
        "hearing-panel-chair@demo.council.example",
        "council-admin@demo.council.example",
        "employer@demo.council.example",
        "cpd-provider@demo.council.example",
        "applicant@demo.council.example",
        "practitioner@demo.council.example",
    ]
    role_of = {email: set(User.objects.get(email=email).groups.values_list("name", flat=True)) for email in emails}
    assert sorted(name for names in role_of.values() for name in names) == sorted(
        [*(role.value for role in Role), Role.FINANCE_OFFICER.value, Role.HEARING_PANEL.value]
    )
    for email in emails:
        user = User.objects.get(email=email)
        assert user.check_password(DEMO_PASSWORD)
        assert EmailAddress.objects.filter(user=user, email=email, verified=True, primary=True).count() == 1
    # and staff have an authenticator whose secret the log-in block shows
    staff_emails = {login.email for login in result.logins if login.totp_secret}
    assert staff_emails == {email for email, names in role_of.items() if names & {role.value for role in STAFF_ROLES}}
    assert Authenticator.objects.filter(type=Authenticator.Type.TOTP).count() == len(STAFF_ROLES) + 2
    # and only the council administrator reaches the Django admin
    assert list(User.objects.filter(is_staff=True).values_list("email", flat=True)) == [
        "council-admin@demo.council.example"
    ]
    assert not User.objects.filter(is_superuser=True).exists()
    # and the applicant has a request for information to answer
    application = Application.objects.get(applicant__email="applicant@demo.council.example")
    assert application.status == AppStatus.INFO_REQUESTED
    assert application.applicant_name == "Hélène Gaëlle Dubois"
    assert application.information_requests.get(responded_at__isnull=True).message.startswith(
        "Please upload the SAQA evaluation certificate"
    )
    # and the practitioner log-in is José Núñez's register entry
    entry = RegisterEntry.objects.get(practitioner__user__email="practitioner@demo.council.example")
    assert (entry.practitioner.full_name, entry.status) == ("José Núñez", EntryStatus.REGISTERED)


def test_a_second_run_changes_nothing(debug):
    # given a seeded demo
    first = demo_seed(practitioner_count=SMALL)
    before = _row_counts()

    # when it is seeded again
    second = demo_seed(practitioner_count=SMALL)

    # then nothing was added and the same log-ins are reported
    assert second.created is False
    assert _row_counts() == before
    assert second.logins == first.logins
    assert second.entry_counts == first.entry_counts


def test_the_same_seed_makes_the_same_people(debug):
    # when the demo is seeded with its fixed random seed
    demo_seed(practitioner_count=SMALL)

    # then the named people come first, and the generated ones are the same as on every other run
    names = [practitioner.full_name for practitioner in Practitioner.objects.order_by("id")]
    assert names[:8] == [
        "José Núñez",
        "María José Gutiérrez",
        "Françoise Lefèvre",
        "Zoë Brontë",
        "Thandiwe Nkosi",
        "Pieter van der Merwe",
        "Lerato Mokoena",
        "Iñaki Ibáñez Ordóñez",
    ]
    assert names[8:11] == ["Elmarie Mathebula", "Jérôme Mensah", "David Radebe"]


def test_refuses_a_database_that_belongs_to_another_council(debug):
    # given a real council
    factories.council_create()
    before = _row_counts()

    # when the demo is seeded, then it refuses and changes nothing
    with pytest.raises(DemoRefusedError, match="already belongs to Council for Social Service Professions"):
        demo_seed(practitioner_count=SMALL)
    assert _row_counts() == before


def test_refuses_a_database_with_register_data(debug):
    # given categories but no council yet
    factories.categories_create()
    before = _row_counts()

    # when the demo is seeded, then it refuses and changes nothing
    with pytest.raises(DemoRefusedError, match="already holds register data"):
        demo_seed(practitioner_count=SMALL)
    assert _row_counts() == before


def test_refuses_to_seed_without_debug(settings):
    # given production-like settings
    settings.DEBUG = False
    before = _row_counts()

    # when the command runs, then it refuses and creates nothing
    with pytest.raises(CommandError, match="only when DEBUG is on"):
        call_command("seed_demo", stdout=io.StringIO())
    assert _row_counts() == before


def test_the_command_seeds_the_full_demo_and_prints_the_log_ins(debug):
    # when `manage.py seed_demo` runs with its defaults
    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    # then at least 300 practitioners are on the register, in every status, most of them registered
    output = out.getvalue()
    assert RegisterEntry.objects.count() >= 300
    assert dict(Counter(RegisterEntry.objects.values_list("status", flat=True))) == {
        "REGISTERED": 279,
        "REGISTERED_WITH_CONDITIONS": 11,  # one of them under a conduct interim order
        "SUSPENDED": 6,
        "LAPSED": 13,
        "VOLUNTARILY_REMOVED": 6,
        "DECEASED": 3,
        "REMOVED": 2,
    }
    assert set(Application.objects.values_list("status", flat=True)) == set(AppStatus.values)
    assert set(RegisterEntry.objects.values_list("category__code", flat=True)) == {
        "social-worker",
        "social-auxiliary-worker",
        "child-and-youth-care-worker",
    }
    checked, broken = audit_chain_verify()
    assert broken is None
    assert checked == AuditEvent.objects.count()
    # and the output tells a visitor what is there, where to go and how to sign in
    assert (
        "Register entries: 320 (DECEASED 3, LAPSED 13, REGISTERED 279, REGISTERED_WITH_CONDITIONS 11, REMOVED 2, "
        "SUSPENDED 6, VOLUNTARILY_REMOVED 6)"
    ) in output
    assert "http://127.0.0.1:8000" in output
    assert f"Every demo log-in has the password: {DEMO_PASSWORD}" in output
    assert "  registrar@demo.council.example " in output
    assert ".venv/bin/python manage.py demo_totp_code registrar@demo.council.example" in output
    stored = Authenticator.objects.get(user__email="registrar@demo.council.example").data["secret"]
    assert f"  {decrypt(stored)}" in output

    # when it runs again, then it changes nothing and prints the log-ins again
    before = _row_counts()
    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    assert "The demo council is already here; nothing was changed." in again.getvalue()
    assert "  registrar@demo.council.example " in again.getvalue()
    assert _row_counts() == before


# demo_totp_code -------------------------------------------------------------------------------


def _demo_staff(email: str = "registrar@demo.council.example") -> User:
    return factories.staff_user(Role.REGISTRAR, email=email)


def test_totp_code_is_one_the_authenticator_accepts(debug):
    # given a demo staff member with an authenticator
    user = _demo_staff()

    # when the code is asked for, at a fixed moment
    out = io.StringIO()
    with mock.patch("time.time", return_value=1_800_000_012.0):
        call_command("demo_totp_code", "Registrar@demo.council.example", stdout=out, stderr=io.StringIO())
        code = out.getvalue().strip()

        # then it is six digits and allauth accepts it
        assert len(code) == 6
        assert code.isdigit()
        assert validate_totp_code(user.totp_secret, code) is True


def test_totp_code_refuses_an_account_outside_the_demo(debug):
    # given a staff member of a real council
    _demo_staff(email="registrar@council.example")

    # when their code is asked for, then it is refused and nothing is printed
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"Only demo accounts \(…@demo.council.example\)"):
        call_command("demo_totp_code", "registrar@council.example", stdout=out)
    assert out.getvalue() == ""


def test_totp_code_refuses_without_debug(settings):
    # given a demo account, but DEBUG is off
    settings.DEBUG = False
    _demo_staff()

    # when the code is asked for, then it is refused
    out = io.StringIO()
    with pytest.raises(CommandError, match="only given out when DEBUG is on"):
        call_command("demo_totp_code", "registrar@demo.council.example", stdout=out)
    assert out.getvalue() == ""


def test_totp_code_refuses_a_demo_account_without_an_authenticator(debug):
    # given a demo account with no authenticator
    factories.UserFactory(email="applicant@demo.council.example")

    # when its code is asked for, then the refusal says why
    with pytest.raises(CommandError, match=r"applicant@demo\.council\.example has no authenticator"):
        call_command("demo_totp_code", "applicant@demo.council.example", stdout=io.StringIO())
