"""Acceptance: the whole national-exam path in a real browser, from booking a seat to a registration number.

An applicant whose route needs the exam signs in on a phone, books a seat at a sitting and is given a
candidate number and the exam fee's invoice. The registrar cannot approve the application yet: no pass
is on record. The exams officer signs in with their authenticator code, uploads the testing vendor's
results file for the sitting, checks the preview, imports it as a draft and publishes it. The applicant
sees that they passed; the registrar approves and the register gives them a number. axe-core checks
every page state on the way.

A second journey uploads bad results files (rows naming nobody or scoring out of range, then a file
separated by semicolons): the preview explains every problem, offers no import, and nothing is imported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from core.models import AuditEvent, Notification, RuleSet, User
from core.roles import Role
from exams import services as exam_services
from exams.models import Booking, Exam, ExamVersion, Result, ResultImport, Sitting, candidate_number_for
from licensing.models import Invoice
from registry import services as registry_services
from registry.models import Application, RegisterCategory, RegisterEntry
from tests import factories
from tests.browser.conftest import AxeAudit, PageProblems, staff_sign_in
from tests.exams.conftest import EXAM_RULES, applicant_submitted, sitting_make

pytestmark = pytest.mark.browser

SITTING_CODE = "sw-2027-03"
EXAM_NAME = "Social work licensing exam"
EXAM_FEE = "ZAR 1,500.00"
PASSING_SCORE = 120
REGISTRATION_NUMBER = re.compile(r"\bSW-[0-9A-Z-]+\b")
CANDIDATE_NUMBER = re.compile(r"^C\d{8}$")
NO_PASS_ON_RECORD = "The applicant has not passed the category's national exam (no published pass on record)."


def _exam_world() -> tuple[RegisterCategory, ExamVersion, Sitting, User, User]:
    """The council's exam rules, a social-worker category that requires the exam, its exam and version
    (raw pass mark 98 of 150), and a sitting the exams officer scheduled, open for booking now."""
    factories.council_create()
    category = factories.categories_create()["social-worker"]
    category.requires_exam = True
    category.save(update_fields=["requires_exam"])
    RuleSet.objects.filter(version=1).update(rules=EXAM_RULES)
    exam = Exam.objects.create(code="sw-generalist", name=EXAM_NAME, category=category, level="Generalist")
    version = ExamVersion.objects.create(exam=exam, code="2027A", max_raw_score=150, pass_raw_score=98)
    exams_officer = factories.staff_user(Role.EXAMS_OFFICER, email="exams@council.example", name="Lerato Khumalo")
    registrar = factories.staff_user(Role.REGISTRAR, email="registrar@council.example", name="Thandi Mokoena")
    sitting = sitting_make(exams_officer, version, code=SITTING_CODE)
    return category, version, sitting, exams_officer, registrar


def _sign_in(page: Page, user: User, axe_audit: AxeAudit) -> None:
    page.goto("/accounts/login/")
    axe_audit.check(page, "sign in")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()


def _status(page: Page) -> Locator:
    return page.locator("#application-status")


def _open_sitting(page: Page, axe_audit: AxeAudit) -> None:
    """From the staff dashboard to the sitting's page, as the exams officer finds it."""
    page.goto("/staff/")
    axe_audit.check(page, "staff dashboard (exams officer)")
    page.get_by_role("link", name="Exams: sittings, results and accommodations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exams")
    axe_audit.check(page, "exams dashboard")
    page.get_by_role("link", name=SITTING_CODE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sitting {SITTING_CODE}")


def _result_cells(page: Page) -> Locator:
    return page.get_by_role("table", name="Results at this sitting").locator("tbody td")


def _upload(page: Page, path: Path) -> None:
    page.get_by_label("Results file (CSV)").set_input_files(path)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(path.name)


@pytest.mark.django_db(transaction=True)
def test_exam_journey_from_booking_to_registration_number(
    live_server: Any, open_page: Any, axe_audit: AxeAudit, page_problems: PageProblems, tmp_path: Path
) -> None:
    # given an exam with a sitting open for booking, and an applicant in its category whose submitted
    # application the registrar is reviewing
    category, _version, sitting, exams_officer, registrar = _exam_world()
    application = applicant_submitted(category)
    registry_services.application_assign(actor=registrar, application=application, officer=registrar)
    applicant = application.applicant
    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW

    # when the applicant signs in on a phone and opens their exams
    applicant_page = open_page(phone=True)
    _sign_in(applicant_page, applicant, axe_audit)
    applicant_page.get_by_role("link", name="My exams").click()
    expect(applicant_page.get_by_role("heading", level=1)).to_have_text("My exams")
    main = applicant_page.get_by_role("main")
    expect(main.get_by_role("heading", level=2)).to_have_text(EXAM_NAME)
    expect(main).to_contain_text(f"You may book this exam: your application {application.reference} needs it.")
    expect(main).to_contain_text(SITTING_CODE)
    expect(main).to_contain_text("Johannesburg Expo Centre")
    axe_audit.check(applicant_page, "my exams: sitting open")

    # and books a seat at the sitting
    applicant_page.get_by_role("button", name=f"Book {SITTING_CODE}").click()
    expect(applicant_page).to_have_url(re.compile(r"/exams/bookings/\d+/$"))
    expect(applicant_page.get_by_role("heading", level=1)).to_have_text(f"Your booking for {SITTING_CODE}")
    candidate_number = applicant_page.locator("#candidate-number").inner_text().strip()
    assert CANDIDATE_NUMBER.match(candidate_number), candidate_number
    expect(applicant_page.get_by_text(f"Your candidate number is {candidate_number}.")).to_be_visible()
    booking = Booking.objects.select_related("invoice").get(candidate=applicant)
    assert booking.candidate_number == candidate_number
    assert booking.invoice is not None
    invoice_number = booking.invoice.number
    expect(applicant_page.get_by_role("main")).to_contain_text(f"{invoice_number} · {EXAM_FEE} · Issued")
    expect(applicant_page.get_by_role("link", name=invoice_number)).to_be_visible()
    expect(applicant_page.get_by_role("link", name="Pay now")).to_be_visible()
    expect(applicant_page.get_by_text("Your result is not published yet.")).to_be_visible()
    expect(applicant_page.locator("#exam-result")).to_have_count(0)
    booking_url = applicant_page.url
    axe_audit.check(applicant_page, "booking: booked")

    # then the registrar, signed in with their code, cannot approve yet: no pass is on record
    registrar_page = open_page(phone=False)
    staff_sign_in(registrar_page, registrar, axe_audit)
    registrar_page.goto(f"/staff/applications/{application.pk}/")
    expect(registrar_page.get_by_role("heading", level=1)).to_have_text(f"{application.reference}: José Núñez")
    expect(_status(registrar_page)).to_have_text("In review")
    axe_audit.check(registrar_page, "case (registrar, in review)")
    registrar_page.get_by_label("Approve and enter on the register").check()
    registrar_page.get_by_role("button", name="Record decision").click()
    summary = registrar_page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(NO_PASS_ON_RECORD)
    expect(_status(registrar_page)).to_have_text("In review")
    axe_audit.check(registrar_page, "case (registrar, exam not passed)")
    refused_decision = f"HTTP 400 for POST {live_server.url}/staff/applications/{application.pk}/decide/"

    # when the exams officer signs in with their code and opens the sitting
    officer_page = open_page(phone=False)
    staff_sign_in(officer_page, exams_officer, axe_audit)
    _open_sitting(officer_page, axe_audit)
    roster = officer_page.locator("#accommodations")
    expect(roster).to_contain_text(candidate_number)
    expect(roster).to_contain_text("José Núñez")
    expect(officer_page.get_by_text("No results yet.")).to_be_visible()
    expect(officer_page.get_by_role("button", name="Publish the draft results")).to_have_count(0)
    axe_audit.check(officer_page, "sitting: booked")

    # and uploads the testing vendor's results file, a pass for the candidate
    results_file = tmp_path / "results.csv"
    results_file.write_text(
        f"candidate_number,sitting_code,raw_score\n{candidate_number},{SITTING_CODE},{PASSING_SCORE}\n"
    )
    _upload(officer_page, results_file)

    # then the preview shows one row and no problems, and nothing is imported yet
    expect(officer_page.locator("#import-status")).to_have_text("Previewed")
    expect(officer_page.locator("#import-rows")).to_have_text("1")
    expect(officer_page.locator("#import-errors")).to_have_text("0")
    expect(officer_page.locator(".govuk-error-summary")).to_have_count(0)
    axe_audit.check(officer_page, "results preview: clean")
    assert not Result.objects.exists()

    # when they import it as a draft
    officer_page.get_by_role("button", name="Import 1 result as a draft").click()
    expect(officer_page.get_by_role("heading", level=1)).to_have_text(f"Sitting {SITTING_CODE}")
    imported = re.compile(r"^1 result was imported as a draft\. Check it, then publish\.$")
    expect(officer_page.get_by_text(imported)).to_be_visible()
    expect(_result_cells(officer_page)).to_have_text(
        [f"{candidate_number} José Núñez", "120.00", "—", "Passed", "Draft"]
    )
    axe_audit.check(officer_page, "sitting: draft results")

    # then the applicant still sees no result
    applicant_page.reload()
    expect(applicant_page.get_by_text("Your result is not published yet.")).to_be_visible()

    # when the officer publishes the draft results
    officer_page.get_by_role("button", name="Publish the draft results").click()
    published = re.compile(r"^1 result was published\. The candidate has been told\.$")
    expect(officer_page.get_by_text(published)).to_be_visible()
    expect(_result_cells(officer_page)).to_have_text(
        [f"{candidate_number} José Núñez", "120.00", "—", "Passed", "Published"]
    )
    expect(officer_page.get_by_role("button", name="Publish the draft results")).to_have_count(0)
    axe_audit.check(officer_page, "sitting: results published")

    # then the applicant sees that they passed
    applicant_page.goto(booking_url)
    result = applicant_page.locator("#exam-result")
    expect(result).to_contain_text("Passed")
    expect(result).to_contain_text(re.compile(r"Score: 120(\.00)? · pass score 98(\.00)?"))
    axe_audit.check(applicant_page, "booking: passed")
    applicant_page.get_by_role("link", name="Back to my exams").click()
    expect(applicant_page.get_by_role("main").locator(".govuk-tag")).to_have_text(["Passed"])
    expect(applicant_page.get_by_role("button", name=f"Book {SITTING_CODE}")).to_have_count(0)
    axe_audit.check(applicant_page, "my exams: passed")

    # when the registrar approves the application
    registrar_page.goto(f"/staff/applications/{application.pk}/")
    expect(_status(registrar_page)).to_have_text("In review")
    axe_audit.check(registrar_page, "case (registrar, exam passed)")
    registrar_page.get_by_label("Approve and enter on the register").check()
    registrar_page.get_by_role("button", name="Record decision").click()

    # then the application is approved and the register gives a number
    expect(registrar_page.get_by_text("The decision was recorded and the applicant notified.")).to_be_visible()
    expect(_status(registrar_page)).to_have_text("Approved")
    record_link = registrar_page.get_by_role("link", name=REGISTRATION_NUMBER)
    expect(record_link).to_be_visible()
    axe_audit.check(registrar_page, "case (registrar, approved)")
    number_match = REGISTRATION_NUMBER.search(record_link.inner_text())
    assert number_match is not None
    registration_number = number_match.group(0)

    # and every page was accessible, and the only failed request was the refused early approval
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == [refused_decision]

    # and the database holds the booking, its published pass, the approval and the register entry
    booking.refresh_from_db()
    assert (booking.sitting, booking.application, booking.status) == (sitting, application, Booking.Status.BOOKED)
    invoice = Invoice.objects.get(number=invoice_number)
    assert booking.invoice_id == invoice.pk
    assert (invoice.purpose, invoice.total_minor, invoice.status) == (
        Invoice.Purpose.EXAM,
        150000,
        Invoice.Status.ISSUED,
    )
    result_import = ResultImport.objects.get()
    assert (result_import.sitting, result_import.status) == (sitting, ResultImport.Status.COMMITTED)
    assert (result_import.original_name, result_import.uploaded_by, result_import.decided_by) == (
        "results.csv",
        exams_officer,
        exams_officer,
    )
    exam_result = Result.objects.get()
    assert (exam_result.booking, exam_result.version, exam_result.status) == (booking, 1, Result.Status.PUBLISHED)
    assert (exam_result.raw_score, exam_result.passed, exam_result.published_by) == (
        PASSING_SCORE,
        True,
        exams_officer,
    )
    assert exam_result.source_import == result_import
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.decided_by == registrar
    entry = RegisterEntry.objects.get(application=application)
    assert entry.registration_number == registration_number
    assert entry.status == RegisterEntry.Status.REGISTERED
    assert entry.practitioner.user == applicant
    assert entry.practitioner == booking.practitioner

    # and the audit trail tells the story: import, publication, the requirement met, the approval
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "actor"))
    for action, actor in [
        ("exam_booking.booked", applicant.pk),
        ("exam_results.previewed", exams_officer.pk),
        ("exam_result.recorded", exams_officer.pk),
        ("exam_results.imported", exams_officer.pk),
        ("exam_result.published", exams_officer.pk),
        ("exam_sitting.results_published", exams_officer.pk),
        ("application.exam_requirement_met", exams_officer.pk),
        ("application.approved", registrar.pk),
    ]:
        assert actions.count((action, actor)) == 1, (action, actions)
    assert [action for action, _actor in actions].index("application.exam_requirement_met") < [
        action for action, _actor in actions
    ].index("application.approved")
    application_events = AuditEvent.objects.filter(
        object_type__model="application", object_id=str(application.pk)
    ).order_by("pk")
    assert [event.action for event in application_events][-3:] == [
        "application.assigned",
        "application.exam_requirement_met",
        "application.approved",
    ]
    met = application_events.get(action="application.exam_requirement_met")
    assert met.after == {"result": exam_result.pk, "booking": candidate_number}
    assert met.reason == f"passed {EXAM_NAME} at {SITTING_CODE}"
    # and the applicant was told of the booking, the result and the approval
    kinds = set(Notification.objects.filter(recipient=applicant).values_list("kind", flat=True))
    assert {"exam_booked", "exam_result_published", "application_approved"} <= kinds


