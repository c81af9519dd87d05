"""A person with rows in as many of the models that reference people as the services make, each made
the way the person or the council's staff would make it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from core.models import RuleSet, User
from core.roles import Role
from cpd import services as cpd_services
from cpd.models import Activity, ActivityType
from discipline import services as discipline_services
from discipline.models import Case, Complaint
from exams import services as exams_services
from exams.models import Booking, Exam, ExamVersion
from licensing import services as licensing_services
from licensing.models import CardPayment, FeeExemption, Invoice, Payment
from portal import services as portal_services
from registry import services as registry_services
from registry.models import Application, Practitioner, RegisterEntry
from tests import factories
from tests.cpd.conftest import CPD_RULES
from tests.discipline.conftest import DISCIPLINE_RULES
from tests.discipline.conftest import lodge as discipline_lodge
from tests.licensing.conftest import LICENSING_RULES

NATIONAL_ID = "9005175800086"
CARD_CLIENT_SECRET = "pi_person_secret_5pQz8Rk2"


@dataclass
class Person:
    user: User
    practitioner: Practitioner
    entry: RegisterEntry
    application: Application
    invoice: Invoice
    payment: Payment
    card_payment: CardPayment
    exemption: FeeExemption
    activity: Activity
    booking: Booking
    complaint: Complaint
    case: Case
    totp_secret: str
    registrar: User


@pytest.fixture
def rules(council: Any) -> RuleSet:
    """Licensing, CPD, exam and conduct rules in one rule version."""
    rule_set = RuleSet.objects.get(version=1)
    rules = {**LICENSING_RULES, **{key: CPD_RULES[key] for key in ("cpd", "cpd_audit")}, **DISCIPLINE_RULES}
    rules["fees"] = {code: {**fees, "exam": 150000} for code, fees in LICENSING_RULES["fees"].items()}
    rules["exams"] = {"attempt_limit": 3, "retake_wait_days": 90}
    rule_set.rules = rules
    rule_set.save(update_fields=["rules"])
    return rule_set


def person_create(categories: dict[str, Any], *, email: str = "thandeka@example.org") -> Person:
    """Application (documents, an information request and its answer) approved onto the register, an
    employment and a qualification from it, an MFA authenticator, a renewal invoice paid in cash and a
    card attempt, a fee exemption, a renewal declaration, a CPD activity with evidence, an exam booking
    with an accommodation request, a complaint triaged into a case, an employer's roster entry, and
    the notifications all of that sent."""
    registrar = factories.staff_user(Role.REGISTRAR)
    finance = factories.staff_user(Role.FINANCE_OFFICER)
    user = factories.UserFactory(email=email, name="Thandeka Mthembu")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    application = factories.application_in_review(
        applicant=user,
        category=categories["social-worker"],
        registrar=registrar,
        given_names="Thandeka",
        family_name="Mthembu",
        national_id=NATIONAL_ID,
        address="12 Jacaranda Street, Pretoria",
        employer_name="Tshwane Child Welfare",
        employment_sector="NON_GOVERNMENTAL",
        employment_is_paid=True,
        job_title="Social worker",
    )
    registry_services.application_request_information(
        actor=registrar, application=application, message="Send your transcript"
    )
    registry_services.application_respond(actor=user, application=application, response="Attached")
    registry_services.application_decide(actor=registrar, application=application, approve=True, reason="")
    entry = RegisterEntry.objects.select_related("practitioner").get(application=application)
    practitioner = entry.practitioner

    period = licensing_services.renewal_period_open(actor=None, year=2027)
    licensing_services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    invoice = Invoice.objects.get(register_entry=entry, period=period)
    payment = licensing_services.payment_record(
        actor=finance,
        invoice=invoice,
        method=Payment.Method.CASH,
        reference=f"CASH-{practitioner.pk}",
        amount_minor=10000,
        currency="ZAR",
        received_date=dt.date(2026, 11, 3),
    )
    card_payment = CardPayment.objects.create(
        invoice=invoice,
        intent_id=f"pi_person_{practitioner.pk}",
        idempotency_key=f"card-person-{practitioner.pk}",
        client_secret=CARD_CLIENT_SECRET,
        amount_minor=42000,
        currency="ZAR",
        started_by=user,
    )
    exemption = licensing_services.fee_exemption_grant(
        actor=finance,
        practitioner=practitioner,
        code="over-65",
        discount_percent=50,
        reason="Over 65",
        starts_date=dt.date(2028, 1, 1),
    )
    licensing_services.renewal_declare(actor=user, entry=entry, period=period, is_fit_to_practise=True)

    course, _created = ActivityType.objects.get_or_create(code="course", defaults={"name": "Course"})
    activity = cpd_services.activity_log(
        actor=user,
        activity_type=course,
        title="Trauma-informed practice",
        provider_name="University of Pretoria",
        activity_date=timezone.localdate() - dt.timedelta(days=5),
        points=Decimal(4),
        evidence=factories.pdf_upload("certificate.pdf"),
    )

    booking = _exam_booking(user, registrar)

    complaint = discipline_lodge(entry, address="198.51.100.20")
    officer = factories.staff_user(Role.CONDUCT_OFFICER)
    case = discipline_services.complaint_triage(
        actor=officer, complaint=complaint, open_case=True, reason="Serious", register_entry=entry
    )
    assert case is not None

    employer_user = factories.UserFactory()
    organisation = portal_services.organisation_create(actor=None, name=f"Employer of {practitioner.pk}")
    portal_services.member_add(actor=None, organisation=organisation, user=employer_user)
    portal_services.roster_upload(
        actor=employer_user,
        organisation=organisation,
        name="roster.csv",
        data=f"registration_number\n{entry.registration_number}\n".encode(),
    )
    return Person(
        user=user,
        practitioner=Practitioner.objects.get(pk=practitioner.pk),
        entry=entry,
        application=Application.objects.get(pk=application.pk),
        invoice=invoice,
        payment=payment,
        card_payment=card_payment,
        exemption=exemption,
        activity=activity,
        booking=booking,
        complaint=Complaint.objects.get(pk=complaint.pk),
        case=case,
        totp_secret=secret,
        registrar=registrar,
    )


def _exam_booking(user: User, registrar: User) -> Booking:
    category = factories.categories_create()["social-worker"]
    exam, _created = Exam.objects.get_or_create(
        code="sw", defaults={"name": "Social work exam", "category": category, "level": "Entry"}
    )
    version, _created = ExamVersion.objects.get_or_create(
        exam=exam, code="A", defaults={"max_raw_score": 150, "pass_raw_score": 98}
    )
    officer = factories.staff_user(Role.EXAMS_OFFICER)
    now = timezone.now()
    sitting = exams_services.sitting_create(
        actor=officer,
        version=version,
        code=f"sitting-{user.pk}",
        starts_at=now + dt.timedelta(days=30),
        is_online=True,
        venue="",
        capacity=10,
        booking_opens_at=now - dt.timedelta(days=1),
        booking_closes_at=now + dt.timedelta(days=20),
    )
    exams_services.approval_grant(
        actor=registrar, candidate=user, exam=exam, reason="Overseas degree", expires_date=dt.date(2030, 1, 1)
    )
    booking = exams_services.booking_create(actor=user, sitting=sitting)
    exams_services.accommodation_request(actor=user, booking=booking, details="Extra time")
    return booking


@pytest.fixture
def person(categories: Any, rules: RuleSet) -> Person:
    return person_create(categories)
