"""The permission matrix: every URL in the URLconf, against every kind of client.

The expected access below is written out independently of core.access, so the test checks the
declared rules rather than repeating them. A URL with no declared rule, or missing from this
table, fails the test: adding a URL means saying who may use it, here and in the view.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from core.access import ACCESS_REFUSED_HEADER, rule_for
from core.models import AuditEvent, Notification, Region, RuleSet
from core.roles import Role
from cpd import services as cpd_services
from cpd.models import AccreditedActivity, ActivityType, AttendanceUpload, AuditDraw, Exemption, Provider
from cpd.models import Activity as CpdActivity
from cpd.models import Audit as CpdAudit
from discipline import services as discipline_services
from discipline.models import (
    Appeal,
    Case,
    CaseDocument,
    Complaint,
    Decision,
    Hearing,
    InterimOrder,
    PanelSeat,
    Publication,
    Sanction,
)
from exams import services as exams_services
from exams.models import (
    AccommodationRequest,
    ApprovalToTest,
    Booking,
    ConflictOfInterest,
    Exam,
    ExamVersion,
    Result,
    ResultImport,
    Sitting,
)
from legacy.models import DuplicatePair, LegacyImport
from legacy.services import legacy_import_upload
from licensing import services as licensing_services
from licensing.models import (
    CardPayment,
    FeeExemption,
    FinanceAdjustment,
    Invoice,
    Licence,
    Payment,
    PaymentAllocation,
    RenewalDeclaration,
    RenewalExtension,
    RenewalReminder,
    RestorationApplication,
    StripeEvent,
)
from portal import services as portal_services
from portal.models import ApiKey, EmployerOrganisation, RosterEntry, RosterUpload, WebhookDelivery
from registry.models import (
    Application,
    ApplicationDocument,
    InformationRequest,
    Practitioner,
    RegisterCategory,
    RegisterEntry,
)
from registry.services import application_decide, register_entry_change_status
from retention import services as retention_services
from retention.models import RetentionFlag
from tests import factories
from tests.conftest import mfa_login
from tests.cpd.conftest import CPD_RULES
from tests.discipline.conftest import lodge as discipline_lodge
from tests.discipline.conftest import to_hearing as discipline_to_hearing
from tests.licensing.conftest import LICENSING_RULES
from workforce.models import ChildPopulation

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
PRACTITIONER = "practitioner"
OWNER = "owner"  # the practitioner whose application the URL names
EMPLOYER = Role.EMPLOYER_USER.value
PROVIDER = Role.CPD_PROVIDER_USER.value
STAFF = {role.value for role in Role if role not in (Role.EMPLOYER_USER, Role.CPD_PROVIDER_USER)}
CLIENTS = [ANONYMOUS, PRACTITIONER, OWNER, EMPLOYER, PROVIDER, *sorted(STAFF)]
SIGNED_IN = set(CLIENTS) - {ANONYMOUS}
EVERYONE = set(CLIENTS)
REVIEWERS = {Role.REGISTRATION_OFFICER.value, Role.REGISTRAR.value}
FINANCE = {Role.FINANCE_OFFICER.value}
FINANCE_APPROVERS = {Role.FINANCE_OFFICER.value}
CONDUCT_VIEWERS = {Role.CONDUCT_OFFICER.value, Role.REGISTRAR.value}
# Applicant pages are open to every signed-in user; someone else's application id is a 404 from the selector.
ALL_APPLICANTS = SIGNED_IN

# Who may pass each URL's gate, by URL name pattern (first match wins).
EXPECTED: list[tuple[str, set[str]]] = [
    # The load balancer's health report names no host and no data.
    ("health", EVERYONE),
    # Open at the gate (a scraper has no account); the view serves only COUNCIL_METRICS_TOKEN's holder.
    ("metrics", EVERYONE),
    ("portal:*", EVERYONE),
    # The API's gate is open; DRF then asks for an API key where an operation needs one (tests/portal).
    ("api:*", EVERYONE),
    # Employer users pass the gate; each sees only their own organisation's data (tests/portal).
    ("employer:*", {EMPLOYER}),
    ("verification_staff:statistics", {Role.REGISTRAR.value, Role.COUNCIL_ADMIN.value}),
    ("verification_staff:*", {Role.REGISTRAR.value}),
    ("well-known-verification-keys", EVERYONE),
    # Aggregate tables only, every cell under 10 suppressed (tests/workforce).
    ("open_data:*", EVERYONE),
    ("workforce:*", {Role.REGISTRAR.value, Role.COUNCIL_ADMIN.value}),
    # Merging two people's records is the registrar's; setting up from the old register, the admin's too.
    ("legacy:duplicates", {Role.REGISTRAR.value}),
    ("legacy:pair", {Role.REGISTRAR.value}),
    ("legacy:merge", {Role.REGISTRAR.value}),
    ("legacy:dismiss", {Role.REGISTRAR.value}),
    ("legacy:*", {Role.REGISTRAR.value, Role.COUNCIL_ADMIN.value}),
    # Each signed-in person downloads their own data; the URL names nobody (tests/privacy).
    ("privacy:*", SIGNED_IN),
    ("privacy_staff:*", {Role.REGISTRAR.value, Role.COUNCIL_ADMIN.value}),
    ("retention:*", {Role.REGISTRAR.value, Role.COUNCIL_ADMIN.value}),
    ("registry:*", SIGNED_IN),
    # A practitioner's own choices for the public register; the view loads only the signed-in person's record.
    ("practitioner:*", SIGNED_IN),
    # Stripe's webhook is open to anyone; only a body signed with the webhook secret is acted on.
    ("licensing:stripe-webhook", EVERYONE),
    ("licensing:*", SIGNED_IN),
    ("exams:*", SIGNED_IN),
    ("exams_staff:approvals", {Role.REGISTRAR.value}),
    ("exams_staff:pass-rates*", {Role.REGISTRAR.value, Role.EXAMS_OFFICER.value}),
    ("exams_staff:*", {Role.EXAMS_OFFICER.value}),
    ("cpd:*", SIGNED_IN),
    ("cpd_provider:*", {PROVIDER}),
    ("cpd_staff:*", {Role.CPD_OFFICER.value}),
    # Anyone may complain and follow their complaint; the link's secret token is the key.
    ("complaints:*", EVERYONE),
    ("conduct:interim-order-*", {Role.REGISTRAR.value}),
    ("conduct:dashboard", CONDUCT_VIEWERS),
    ("conduct:cases", CONDUCT_VIEWERS),
    ("conduct:complaint", CONDUCT_VIEWERS),
    ("conduct:case", CONDUCT_VIEWERS),
    # The gate lets case viewers ask; the view opens a document only to the case team or the panel.
    ("conduct:document", CONDUCT_VIEWERS),
    ("conduct:*", {Role.CONDUCT_OFFICER.value}),
    # Panel members pass the gate; each sees only the hearings they sit on (tests/discipline).
    ("panel:*", {Role.HEARING_PANEL.value}),
    ("finance:approval-decide", FINANCE_APPROVERS),
    ("finance:*", FINANCE),
    ("renewals:restoration-decide", {Role.REGISTRAR.value}),
    ("renewals:extension-grant", {Role.REGISTRAR.value}),
    ("renewals:*", {*REVIEWERS, Role.CONDUCT_OFFICER.value}),
    ("staff:dashboard", STAFF),
    ("staff:application-assign", {Role.REGISTRAR.value}),
    ("staff:application-decide", {Role.REGISTRAR.value}),
    ("staff:register-status-change", {Role.REGISTRAR.value}),
    ("staff:register-record", {*REVIEWERS, Role.CONDUCT_OFFICER.value}),
    ("staff:application-*", REVIEWERS),
    ("admin:*", {Role.COUNCIL_ADMIN.value}),
    ("set_language", EVERYONE),
    ("account_email", SIGNED_IN),
    ("account_change_password", SIGNED_IN),
    ("account_set_password", SIGNED_IN),
    ("account_reauthenticate", SIGNED_IN),
    ("account_*", EVERYONE),
    ("mfa_authenticate", EVERYONE),
    ("mfa_*", SIGNED_IN),
]


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    kwarg_names: tuple[str, ...]


def _walk(patterns: list[Any], namespaces: tuple[str, ...] = (), prefix: str = "") -> Iterator[Route]:
    for item in patterns:
        if isinstance(item, URLResolver):
            extra = (item.namespace,) if item.namespace else ()
            yield from _walk(item.url_patterns, namespaces + extra, prefix + str(item.pattern))
        elif isinstance(item, URLPattern):
            pattern = prefix + str(item.pattern)
            name = ":".join((*namespaces, item.name or f"<unnamed {pattern}>"))
            yield Route(name, pattern, tuple(item.pattern.regex.groupindex))


ROUTES = sorted(_walk(get_resolver().url_patterns), key=lambda route: route.name)


def _expected(name: str) -> set[str] | None:
    for pattern, allowed in EXPECTED:
        if fnmatch.fnmatchcase(name, pattern):
            return allowed
    return None


@pytest.fixture
def world(categories: Any) -> dict[str, Any]:
    """An application in review, an approved entry, and a signed-in client for every kind of user."""
    registrar = factories.staff_user(Role.REGISTRAR)
    owner = factories.UserFactory()
    application = factories.application_in_review(
        applicant=owner, category=categories["social-worker"], registrar=registrar
    )
    approved_owner = factories.UserFactory()
    approved = factories.application_in_review(
        applicant=approved_owner, category=categories["social-worker"], registrar=registrar
    )
    application_decide(actor=registrar, application=approved, approve=True, reason="")
    entry = RegisterEntry.objects.get(application=approved)
    Region.objects.create(code="matrix-region", name="Matrix region")  # so a child population file would import
    clients: dict[str, Client] = {ANONYMOUS: Client()}
    for label in CLIENTS[1:]:
        if label == OWNER:
            user = owner
        elif label == PRACTITIONER:
            user = factories.UserFactory()
        elif label in STAFF:
            user = factories.staff_user(Role(label), is_staff=label == Role.COUNCIL_ADMIN.value)
        else:
            user = factories.UserFactory()
            user.groups.add(Group.objects.get(name=label))
        clients[label] = mfa_login(Client(), user)
    document = ApplicationDocument.objects.filter(application=application).first()
    assert document is not None
    return {
        "clients": clients,
        "application": application,
        "document": document,
        "entry": entry,
        **_licensing_world(entry, registrar),
        **_exams_world(registrar),
        **_cpd_world(entry),
        **_discipline_world(registrar),
        **_employer_world(entry),
        **_legacy_world(registrar, entry),
        **_retention_world(categories["social-worker"]),
    }


def _legacy_world(registrar: Any, entry: RegisterEntry) -> dict[str, Any]:
    """A legacy register file waiting for its columns, and a possible duplicate of the approved entry's person."""
    upload = SimpleUploadedFile("old.csv", b"Reg No,Surname\nSW00001,Dlamini\n")
    legacy_import = legacy_import_upload(actor=registrar, uploaded=upload)
    twin = Practitioner.objects.create(
        given_names=entry.practitioner.given_names,
        family_name=entry.practitioner.family_name,
        date_of_birth=entry.practitioner.date_of_birth,
    )
    pair = DuplicatePair.objects.create(
        first=entry.practitioner, second=twin, same_birth_date=True, similarity=Decimal("1.000")
    )
    return {"legacy_import": legacy_import, "pair": pair}


