"""Acceptance: the CPD path in a real browser, from a practitioner's own log to a renewal the CPD step accepts.

A registered social worker has declared and paid for next year's licence; only the CPD step is left. They
sign in on a phone, log two activities with evidence (one first refused for a date in the future), and see
that they are at risk, with what is still missing. An accredited provider's user signs in and uploads the
attendance list of an ethics workshop the social worker attended; the list credits them. The social worker
now sees their CPD met, the credit in their log with its accreditation code, and the renewal complete: the
licence is issued. axe-core checks every page state on the way.

A second journey uploads a bad attendance list (a number nobody has, a person listed twice): the upload page
explains every row's problems, and nobody is credited.

The journey needs next year's renewal window open (from 2 November) while this year's CPD cycle is still
under way: on the real clock when today is in that window, else travelling (ticking) to 20 November of this
year. The clock only ever moves forward, so the browser keeps the session cookies the server sets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from playwright.sync_api import Locator, Page, expect

from core.models import AuditEvent, RuleSet, User
from core.roles import Role
from cpd import services as cpd_services
from cpd.models import AccreditedActivity, Activity, ActivityType, AttendanceUpload, Compliance
from licensing import services as licensing_services
from licensing.models import Invoice, Licence, Payment, RenewalPeriod
from registry.models import RegisterEntry
from registry.numbers import format_registration_number
from tests import factories
from tests.browser.conftest import AxeAudit, PageProblems, write_pdf
from tests.cpd.conftest import CPD_RULES, registered
from tests.exams.conftest import JOHANNESBURG

pytestmark = pytest.mark.browser

PROVIDER_NAME = "Ubuntu Training Institute"
WORKSHOP = "Ethics in child protection"
COURSE = "Trauma-informed practice with children"
SUPERVISION = "Group supervision: case reviews"
FUTURE_DATE = "The activity's date cannot be in the future."


@pytest.fixture
def journey_today() -> Iterator[dt.date]:
    """A day on which next year's renewal is open and this year's CPD cycle is under way.

    Today when its renewal window is open (2 November to 31 December); before that, 20 November ahead:
    forward only, or the session cookie the server sets would already have expired for the browser.
    """
    now = dt.datetime.now(JOHANNESBURG)
    window_days = CPD_RULES["renewal"]["window_opens_days_before_due"]
    if now.date() >= dt.date(now.year + 1, 1, 1) - dt.timedelta(days=window_days):
        yield now.date()
        return
    with time_machine.travel(dt.datetime(now.year, 11, 20, 10, tzinfo=JOHANNESBURG), tick=True):
        yield dt.date(now.year, 11, 20)


@dataclass
class CpdWorld:
    entry: RegisterEntry
    practitioner_user: User
    provider_user: User
    workshop: AccreditedActivity
    types: dict[str, ActivityType]


def _cpd_world(today: dt.date) -> CpdWorld:
    """The council's CPD rules (20 points a year for a social worker, 3 of them ethics); José Núñez on the
    register since January; an accredited provider whose 6-point ethics workshop, held a week ago, the
    council accredited."""
    factories.council_create()
    categories = factories.categories_create()
    RuleSet.objects.filter(version=1).update(rules=CPD_RULES)
    types = {
        code: ActivityType.objects.create(code=code, name=name, requires_reflection=reflection)
        for code, name, reflection in (
            ("course", "Course or workshop", False),
            ("reading", "Self-directed reading", True),
            ("supervision", "Supervision", False),
        )
    }
    entry = registered(categories, on=dt.datetime(today.year, 1, 12, 10, tzinfo=JOHANNESBURG))
    cpd_officer = factories.staff_user(Role.CPD_OFFICER, email="cpd@council.example", name="Naledi Dube")
    provider_user = factories.UserFactory(email="training@ubuntu.example", name="Sipho Ndlovu")
    provider_user.groups.add(Group.objects.get(name=Role.CPD_PROVIDER_USER.value))
    provider = cpd_services.provider_apply(
        actor=provider_user, name=PROVIDER_NAME, contact_email="training@ubuntu.example", description="Workshops"
    )
    cpd_services.provider_decide(actor=cpd_officer, provider=provider, approve=True, reason="")
    workshop = cpd_services.accredited_activity_submit(
        actor=provider_user,
        provider=provider,
        title=WORKSHOP,
        activity_type=types["course"],
        held_on=today - dt.timedelta(days=7),
        proposed_points=Decimal(8),
        subtype="ethics",
    )
    workshop = cpd_services.accredited_activity_decide(
        actor=cpd_officer, activity=workshop, approve=True, points=Decimal(6), reason=""
    )
    return CpdWorld(
        entry=entry,
        practitioner_user=entry.practitioner.user,
        provider_user=provider_user,
        workshop=workshop,
        types=types,
    )


def _renewal_declared_and_paid(entry: RegisterEntry, today: dt.date) -> tuple[RenewalPeriod, Invoice]:
    """Next year's renewal open, the social worker invoiced, declared fit to practise, and paid."""
    period = licensing_services.renewal_period_open(actor=None, year=today.year + 1)
    assert licensing_services.renewal_invoices_issue(period=period, on_date=today) == 1
    invoice = Invoice.objects.get(register_entry=entry, period=period, purpose=Invoice.Purpose.RENEWAL)
    licensing_services.renewal_declare(
        actor=entry.practitioner.user, entry=entry, period=period, is_fit_to_practise=True
    )
    finance = factories.staff_user(Role.FINANCE_OFFICER, email="finance@council.example", name="Ayanda Zulu")
    licensing_services.payment_record(
        actor=finance,
        invoice=invoice,
        method=Payment.Method.BANK_TRANSFER,
        reference="EFT-NUNEZ-RENEWAL",
        amount_minor=invoice.total_minor,
        currency=invoice.currency,
        received_date=today,
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert not Licence.objects.exists()  # the CPD step is not met yet
    return period, invoice


def _sign_in(page: Page, user: User, axe_audit: AxeAudit) -> None:
    page.goto("/accounts/login/")
    axe_audit.check(page, "sign in")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()


def _steps(page: Page) -> Locator:
    return page.locator(".govuk-task-list__status")


def _log_rows(page: Page) -> Locator:
    return page.get_by_role("table", name="My CPD log").locator("tbody tr")


def _fill_activity(
    page: Page, activity_type: ActivityType, title: str, day: dt.date, points: str, evidence: Path
) -> None:
    # selected by value: the options read "#<id> <name>" (ActivityType.__str__), not just the name
    page.get_by_label("Kind of activity").select_option(value=str(activity_type.pk))
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Points or hours").fill(points)
    page.get_by_label("Evidence (certificate of attendance, notes)").set_input_files(evidence)


def _open_workshop(page: Page, workshop: AccreditedActivity, axe_audit: AxeAudit) -> None:
    """From the provider's home page to the workshop's page, as the provider's user finds it."""
    page.get_by_role("link", name="CPD provider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CPD provider")
    expect(page.get_by_role("heading", level=2)).to_have_text(PROVIDER_NAME)
    expect(page.get_by_role("main")).to_contain_text(f"Accredited · {workshop.code} · 6.00")
    axe_audit.check(page, "provider home")
    page.get_by_role("link", name=WORKSHOP).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(WORKSHOP)
    expect(page.locator("#accreditation-code")).to_have_text(workshop.code or "")


def _upload_attendance(page: Page, path: Path) -> None:
    page.get_by_label("Attendance list (CSV)").set_input_files(path)
    page.get_by_role("button", name="Upload and credit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(path.name)


@pytest.mark.django_db(transaction=True)
def test_cpd_logged_and_credited_by_attendance_completes_the_renewal(
    live_server: Any,
    open_page: Any,
    axe_audit: AxeAudit,
    page_problems: PageProblems,
    tmp_path: Path,
    journey_today: dt.date,
) -> None:
    # given the CPD rules, a social worker registered since January, an accredited provider's ethics
    # workshop held a week ago, and next year's renewal open with only its CPD step left
    today = journey_today
    world = _cpd_world(today)
    entry, user, workshop = world.entry, world.practitioner_user, world.workshop
    number = entry.registration_number
    period, invoice = _renewal_declared_and_paid(entry, today)
    cycle = str(today.year)
    events_before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    status = f"#cpd-status-{entry.pk}"
    missing = f"#cpd-missing-{entry.pk}"

    # when the social worker signs in on a phone and opens their CPD
    page = open_page(phone=True)
    _sign_in(page, user, axe_audit)
    page.get_by_role("link", name="My CPD").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My CPD")

    # then the cycle has only begun for them: nothing logged, everything still needed
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Social worker: CPD cycle {cycle}")
    expect(page.locator(status)).to_have_text("At risk")
    expect(page.locator(missing)).to_have_text("Still needed: 20.00 points, including 3.00 of ethics.")
    expect(_log_rows(page)).to_have_text(["Nothing logged yet."])
    axe_audit.check(page, "my CPD: nothing logged")

    # when they log an 8-point course, with its certificate
    course_day = today - dt.timedelta(days=21)
    certificate = write_pdf(tmp_path / "trauma-course-certificate.pdf", "Certificate of attendance")
    page.get_by_role("button", name="Log an activity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a CPD activity")
    axe_audit.check(page, "log an activity")
    _fill_activity(page, world.types["course"], COURSE, course_day, "8", certificate)
    page.get_by_label("Provider (if any)").fill("Child Welfare South Africa")
    page.get_by_role("button", name="Add to my log").click()

    # then it is in their log, and they are still at risk
    expect(page.get_by_role("heading", level=1)).to_have_text("My CPD")
    expect(page.get_by_text("The activity is in your CPD log.")).to_be_visible()
    expect(page.locator(status)).to_have_text("At risk")
    expect(page.locator(missing)).to_have_text("Still needed: 12.00 points, including 3.00 of ethics.")
    expect(_log_rows(page)).to_have_count(1)
    axe_audit.check(page, "my CPD: one activity")

    # when they log a 6-point supervision, first dated tomorrow by mistake
    supervision_day = today - dt.timedelta(days=14)
    notes = write_pdf(tmp_path / "supervision-notes.pdf", "Supervision notes")
    page.get_by_role("button", name="Log an activity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a CPD activity")
    _fill_activity(page, world.types["supervision"], SUPERVISION, today + dt.timedelta(days=1), "6", notes)
    page.get_by_role("button", name="Add to my log").click()

    # then the form explains that it cannot be in the future, and nothing is logged
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(FUTURE_DATE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a CPD activity")
    expect(page.get_by_label("Title", exact=True)).to_have_value(SUPERVISION)
    axe_audit.check(page, "log an activity: date in the future")
    refused_log = f"HTTP 400 for POST {live_server.url}/cpd/activities/new/"
    assert Activity.objects.filter(title=SUPERVISION).count() == 0

    # when they correct the date and choose the evidence again
    page.get_by_label("Date", exact=True).fill(supervision_day.isoformat())
    page.get_by_label("Evidence (certificate of attendance, notes)").set_input_files(notes)
    page.get_by_role("button", name="Add to my log").click()

    # then they see that they are at risk: 14 of 20 points, and none of ethics yet
    expect(page.get_by_role("heading", level=1)).to_have_text("My CPD")
    expect(page.get_by_text("The activity is in your CPD log.")).to_be_visible()
    expect(page.locator(status)).to_have_text("At risk")
    expect(page.locator(missing)).to_have_text("Still needed: 6.00 points, including 3.00 of ethics.")
    main = page.get_by_role("main")
    figures = main.locator(".govuk-summary-list__row")
    expect(figures.locator("dt")).to_have_text(["Required", "Counted so far", "Of which ethics"])
    expect(figures.locator("dd")).to_have_text(["20.00 points", "14.00", "0.00 / 3.00"])
    rows = _log_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(SUPERVISION)
    expect(rows.nth(0)).to_contain_text("supervision-notes.pdf")
    expect(rows.nth(1)).to_contain_text(COURSE)
    expect(rows.nth(1)).to_contain_text("Course or workshop · Child Welfare South Africa")
    expect(rows.nth(1)).to_contain_text("trauma-course-certificate.pdf")
    axe_audit.check(page, "my CPD: at risk")

    # and the evidence they uploaded is the file they chose
    with page.expect_download() as evidence_download:
        rows.nth(1).get_by_role("link", name="trauma-course-certificate.pdf").click()
    assert evidence_download.value.suggested_filename == "trauma-course-certificate.pdf"
    assert Path(evidence_download.value.path()).read_bytes() == certificate.read_bytes()

    # and the renewal page shows the CPD step not done: the only one left
    page.get_by_role("link", name="My licence").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My registration and licence")
    expect(page.get_by_role("heading", name=f"Renewal for {period.year}")).to_be_visible()
    expect(_steps(page)).to_have_text(["Done", "Done", "To do"])
    expect(page.get_by_text("One step is left.")).to_be_visible()
    expect(page.locator(".govuk-panel__body")).to_have_count(0)
    axe_audit.check(page, "my licence: CPD to do")

    # when the provider's user signs in and uploads the workshop's attendance list, naming the social worker
    provider_page = open_page(phone=False)
    _sign_in(provider_page, world.provider_user, axe_audit)
    _open_workshop(provider_page, workshop, axe_audit)
    expect(provider_page.get_by_role("table", name="0 attendees credited")).to_contain_text("Nobody yet.")
    axe_audit.check(provider_page, "workshop: nobody credited")
    attendance = tmp_path / "ethics-workshop-attendance.csv"
    attendance.write_text(f"registration_number,name\n{number},José Núñez\n")
    _upload_attendance(provider_page, attendance)

    # then the list is imported and credits one person
    expect(provider_page.locator("#upload-status")).to_have_text("Imported")
    expect(provider_page.locator("#upload-credited")).to_have_text("1")
    expect(provider_page.locator(".govuk-error-summary")).to_have_count(0)
    axe_audit.check(provider_page, "attendance upload: imported")
    provider_page.get_by_role("link", name="Back to the activity").click()
    attendees = provider_page.get_by_role("table", name="1 attendee credited").locator("tbody td")
    expect(attendees).to_have_text(["José Núñez", number])
    expect(provider_page.get_by_role("link", name=attendance.name)).to_be_visible()
    axe_audit.check(provider_page, "workshop: one attendee credited")

    # when the social worker reloads their CPD
    page.get_by_role("link", name="My CPD").click()

    # then they have met the cycle's requirement, and the credit is in their log with its code
    expect(page.locator(status)).to_have_text("Met")
    expect(page.locator(missing)).to_have_count(0)
    expect(figures.locator("dd")).to_have_text(["20.00 points", "20.00", "6.00 / 3.00"])
    expect(rows).to_have_count(3)
    credited = rows.nth(0).locator("td")
    expect(credited.nth(1)).to_contain_text(WORKSHOP)
    expect(credited.nth(1)).to_contain_text(f"Course or workshop · ethics · {workshop.code}")
    expect(credited.nth(2)).to_have_text("6.00")
    expect(credited.nth(3)).to_have_text("Credited by the provider")
    axe_audit.check(page, "my CPD: met")

    # and the renewal accepts the CPD step: every step is done and the licence is issued
    page.get_by_role("link", name="My licence").click()
    licence_number = f"L{period.year}-{number}"
    valid = f"valid from 1 January {period.year} to 31 December {period.year}"
    expect(page.locator(".govuk-panel__body")).to_have_text(f"Licence {licence_number} issued: {valid}.")
    expect(_steps(page)).to_have_text(["Done", "Done", "Done"])
    expect(page.get_by_role("link", name=f"Download certificate {licence_number} (PDF)")).to_be_visible()
    axe_audit.check(page, "my licence: issued")

    # and every page was accessible, and the only failed request was the refused date in the future
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == [refused_log]

    # and the log holds the two activities logged with their evidence, and the credit
    logged = {activity.title: activity for activity in Activity.objects.filter(source=Activity.Source.LOGGED)}
    assert sorted(logged) == sorted([COURSE, SUPERVISION])
    for title, path, day, points, type_code in (
        (COURSE, certificate, course_day, Decimal(8), "course"),
        (SUPERVISION, notes, supervision_day, Decimal(6), "supervision"),
    ):
        activity = logged[title]
        assert (activity.practitioner, activity.activity_type.code, activity.activity_date, activity.points) == (
            entry.practitioner,
            type_code,
            day,
            points,
        )
        assert (activity.subtype, activity.accredited_activity, activity.evidence_name) == ("", None, path.name)
        assert activity.evidence_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        with activity.evidence.open("rb") as stored:
            assert stored.read() == path.read_bytes()
    credit = Activity.objects.get(source=Activity.Source.ATTENDANCE)
    assert (credit.practitioner, credit.accredited_activity, credit.title, credit.provider_name) == (
        entry.practitioner,
        workshop,
        WORKSHOP,
        PROVIDER_NAME,
    )
    assert (credit.activity_date, credit.points, credit.subtype, credit.evidence_sha256) == (
        workshop.held_on,
        Decimal(6),
        "ethics",
        "",
    )
    assert Activity.objects.count() == 3
    upload = AttendanceUpload.objects.get()
    assert (upload.activity, upload.uploaded_by, upload.original_name, upload.status) == (
        workshop,
        world.provider_user,
        attendance.name,
        AttendanceUpload.Status.IMPORTED,
    )
    assert (upload.row_count, upload.credited_count, upload.already_credited_count) == (1, 1, 0)
    assert upload.sha256 == hashlib.sha256(attendance.read_bytes()).hexdigest()

    # and the cycle's compliance row is met, and the licence was issued for the period
    compliance = Compliance.objects.get(register_entry=entry, cycle_start_year=today.year)
    assert (compliance.status, compliance.required, compliance.earned, compliance.carried_forward) == (
        Compliance.Status.MET,
        Decimal(20),
        Decimal(20),
        Decimal(0),
    )
    assert {name: [Decimal(str(value)) for value in pair] for name, pair in compliance.subtypes.items()} == {
        "ethics": [Decimal(6), Decimal(3)]
    }
    licence = Licence.objects.get()
    assert (licence.register_entry, licence.period, licence.number) == (entry, period, licence_number)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID

    # and the audit trail tells the story: two activities logged, the list uploaded and credited, the
    # compliance assessed each time (at risk, at risk, met), then the licence issued
    told = {
        "cpd_activity.logged",
        "cpd_attendance.uploaded",
        "cpd_activity.credited",
        "cpd_compliance.assessed",
        "licence.issued",
    }
    trail = AuditEvent.objects.filter(pk__gt=events_before, action__in=told).order_by("pk")
    assert [(event.action, event.actor) for event in trail] == [
        ("cpd_activity.logged", user),
        ("cpd_compliance.assessed", user),
        ("cpd_activity.logged", user),
        ("cpd_compliance.assessed", user),
        ("cpd_attendance.uploaded", world.provider_user),
        ("cpd_activity.credited", world.provider_user),
        ("cpd_compliance.assessed", world.provider_user),
        ("licence.issued", None),  # the system issued it, as after a card payment
    ]
    assessed = [event.after["status"] for event in trail if event.action == "cpd_compliance.assessed"]
    assert assessed == ["AT_RISK", "AT_RISK", "MET"]
    logged_events = [event.after for event in trail if event.action == "cpd_activity.logged"]
    assert [(after["type"], after["points"], after["evidence_sha256"]) for after in logged_events] == [
        ("course", "8", logged[COURSE].evidence_sha256),
        ("supervision", "6", logged[SUPERVISION].evidence_sha256),
    ]
    uploaded = trail.get(action="cpd_attendance.uploaded")
    assert (uploaded.after["activity"], uploaded.after["status"], uploaded.after["credited"]) == (
        workshop.code,
        "IMPORTED",
        1,
    )
    assert trail.get(action="cpd_activity.credited").object_id == str(credit.pk)


@pytest.mark.django_db(transaction=True)
def test_a_bad_attendance_list_is_explained_and_credits_nobody(
    live_server: Any, open_page: Any, axe_audit: AxeAudit, page_problems: PageProblems, tmp_path: Path
) -> None:
    # given an accredited ethics workshop and a social worker who attended it (in the past: no renewal here)
    world = _cpd_world(dt.date(2026, 11, 20))
    number = world.entry.registration_number
    body = number.split("-")[1]
    unknown = format_registration_number(prefix="SW", sequence_value=10 ** len(body) - 1, digits=len(body))
    assert not RegisterEntry.objects.filter(registration_number=unknown).exists()

    # when the provider's user uploads a list naming somebody nobody is, and the social worker twice
    page = open_page(phone=False)
    _sign_in(page, world.provider_user, axe_audit)
    _open_workshop(page, world.workshop, axe_audit)
    attendance = tmp_path / "ethics-workshop-bad.csv"
    attendance.write_text(
        f"registration_number,name\n{unknown},Somebody Else\n{number},José Núñez\n{number},J. Núñez\n"
    )
    _upload_attendance(page, attendance)

    # then the upload page says nobody was credited, and why, row by row
    expect(page.locator("#upload-status")).to_have_text("Rejected")
    expect(page.locator("#upload-credited")).to_have_text("0")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Nobody was credited")
    expect(summary).to_contain_text("Correct the list and upload it again.")
    problems = page.locator("#row-errors tbody tr")
    expect(problems).to_have_count(2)
    expect(problems.nth(0).locator("td")).to_have_text(
        ["2", unknown, f"No one on the register has the number {unknown}."]
    )
    expect(problems.nth(1).locator("td")).to_have_text(["4", number, "This person is already on row 3."])
    axe_audit.check(page, "attendance upload: rejected")

    # and the workshop still credits nobody, and lists the rejected upload
    page.get_by_role("link", name="Back to the activity").click()
    expect(page.get_by_role("table", name="0 attendees credited")).to_contain_text("Nobody yet.")
    expect(page.get_by_role("main").get_by_role("listitem").filter(has_text=attendance.name)).to_contain_text(
        "Rejected"
    )
    axe_audit.check(page, "workshop: after a rejected list")

    # and every page was accessible and rendered without errors
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == []

    # and nobody was credited: no activity, no compliance recomputed, the upload kept with its problems
    assert not Activity.objects.exists()
    assert not Compliance.objects.exists()
    upload = AttendanceUpload.objects.get()
    assert (upload.status, upload.row_count, upload.credited_count, upload.file_errors) == (
        AttendanceUpload.Status.REJECTED,
        3,
        0,
        [],
    )
    assert [row["row"] for row in upload.row_errors] == [2, 4]
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("cpd_attendance.uploaded") == 1
    assert "cpd_activity.credited" not in actions
    assert "cpd_compliance.assessed" not in actions