@pytest.mark.django_db(transaction=True)
def test_a_bad_results_file_is_explained_and_imports_nothing(
    live_server: Any, open_page: Any, axe_audit: AxeAudit, page_problems: PageProblems, tmp_path: Path
) -> None:
    # given a sitting with one candidate booked
    category, _version, sitting, exams_officer, _registrar = _exam_world()
    application = applicant_submitted(category)
    booking = exam_services.booking_create(actor=application.applicant, sitting=sitting)
    unknown = candidate_number_for(booking.pk + 1000)

    # when the exams officer uploads a file naming a candidate nobody is, and scoring one out of range
    page = open_page(phone=False)
    staff_sign_in(page, exams_officer, axe_audit)
    _open_sitting(page, axe_audit)
    axe_audit.check(page, "sitting: booked")
    rows_file = tmp_path / "vendor-rows.csv"
    rows_file.write_text(
        "candidate_number,sitting_code,raw_score\n"
        f"{unknown},{SITTING_CODE},110\n"
        f"{booking.candidate_number},{SITTING_CODE},151\n"
    )
    _upload(page, rows_file)

    # then the preview reports each row's problems and offers no import
    expect(page.locator("#import-rows")).to_have_text("2")
    expect(page.locator("#import-errors")).to_have_text("2")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("This file cannot be imported")
    expect(summary).to_contain_text("Nothing has been imported.")
    problems = page.locator("#row-errors tbody tr")
    expect(problems).to_have_count(2)
    expect(problems.nth(0).locator("td")).to_have_text(["2", unknown, f"No candidate has the number {unknown}."])
    expect(problems.nth(1).locator("td")).to_have_text(
        ["3", booking.candidate_number, "The raw score 151 is out of range: it must be from 0 to 150."]
    )
    expect(page.get_by_role("link", name="Download the problems as CSV")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Import "))).to_have_count(0)
    expect(page.get_by_role("button", name="Discard this file")).to_be_visible()
    axe_audit.check(page, "results preview: row problems")

    # when they go back and upload a file separated by semicolons
    page.get_by_role("link", name="Back to the sitting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sitting {SITTING_CODE}")
    semicolons_file = tmp_path / "vendor-semicolons.csv"
    semicolons_file.write_text(
        f"candidate_number;sitting_code;raw_score\n{booking.candidate_number};{SITTING_CODE};120\n"
    )
    _upload(page, semicolons_file)

    # then the preview reports the file's problem and offers no import
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(
        "The columns are separated by semicolons, not commas. Save the file as comma-separated CSV."
    )
    expect(page.locator("#import-errors")).to_have_text("0")
    expect(page.locator("#row-errors")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Import "))).to_have_count(0)
    axe_audit.check(page, "results preview: file problem")

    # and the sitting shows no results and no button to publish any
    page.get_by_role("link", name="Back to the sitting").click()
    expect(page.get_by_text("No results yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Publish the draft results")).to_have_count(0)
    expect(page.get_by_role("link", name="vendor-rows.csv")).to_be_visible()
    expect(page.get_by_role("link", name="vendor-semicolons.csv")).to_be_visible()
    axe_audit.check(page, "sitting: nothing imported")

    # and every page was accessible and rendered without errors
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == []

    # and nothing was imported: both files are kept as previews, with their problems
    assert Result.objects.count() == 0
    imports = list(ResultImport.objects.order_by("pk"))
    assert [(item.original_name, item.status, item.row_count, item.error_count) for item in imports] == [
        ("vendor-rows.csv", ResultImport.Status.PREVIEWED, 2, 2),
        ("vendor-semicolons.csv", ResultImport.Status.PREVIEWED, 0, 0),
    ]
    assert imports[1].file_errors == [
        "The columns are separated by semicolons, not commas. Save the file as comma-separated CSV."
    ]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert "exam_results.previewed" in actions
    assert not actions & {"exam_results.imported", "exam_result.recorded", "exam_result.published"}