def _licensing_world(entry: RegisterEntry, registrar: Any) -> dict[str, Any]:
    """A renewal invoice part-paid by bank transfer with a refund awaiting approval, a card attempt, a licence,
    and a lapsed registrant's restoration application, none of them belonging to any client in the matrix."""
    RuleSet.objects.filter(version=1).update(rules=LICENSING_RULES)
    period = licensing_services.renewal_period_open(actor=None, year=2027)
    licensing_services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    invoice = Invoice.objects.get(register_entry=entry, period=period)
    finance = factories.staff_user(Role.FINANCE_OFFICER)
    payment = licensing_services.payment_record(
        actor=finance,
        invoice=invoice,
        method=Payment.Method.CASH,
        reference="CASH-MATRIX-1",
        amount_minor=10000,
        currency="ZAR",
        received_date=dt.date(2026, 11, 3),
    )
    adjustment = licensing_services.refund_request(
        actor=finance, payment=payment, amount_minor=1000, reason="Paid twice"
    )
    card = CardPayment.objects.create(
        invoice=invoice,
        intent_id="pi_matrix",
        idempotency_key="card-matrix",
        amount_minor=42000,
        currency="ZAR",
        started_by=entry.practitioner.user,
    )
    licence = Licence.objects.create(
        register_entry=entry,
        period=period,
        number="L-MATRIX",
        valid_from_date=period.valid_from_date,
        valid_to_date=period.valid_to_date,
        issued_at=timezone.now(),
    )
    lapsed = _registered_entry(registrar)
    licensing_services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    register_entry_change_status(actor=None, entry=lapsed, status=RegisterEntry.Status.LAPSED, reason="Not renewed")
    restoration = licensing_services.restoration_apply(
        actor=lapsed.practitioner.user, entry=lapsed, is_fit_to_practise=True, statement="I forgot"
    )
    return {
        "year": period.year,
        "invoice": invoice,
        "payment": payment,
        "adjustment": adjustment,
        "card_payment": card,
        "licence": licence,
        "restoration": restoration,
        "practitioner": entry.practitioner,
    }


