"""Fixtures for the exams tests: an exam with a raw pass mark, sittings, eligible candidates, results files."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import RuleSet, User
from core.roles import Role
from exams import services
from exams.models import Booking, Exam, ExamVersion, Result, ResultImport, Sitting
from registry import services as registry_services
from registry.models import Application, RegisterCategory
from tests import factories

JOHANNESBURG = zoneinfo.ZoneInfo("Africa/Johannesburg")
EXAM_FEE = 150000
EXAM_RULES = {
    "currency": "ZAR",
    "fees": {"social-worker": {"exam": EXAM_FEE}, "social-auxiliary-worker": {"exam": 0}},
    "exams": {"attempt_limit": 3, "retake_wait_days": 90},
}


@pytest.fixture
def exam_rules(council: Any) -> RuleSet:
    rule_set = RuleSet.objects.get(version=1)
    rule_set.rules = EXAM_RULES
    rule_set.save(update_fields=["rules"])
    return rule_set


@pytest.fixture
def exam_category(categories: dict[str, RegisterCategory]) -> RegisterCategory:
    category = categories["social-worker"]
    category.requires_exam = True
    category.save(update_fields=["requires_exam"])
    return category


@pytest.fixture
def exam(exam_category: RegisterCategory, exam_rules: RuleSet) -> Exam:
    return Exam.objects.create(
        code="sw-generalist", name="Social work licensing exam", category=exam_category, level="Generalist"
    )


@pytest.fixture
def version(exam: Exam) -> ExamVersion:
    return ExamVersion.objects.create(exam=exam, code="2027A", max_raw_score=150, pass_raw_score=98)


@pytest.fixture
def exams_officer(db: None) -> User:
    return factories.staff_user(Role.EXAMS_OFFICER)


def sitting_make(
    officer: User,
    version: ExamVersion,
    *,
    code: str = "sw-2027-03",
    starts_at: dt.datetime | None = None,
    capacity: int = 50,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
) -> Sitting:
    """A sitting whose booking is open now (unless dates are given), through the service."""
    now = timezone.now()
    starts_at = starts_at or now + dt.timedelta(days=30)
    return services.sitting_create(
        actor=officer,
        version=version,
        code=code,
        starts_at=starts_at,
        is_online=False,
        venue="Johannesburg Expo Centre",
        capacity=capacity,
        booking_opens_at=opens_at or min(now - dt.timedelta(days=1), starts_at - dt.timedelta(days=2)),
        booking_closes_at=closes_at or starts_at - dt.timedelta(days=1),
    )


@pytest.fixture
def sitting(exams_officer: User, version: ExamVersion) -> Sitting:
    return sitting_make(exams_officer, version)


def applicant_submitted(category: RegisterCategory, **answers: Any) -> Application:
    """A person whose submitted application's route needs the exam."""
    applicant = factories.UserFactory()
    application = factories.draft_application(applicant=applicant, category=category, **answers)
    registry_services.application_submit(actor=applicant, application=application)
    return Application.objects.select_related("applicant").get(pk=application.pk)


def approved_to_test(exam: Exam, registrar: User | None = None) -> User:
    """A person with the registrar's approval to test (cheaper than a whole application)."""
    registrar = registrar or factories.staff_user(Role.REGISTRAR)
    candidate = factories.UserFactory()
    services.approval_grant(
        actor=registrar,
        candidate=candidate,
        exam=exam,
        reason="Qualified abroad; competence assessment passed",
        expires_date=timezone.localdate() + dt.timedelta(days=365),
    )
    return candidate


def csv_upload(text: str | bytes, name: str = "results.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def results_csv(sitting: Sitting, scores: Sequence[tuple[Booking, Any]], *, newline: str = "\n") -> str:
    lines = ["candidate_number,sitting_code,raw_score"]
    lines += [f"{booking.candidate_number},{sitting.code},{score}" for booking, score in scores]
    return newline.join(lines) + newline


def results_import(officer: User, sitting: Sitting, text: str | bytes) -> ResultImport:
    return services.results_import_preview(actor=officer, sitting=sitting, uploaded=csv_upload(text))


def results_recorded(
    officer: User, sitting: Sitting, scores: Sequence[tuple[Booking, Any]], *, publish: bool = True
) -> list[Result]:
    """Import (and by default publish) results for these bookings, through the services."""
    preview = results_import(officer, sitting, results_csv(sitting, scores))
    assert preview.is_clean, (preview.file_errors, preview.row_errors)
    services.results_import_commit(actor=officer, result_import=preview)
    if publish:
        services.results_publish(actor=officer, sitting=sitting)
    return list(Result.objects.filter(booking__sitting=sitting).order_by("booking_id", "-version"))


BookFn = Callable[[User, Sitting], Booking]
