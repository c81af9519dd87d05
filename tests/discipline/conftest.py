"""Fixtures for the conduct tests: conduct rules, the conduct team, a panel, a registered practitioner,
a complaint lodged through the service, and a case carried to a hearing."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import RuleSet, User
from core.roles import Role
from discipline import services
from discipline.models import Case, Complaint, Hearing, PanelSeat
from registry.models import RegisterEntry
from registry.services import application_decide
from tests import factories
from tests.exams.conftest import JOHANNESBURG

DISCIPLINE_RULES: dict[str, Any] = {
    "currency": "ZAR",
    "discipline": {
        "triage_days": 14,
        "stage_days": {"INVESTIGATION": 120, "CHARGED": 90, "APPEAL": 90},
        "interim_review_days": 90,
        "appeal_days": 28,
        "stayable_on_appeal": ["CAUTION", "FINE", "CONDITIONS", "SUSPENSION"],
        "publication": {"CAUTION": {"days": 365}, "SUSPENSION": {"days_after_end": 30}},
        "removal_reapply_years": 5,
        "registrars_see_case_documents": False,
    },
}

ALLEGATION_MARKER = "ZEBRA-ALLEGATION-7731"  # unique text that must never reach a public page


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=JOHANNESBURG)


def pdf(name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n% evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "application/pdf"
    )


@pytest.fixture
def discipline_rules(council: Any) -> RuleSet:
    rule_set = RuleSet.objects.get(version=1)
    rule_set.rules = {**rule_set.rules, **copy.deepcopy(DISCIPLINE_RULES)}  # a test may change its copy
    rule_set.save(update_fields=["rules"])
    return rule_set


@pytest.fixture
def conduct_officer(db: None) -> User:
    return factories.staff_user(Role.CONDUCT_OFFICER, email="conduct@council.example", name="Lerato Dube")


@pytest.fixture
def panel(db: None) -> list[User]:
    return [
        factories.staff_user(Role.HEARING_PANEL, email=f"panel{index}@council.example", name=f"Panel member {index}")
        for index in range(1, 4)
    ]


def registered_entry(category: Any, registrar: User, *, email: str = "") -> RegisterEntry:
    applicant = factories.UserFactory(**({"email": email} if email else {}))
    application = factories.application_in_review(applicant=applicant, category=category, registrar=registrar)
    application_decide(actor=registrar, application=application, approve=True, reason="")
    return RegisterEntry.objects.select_related("practitioner__user").get(application=application)


@pytest.fixture
def entry(categories: Any, registrar: User, discipline_rules: RuleSet) -> RegisterEntry:
    return registered_entry(categories["social-worker"], registrar, email="respondent@example.org")


def lodge(entry: RegisterEntry | None = None, *, address: str = "203.0.113.7", **overrides: Any) -> Complaint:
    data = {
        "complainant_role": "SERVICE_USER",
        "complainant_name": "Naledi Khumalo",
        "complainant_email": "naledi@example.org",
        "anonymous_to_practitioner": True,
        "practitioner_named": entry.practitioner.full_name if entry else "Someone",
        "registration_number_given": entry.registration_number if entry else "",
        "description": f"They shouted at my child. {ALLEGATION_MARKER}",
        **overrides,
    }
    lodged = services.complaint_lodge(
        data=data, attachments=[pdf()], source_address=address, tracking_url=lambda token: f"/complaints/track/{token}/"
    )
    return lodged.complaint


def open_case(entry: RegisterEntry, officer: User) -> Case:
    complaint = lodge(entry)
    case = services.complaint_triage(
        actor=officer, complaint=complaint, open_case=True, reason="Serious concern", register_entry=entry
    )
    assert case is not None
    return case


def to_hearing(case: Case, officer: User, panel: list[User]) -> Hearing:
    services.case_charge(actor=officer, case=case, charges="Verbal abuse of a child", reason="Evidence gathered")
    return schedule_and_declare(case, officer, panel)


def schedule_and_declare(case: Case, officer: User, panel: list[User]) -> Hearing:
    hearing = services.hearing_schedule(
        actor=officer,
        case=case,
        starts_at=timezone.now() + dt.timedelta(days=7),
        venue="Council chamber, Pretoria",
        members=panel,
        chair=panel[0],
    )
    for member in panel:
        services.panel_declare(
            actor=member, seat=PanelSeat.objects.get(hearing=hearing, member=member), has_conflict=False
        )
    return hearing