def _exams_world(registrar: Any) -> dict[str, Any]:
    """A sitting with a booking (with an accommodation request), a published result, and a previewed file, all
    belonging to people outside the matrix's clients."""
    rule_set = RuleSet.objects.get(version=1)
    rules = dict(rule_set.rules)
    rules["fees"] = {code: {**fees, "exam": 150000} for code, fees in rules["fees"].items()}
    rules["exams"] = {"attempt_limit": 3, "retake_wait_days": 90}
    rule_set.rules = rules
    rule_set.save(update_fields=["rules"])
    exam = Exam.objects.create(
        code="sw", name="Social work exam", category=RegisterCategory.objects.get(code="social-worker"), level="Entry"
    )
    version = ExamVersion.objects.create(exam=exam, code="A", max_raw_score=150, pass_raw_score=98)
    officer = factories.staff_user(Role.EXAMS_OFFICER)
    now = timezone.now()
    sitting = exams_services.sitting_create(
        actor=officer,
        version=version,
        code="matrix-sitting",
        starts_at=now + dt.timedelta(days=30),
        is_online=True,
        venue="",
        capacity=10,
        booking_opens_at=now - dt.timedelta(days=1),
        booking_closes_at=now + dt.timedelta(days=20),
    )
    candidate = factories.UserFactory()
    exams_services.approval_grant(
        actor=registrar, candidate=candidate, exam=exam, reason="Overseas", expires_date=dt.date(2030, 1, 1)
    )
    booking = exams_services.booking_create(actor=candidate, sitting=sitting)
    accommodation = exams_services.accommodation_request(actor=candidate, booking=booking, details="Extra time")
    published = exams_services.results_import_preview(
        actor=officer,
        sitting=sitting,
        uploaded=SimpleUploadedFile(
            "r.csv", f"candidate_number,sitting_code,raw_score\n{booking.candidate_number},matrix-sitting,90\n".encode()
        ),
    )
    exams_services.results_import_commit(actor=officer, result_import=published)
    exams_services.results_publish(actor=officer, sitting=sitting)
    previewed = exams_services.results_import_preview(
        actor=officer,
        sitting=sitting,
        uploaded=SimpleUploadedFile("r2.csv", b"candidate_number,sitting_code,raw_score\n"),
    )
    return {
        "sitting": sitting,
        "booking": booking,
        "accommodation": accommodation,
        "result_import": previewed,
        "result": Result.objects.get(booking=booking),
    }


def _cpd_world(entry: RegisterEntry) -> dict[str, Any]:
    """A provider (not the matrix's provider client) with an accredited activity that credited the entry's
    practitioner, a logged activity with evidence, and an audit of the entry: none of them any client's."""
    rule_set = RuleSet.objects.get(version=1)
    rule_set.rules = {**rule_set.rules, **{key: CPD_RULES[key] for key in ("cpd", "cpd_audit")}}
    rule_set.save(update_fields=["rules"])
    course = ActivityType.objects.create(code="course", name="Course")
    officer = factories.staff_user(Role.CPD_OFFICER)
    provider_user = factories.UserFactory()
    provider_user.groups.add(Group.objects.get(name=Role.CPD_PROVIDER_USER.value))
    provider = cpd_services.provider_apply(
        actor=provider_user, name="Other provider", contact_email="p@example.org", description=""
    )
    cpd_services.provider_decide(actor=officer, provider=provider, approve=True, reason="")
    accredited = cpd_services.accredited_activity_submit(
        actor=provider_user,
        provider=provider,
        title="Ethics in practice",
        activity_type=course,
        held_on=timezone.localdate() - dt.timedelta(days=3),
        proposed_points=Decimal(3),
    )
    accredited = cpd_services.accredited_activity_decide(
        actor=officer, activity=accredited, approve=True, points=None, reason=""
    )
    upload = cpd_services.attendance_upload(
        actor=provider_user,
        activity=accredited,
        uploaded=SimpleUploadedFile("a.csv", f"registration_number\n{entry.registration_number}\n".encode()),
    )
    logged = cpd_services.activity_log(
        actor=entry.practitioner.user,
        activity_type=course,
        title="Reading group",
        provider_name="",
        activity_date=timezone.localdate() - dt.timedelta(days=2),
        points=Decimal(2),
        evidence=factories.pdf_upload("certificate.pdf"),
    )
    draw = cpd_services.audit_draw(actor=officer, cycle_start_year=timezone.localdate().year, seed="matrix")
    audit = CpdAudit.objects.create(
        draw=draw, register_entry=entry, due_date=timezone.localdate() + dt.timedelta(days=30)
    )
    return {
        "provider": provider,
        "activity": logged,
        "accredited": accredited,
        "upload": upload,
        "draw": draw,
        "audit": audit,
    }


def _discipline_world(registrar: Any) -> dict[str, Any]:
    """A complaint awaiting triage, and a charged case (from another complaint, with its attachment) under an
    interim suspension, with a hearing whose panel is none of the matrix's clients."""
    entry = _registered_entry(registrar)
    officer = factories.staff_user(Role.CONDUCT_OFFICER)
    panel = [factories.staff_user(Role.HEARING_PANEL) for _ in range(2)]
    waiting = discipline_lodge(entry, address="198.51.100.1")
    case = discipline_services.complaint_triage(
        actor=officer,
        complaint=discipline_lodge(entry, address="198.51.100.2"),
        open_case=True,
        reason="Serious",
        register_entry=entry,
    )
    assert case is not None
    order = discipline_services.interim_order_make(actor=registrar, case=case, kind="SUSPENSION", reason="Risk")
    hearing = discipline_to_hearing(case, officer, panel)
    return {
        "complaint": waiting,
        "attachment": waiting.attachments.get(),
        "case": case,
        "case_document": case.documents.get(),
        "order": order,
        "hearing": hearing,
        "token": "not-a-real-token",
    }


def _employer_world(entry: RegisterEntry) -> dict[str, Any]:
    """An organisation none of the matrix's clients acts for, with a roster, an upload, a key and a webhook
    delivery."""
    user = factories.UserFactory()
    organisation = portal_services.organisation_create(actor=None, name="Other employer")
    portal_services.member_add(actor=None, organisation=organisation, user=user)
    upload = portal_services.roster_upload(
        actor=user,
        organisation=organisation,
        name="roster.csv",
        data=f"registration_number\n{entry.registration_number}\n".encode(),
    )
    key, _raw = portal_services.api_key_issue(actor=user, organisation=organisation, name="HR")
    portal_services.alert_settings_save(
        actor=user, organisation=organisation, frequency="DAILY", webhook_url="http://127.0.0.1:9/hook"
    )
    delivery = WebhookDelivery.objects.create(
        organisation=organisation, url="http://127.0.0.1:9/hook", body="{}", status=WebhookDelivery.Status.FAILED
    )
    return {
        "roster_upload": upload,
        "roster": RosterEntry.objects.get(organisation=organisation),
        "key": key,
        "delivery": delivery,
        "reference": "VS-0000-0000-0000",
    }


def _retention_world(category: RegisterCategory) -> dict[str, Any]:
    """A draft left for years, flagged by the sweep for review: a decision for none of the matrix's clients
    but the registrar and the council administrator."""
    draft = factories.draft_application(applicant=factories.UserFactory(), category=category)
    Application.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - dt.timedelta(days=3000))
    retention_services.retention_sweep()
    return {"retention_flag": RetentionFlag.objects.get(object_id=draft.pk, status=RetentionFlag.Status.OPEN)}


def _registered_entry(registrar: Any) -> RegisterEntry:
    application = factories.application_in_review(
        applicant=factories.UserFactory(),
        category=RegisterCategory.objects.get(code="social-worker"),
        registrar=registrar,
    )
    application_decide(actor=registrar, application=application, approve=True, reason="")
    return RegisterEntry.objects.select_related("practitioner__user").get(application=application)


def _concrete_path(route: Route, kwargs: dict[str, Any]) -> str:
    """A real path for a route: converters and named groups filled in, unnamed groups given "1"."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda found: str(kwargs[found.group(1)]), route.pattern)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda found: str(kwargs[found.group(1)]), path)
    path = re.sub(r"\([^)]*\)", "1", path)
    return "/" + path.replace("^", "").replace("$", "")


def _pk(world: dict[str, Any], name: str) -> int:
    """The sample object's id; 1 where a test's world has none (the gate refuses before the view looks)."""
    return world[name].pk if name in world else 1


def _sample_kwargs(route: Route, world: dict[str, Any]) -> dict[str, Any]:
    samples: dict[str, Any] = {
        "application_id": world["application"].pk,
        "document_id": world["document"].pk,
        "entry_id": world["entry"].pk,
        "registration_number": world["entry"].registration_number,
        "step": "personal",
        "key": "not-a-real-key",
        "uidb36": "1",
        "app_label": "registry",
        "object_id": str(world["application"].pk),
        "year": world.get("year", 2027),
        "invoice_id": _pk(world, "invoice"),
        "payment_id": _pk(world, "payment"),
        "adjustment_id": _pk(world, "adjustment"),
        "card_payment_id": _pk(world, "card_payment"),
        "licence_id": _pk(world, "licence"),
        "restoration_id": _pk(world, "restoration"),
        "practitioner_id": _pk(world, "practitioner"),
        "sitting_id": _pk(world, "sitting"),
        "booking_id": _pk(world, "booking"),
        "import_id": _pk(world, "result_import"),
        "result_id": _pk(world, "result"),
        "request_id": _pk(world, "accommodation"),
        "provider_id": _pk(world, "provider"),
        "activity_id": _pk(world, "activity"),
        "upload_id": _pk(world, "upload"),
        "draw_id": _pk(world, "draw"),
        "audit_id": _pk(world, "audit"),
        "complaint_id": _pk(world, "complaint"),
        "attachment_id": _pk(world, "attachment"),
        "case_id": _pk(world, "case"),
        "order_id": _pk(world, "order"),
        "hearing_id": _pk(world, "hearing"),
        "appeal_id": 1,
        "roster_upload_id": _pk(world, "roster_upload"),
        "roster_id": _pk(world, "roster"),
        "key_id": _pk(world, "key"),
        "delivery_id": _pk(world, "delivery"),
        "reference": world.get("reference", "VS-X"),
        "token": world.get("token", "x"),
        "content_type_id": "1",
        "url": "nothing",
        "legacy_import_id": _pk(world, "legacy_import"),
        "pair_id": _pk(world, "pair"),
        "figure": "indicator",
        "file_format": "csv",
        "record_type": "draft-application",
    }
    return {name: samples[name] for name in route.kwarg_names}


def _passed_gate(response: Any) -> bool:
    """True when the access rule let the request through to the view (which may still refuse it)."""
    refused = ACCESS_REFUSED_HEADER in response
    if refused:
        # A refusal gives nothing away: a 403 page, or a redirect to sign in / set up MFA.
        assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.FOUND)
        if response.status_code == HTTPStatus.FOUND:
            location = response["Location"]
            assert location.startswith((reverse("account_login"), reverse("mfa_activate_totp"))), location
    return not refused


def _state() -> tuple[Any, ...]:
    return (
        AuditEvent.objects.count(),
        tuple(Invoice.objects.order_by("pk").values_list("status", "total_minor", "paid_minor")),
        tuple(Payment.objects.order_by("pk").values_list("amount_minor", "refunded_minor")),
        tuple(FinanceAdjustment.objects.order_by("pk").values_list("status")),
        tuple(RestorationApplication.objects.order_by("pk").values_list("status")),
        tuple(CardPayment.objects.order_by("pk").values_list("status")),
        PaymentAllocation.objects.count(),
        FeeExemption.objects.count(),
        RenewalExtension.objects.count(),
        RenewalDeclaration.objects.count(),
        RenewalReminder.objects.count(),
        StripeEvent.objects.count(),
        Licence.objects.count(),
        Notification.objects.count(),
        tuple(Application.objects.order_by("pk").values_list("status", "assigned_to", "recommendation")),
        tuple(RegisterEntry.objects.order_by("pk").values_list("status", "conditions")),
        tuple(
            Practitioner.objects.order_by("pk").values_list(
                "work_town", "consents_to_publish_previous_names", "consents_to_publish_work_town"
            )
        ),
        InformationRequest.objects.count(),
        ApplicationDocument.objects.count(),
        tuple(Sitting.objects.order_by("pk").values_list("code", "seats_booked", "results_published_at")),
        tuple(Booking.objects.order_by("pk").values_list("status", "invoice")),
        tuple(Result.objects.order_by("pk").values_list("version", "status", "raw_score")),
        tuple(ResultImport.objects.order_by("pk").values_list("status")),
        tuple(AccommodationRequest.objects.order_by("pk").values_list("status")),
        ConflictOfInterest.objects.count(),
        ApprovalToTest.objects.count(),
        tuple(Provider.objects.order_by("pk").values_list("status")),
        tuple(AccreditedActivity.objects.order_by("pk").values_list("status", "points")),
        CpdActivity.objects.count(),
        AttendanceUpload.objects.count(),
        Exemption.objects.count(),
        AuditDraw.objects.count(),
        tuple(CpdAudit.objects.order_by("pk").values_list("status", "due_date")),
        tuple(Complaint.objects.order_by("pk").values_list("status", "triage_reason")),
        tuple(Case.objects.order_by("pk").values_list("status", "officer", "charges", "outcome")),
        CaseDocument.objects.count(),
        tuple(InterimOrder.objects.order_by("pk").values_list("status")),
        tuple(Hearing.objects.order_by("pk").values_list("status")),
        tuple(PanelSeat.objects.order_by("pk").values_list("declaration")),
        Decision.objects.count(),
        Sanction.objects.count(),
        Appeal.objects.count(),
        tuple(Publication.objects.order_by("pk").values_list("status")),
        RosterEntry.objects.count(),
        RosterUpload.objects.count(),
        tuple(ApiKey.objects.order_by("pk").values_list("revoked_at")),
        tuple(
            EmployerOrganisation.objects.order_by("pk").values_list("alert_frequency", "webhook_url", "webhook_secret")
        ),
        WebhookDelivery.objects.count(),
        tuple(ChildPopulation.objects.order_by("pk").values_list("region", "year", "children")),
        tuple(LegacyImport.objects.order_by("pk").values_list("status", "mapping")),
        tuple(DuplicatePair.objects.order_by("pk").values_list("status", "first", "second")),
        tuple(Practitioner.objects.order_by("pk").values_list("merged_into", "family_name")),
        tuple(RetentionFlag.objects.order_by("pk").values_list("status", "keep_until_date")),
    )


def test_every_url_declares_a_rule_and_an_expected_audience() -> None:
    undeclared = []
    unexpected = []
    for route in ROUTES:
        kwargs = {name: "registry" if name == "app_label" else "1" for name in route.kwarg_names}
        match = resolve(_concrete_path(route, kwargs))
        if rule_for(match) is None:
            undeclared.append(route.name)
        if _expected(route.name) is None:
            unexpected.append(route.name)
    assert undeclared == []
    assert unexpected == []


def test_the_matrix_walks_every_kind_of_route() -> None:
    names = {route.name for route in ROUTES}
    assert len(ROUTES) > 100
    assert {"portal:register-search", "registry:application-check", "staff:application-decide", "admin:index"} <= names


@pytest.mark.parametrize("part", ["admin", "site"])
def test_every_route_admits_exactly_its_audience(part: str, world: dict[str, Any]) -> None:
    # given every route and a signed-in client of every kind (one world per half, so the walk stays fast)
    mismatches: dict[str, dict[str, set[str]]] = {}
    for route in ROUTES:
        if route.name.startswith("admin:") != (part == "admin"):
            continue
        allowed = _expected(route.name)
        assert allowed is not None, f"{route.name} has no expected audience"
        url = _concrete_path(route, _sample_kwargs(route, world))
        # when each client asks for it
        admitted = {label for label, client in world["clients"].items() if _passed_gate(client.get(url))}
        # then exactly the expected audience gets past the gate
        if admitted != allowed:
            mismatches[route.name] = {"admitted but not expected": admitted - allowed, "refused": allowed - admitted}
    assert mismatches == {}


def test_metrics_give_nothing_to_any_client_without_the_token(world: dict[str, Any], settings: Any) -> None:
    # given a metrics token, and every kind of client, signed in or not, none of them holding it
    settings.COUNCIL_METRICS_TOKEN = "the-scrapers-token-0123456789"
    for label, client in world["clients"].items():
        # when each asks for the metrics, bare or with a wrong token
        for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer not-the-token"}):
            response = client.get(reverse("metrics"), **headers)
            # then the URL does not exist for them
            assert (response.status_code, response.content) == (HTTPStatus.NOT_FOUND, b""), label
    # and only the token opens it
    response = Client().get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer the-scrapers-token-0123456789")
    assert response.status_code == HTTPStatus.OK


class _RereadableFile:
    """An upload for client.post that each client reads whole (a file object would be empty after the first)."""

    def __init__(self, name: str, content: bytes) -> None:
        self.name = name
        self.content = content

    def read(self, *_args: Any) -> bytes:
        return self.content


MUTATING = [
    (
        "workforce:child-population",
        {
            "file": _RereadableFile("children.csv", b"region,year,children\nmatrix-region,2026,1000\n"),
            "reason": "Mid-year estimates",
        },
    ),
    ("legacy:imports", {"file": _RereadableFile("old.csv", b"Reg No,Surname\nSW00002,Nkosi\n")}),
    ("legacy:columns", {"date_order": "DMY", "registration_number": "0", "family_name": "1"}),
    ("legacy:commit", {}),
    ("legacy:discard", {}),
    ("legacy:merge", {"keep": "1", "reason": "Same ID"}),
    ("legacy:dismiss", {"reason": "Different people"}),
    ("privacy:download", {}),
    ("privacy_staff:download", {"reason": "Letter of 3 May 2027"}),
    ("staff:application-assign", {"officer": "1"}),
    ("staff:application-request-information", {"message": "Send your transcript"}),
    ("staff:application-recommend", {"recommendation": "APPROVE", "note": ""}),
    ("staff:application-decide", {"decision": "APPROVE", "reason": ""}),
    ("staff:register-status-change", {"status": "SUSPENDED", "reason": "Interim order"}),
    ("registry:application-withdraw", {"reason": "changed my mind"}),
    ("registry:application-respond", {"response": "here it is"}),
    ("registry:application-step", {"phone": "0123"}),
    ("registry:application-check", {}),
    (
        "practitioner:public-details",
        {"work_town": "Elsewhere", "consents_to_publish_previous_names": "on", "consents_to_publish_work_town": "on"},
    ),
    ("licensing:declare", {"fit_to_practise": "yes"}),
    ("licensing:restore", {"fit_to_practise": "yes", "statement": "I forgot to renew"}),
    ("licensing:invoice-pay", {"payment_method": "pm_card_visa", "form_key": "matrix-form-key"}),
    (
        "finance:payment-new",
        {
            "invoice_number": "INV-2027-0000001",
            "method": "CASH",
            "reference": "CASH-X",
            "amount": "10.00",
            "received_date": "2026-11-04",
        },
    ),
    ("finance:payment-refund", {"amount": "5.00", "reason": "Paid twice"}),
    ("finance:payment-allocate", {"invoice_number": "INV-2027-0000001", "amount": "1.00"}),
    ("finance:invoice-write-off", {"reason": "Deceased"}),
    ("finance:invoice-void", {"reason": "Raised in error"}),
    ("finance:approval-decide", {"decision": "approve", "note": ""}),
    (
        "finance:exemption-grant",
        {"code": "over-65", "discount_percent": "50", "starts_date": "2027-01-01", "reason": "Over 65"},
    ),
    ("renewals:at-risk-remind", {}),
    ("exams:book", {}),
    ("exams:accommodation-request", {"details": "A reader"}),
    (
        "exams_staff:sitting-create",
        {
            "version": "1",
            "code": "matrix-new",
            "starts_at": "2027-06-01T09:00",
            "is_online": "on",
            "capacity": "5",
            "booking_opens_at": "2027-01-01T09:00",
            "booking_closes_at": "2027-05-01T09:00",
        },
    ),
    ("exams_staff:results-upload", {}),
    ("exams_staff:results-publish", {}),
    ("exams_staff:import-commit", {}),
    ("exams_staff:import-discard", {}),
    ("exams_staff:result-correct", {"raw_score": "120", "reason": "Re-marked"}),
    ("exams_staff:accommodation-decide", {"decision": "approve", "note": ""}),
    ("exams_staff:conflicts", {"candidate_number": "C00000010", "reason": "Relative"}),
    (
        "exams_staff:approvals",
        {"email": "person1@example.org", "exam": "1", "expires_date": "2030-01-01", "reason": "x"},
    ),
    ("renewals:restoration-decide", {"decision": "approve", "reason": "Paid"}),
    ("conduct:complaint-triage", {"decision": "close", "reason": "Not conduct"}),
    ("conduct:case-assign", {"officer": "1"}),
    ("conduct:case-team", {"email": "someone@example.org", "action": "add", "reason": "Help"}),
    ("conduct:case-charge", {"charges": "Misconduct", "reason": "Evidence"}),
    ("conduct:case-close", {"reason": "No case to answer"}),
    ("conduct:document-add", {"title": "Statement"}),
    ("conduct:interim-order-make", {"kind": "CONDITIONS", "conditions": "Supervised", "reason": "Risk"}),
    ("conduct:interim-order-revoke", {"reason": "No longer needed"}),
    ("conduct:hearing-schedule", {"starts_at": "2030-01-01T09:00", "venue": "Online", "members": ["1", "2"]}),
    ("conduct:hearing-adjourn", {"reason": "Witness ill"}),
    ("conduct:appeal-lodge", {"lodged_date": "2026-11-22", "grounds": "Unfair"}),
    ("conduct:appeal-decide", {"decision": "allow", "reason": "Unfair"}),
    ("panel:declare", {"has_conflict": "no"}),
    (
        "panel:decide",
        {"outcome": "SANCTION", "findings": "x", "sanction_kind": "CAUTION", "reasons": "y", "public_summary": "z"},
    ),
    ("panel:confirm", {}),
    ("employer:roster-upload", {"roster": "x"}),
    ("employer:roster-remove", {}),
    ("employer:keys", {"name": "Stolen"}),
    ("employer:key-revoke", {}),
    ("employer:alerts", {"frequency": "IMMEDIATE", "webhook_url": "https://attacker.example/hook"}),
    ("employer:webhook-secret", {}),
    ("employer:delivery-resend", {}),
    ("retention:decide", {"scope": "all", "decision": "dispose", "reason": "Past retention"}),
    (
        "renewals:extension-grant",
        {"due_date": "2027-02-01", "penalty_from_date": "2027-05-01", "lapse_date": "2027-08-01", "reason": "Illness"},
    ),
]


def test_the_wrong_clients_change_nothing(world: dict[str, Any]) -> None:
    for name, data in MUTATING:
        _assert_wrong_clients_change_nothing(name, data, world)


def _assert_wrong_clients_change_nothing(name: str, data: dict[str, Any], world: dict[str, Any]) -> None:
    # given every client that may not use this action (for applicant actions: everyone but the owner)
    route = next(route for route in ROUTES if route.name == name)
    url = _concrete_path(route, _sample_kwargs(route, world))
    allowed = _expected(name)
    assert allowed is not None
    if name.startswith("registry:"):
        allowed = {OWNER}
    if name.startswith(("licensing:", "exams:", "cpd:", "employer:", "practitioner:")) or (
        name.startswith("cpd_provider:") and name != "cpd_provider:apply"
    ):
        # the sample invoice, entry, restoration, booking, audit, provider and practitioner record belong to
        # nobody in the matrix
        allowed = set()
    # Booking is open to every signed-in user at the gate; the service refuses anyone without a route to the
    # exam, and the page sends them back to their exams with the reason.
    refused_to = reverse("exams:overview") if name == "exams:book" else reverse("account_login")
    before = _state()
    for label, client in world["clients"].items():
        if label in allowed:
            continue
        # when it posts the action
        response = client.post(url, data)
        # then it is refused, and nothing changed
        assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.FOUND, HTTPStatus.NOT_FOUND), (name, label)
        if response.status_code == HTTPStatus.FOUND:
            assert response["Location"].startswith((reverse("account_login"), refused_to)), label
        if label not in ALL_APPLICANTS:
            assert ACCESS_REFUSED_HEADER in response, label
        assert _state() == before, label


STAFF_ROUTES = [
    route
    for route in ROUTES
    if route.name.startswith(
        (
            "staff:",
            "admin:",
            "finance:",
            "renewals:",
            "exams_staff:",
            "cpd_staff:",
            "conduct:",
            "panel:",
            "verification_staff:",
            "workforce:",
            "legacy:",
            "privacy_staff:",
            "retention:",
        )
    )
]


def test_staff_pages_refuse_staff_without_mfa(categories: Any) -> None:
    # given, for each staff area, a member of staff with no authenticator, and one whose session did not use it
    people = {}
    for area, role in (
        ("staff:", Role.REGISTRAR),
        ("admin:", Role.COUNCIL_ADMIN),
        ("finance:", Role.FINANCE_OFFICER),
        ("exams_staff:", Role.EXAMS_OFFICER),
        ("cpd_staff:", Role.CPD_OFFICER),
        ("conduct:", Role.CONDUCT_OFFICER),
        ("panel:", Role.HEARING_PANEL),
    ):
        no_authenticator = factories.UserFactory(is_staff=True)
        no_authenticator.groups.add(Group.objects.get(name=role.value))
        people[area] = (no_authenticator, factories.staff_user(role, is_staff=True))
    with_authenticator = people["staff:"][1]
    entry_world = {
        "application": factories.application_in_review(
            applicant=factories.UserFactory(), category=categories["social-worker"], registrar=with_authenticator
        )
    }
    entry_world["document"] = entry_world["application"].documents.first()
    application_decide(actor=with_authenticator, application=entry_world["application"], approve=True, reason="")
    entry_world["entry"] = RegisterEntry.objects.get(application=entry_world["application"])
    for route in STAFF_ROUTES:
        url = _concrete_path(route, _sample_kwargs(route, entry_world))
        areas = ("admin:", "finance:", "exams_staff:", "cpd_staff:", "conduct:", "panel:")
        area = next((area for area in areas if route.name.startswith(area)), "staff:")
        if route.name == "exams_staff:approvals" or route.name.startswith("conduct:interim-order-"):
            area = "staff:"  # the registrar's
        without_app, with_app = people[area]
        # when each signs in with a password only and opens a staff page
        no_app = Client()
        no_app.force_login(without_app)
        password_only = Client()
        password_only.force_login(with_app)
        first = no_app.get(url)
        second = password_only.get(url)
        # then the first is sent to set up an authenticator, the second signed out and sent to sign in
        assert first.status_code == HTTPStatus.FOUND, route.name
        assert first["Location"] == reverse("mfa_activate_totp"), route.name
        assert second.status_code == HTTPStatus.FOUND, route.name
        assert second["Location"].startswith(reverse("account_login")), route.name
        assert "_auth_user_id" not in password_only.session, route.name
