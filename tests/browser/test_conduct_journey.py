"""Acceptance: a conduct case in a real browser, from a member of the public's complaint to a suspension that
ends by itself and a public notice that comes down when its time is up.

A member of the public, with no account and on a phone, follows "Make a complaint" from the home page and
complains about a registered social worker, attaching a PDF and asking that the practitioner not be told who
they are; the confirmation page gives a reference and a private link that shows progress. A conduct officer,
signed in with their authenticator code, triages the complaint into a case. A registrar makes an interim
suspension from the case page and the public register shows it at once. The conduct officer brings charges
and schedules a hearing with two panel members, who each sign in, declare no conflict and see the bundle; one
records a six-month suspension with a public summary, which replaces the interim order on the public record.
The clock moves past the suspension's end: the nightly job, run as production runs it, restores the entry
while the notice stays for its publication period; past that, the job takes the notice down. The complaint's
own words never reach a public page. axe-core checks every page state on the way.

A second journey sends the complaint form with nothing in "What happened?" and a text file renamed .pdf: the
form names both problems and keeps what was typed.

Steps 1 to 5 run on the real clock; the clock then only moves forward (time_machine, ticking), so the
browser keeps the cookies the server set.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect

from core.models import AuditEvent, RuleSet, User
from core.roles import Role
from discipline.models import (
    Case,
    Complaint,
    ComplaintAttachment,
    Decision,
    Hearing,
    InterimOrder,
    PanelSeat,
    Publication,
    Sanction,
)
from discipline.rules import add_months
from discipline.tasks import daily_run
from registry.models import RegisterEntry
from registry.services import application_decide
from tests import factories
from tests.browser.conftest import AxeAudit, PageProblems, staff_sign_in, write_pdf
from tests.discipline.conftest import DISCIPLINE_RULES
from tests.exams.conftest import JOHANNESBURG

pytestmark = pytest.mark.browser

# Unique words of the complaint: confidential, so they must never reach a public page.
MARKER = "QUAGGA-CONDUCT-MARKER-4417"
DESCRIPTION = f"At a home visit on Tuesday the social worker shouted at my son and called him useless. {MARKER}"
COMPLAINANT_ROLE = "Someone who received services from the practitioner"
PRACTITIONER = "José Núñez"
CHARGES = "Verbally abused a child during a home visit, contrary to the code of ethics."
VENUE = "Council chamber, Pretoria"
FINDINGS = "Proven on the evidence of the complainant and the child's teacher."
REASONS = (
    "A serious departure from the code of ethics towards a child; a period away from practice protects the public."
)
PUBLIC_SUMMARY = "Verbally abused a child during a home visit."
INTERIM_SUMMARY = "Interim suspension order pending a fitness to practise case. It is not a finding."
MAY_PRACTISE = "Registered: may practise"
NOT_PERMITTED = "Not permitted to practise: Suspended."
CONDUCT_LINK = "Conduct: complaints, cases, interim orders and hearings"
CASE_NUMBER = re.compile(r"^FTP-\d{4}-[A-Z0-9]{6}$")
REFERENCE = re.compile(r"^CMP-\d{4}-[A-Z0-9]{6}$")


@dataclass
class ConductWorld:
    entry: RegisterEntry
    registrar: User
    conduct_officer: User
    panel: list[User]


def _conduct_world() -> ConductWorld:
    """The council's conduct rules (a suspension's notice stays 30 days after it ends), José Núñez registered as
    a social worker, a registrar, a conduct officer and two hearing panel members."""
    factories.council_create()
    categories = factories.categories_create()
    rule_set = RuleSet.objects.get(version=1)
    rule_set.rules = {**rule_set.rules, **copy.deepcopy(DISCIPLINE_RULES)}
    rule_set.save(update_fields=["rules"])
    assert DISCIPLINE_RULES["discipline"]["publication"]["SUSPENSION"] == {"days_after_end": 30}
    registrar = factories.staff_user(Role.REGISTRAR, email="registrar@council.example", name="Thandi Mokoena")
    practitioner = factories.UserFactory(email="jose.nunez@example.org", name=PRACTITIONER)
    application = factories.application_in_review(
        applicant=practitioner, category=categories["social-worker"], registrar=registrar
    )
    application_decide(actor=registrar, application=application, approve=True, reason="")
    entry = RegisterEntry.objects.select_related("practitioner").get(application=application)
    assert entry.status == RegisterEntry.Status.REGISTERED
    conduct_officer = factories.staff_user(Role.CONDUCT_OFFICER, email="conduct@council.example", name="Lerato Dube")
    panel = [
        factories.staff_user(Role.HEARING_PANEL, email="panel.chair@council.example", name="Nomsa Mahlangu"),
        factories.staff_user(Role.HEARING_PANEL, email="panel.member@council.example", name="Pieter van Wyk"),
    ]
    return ConductWorld(entry=entry, registrar=registrar, conduct_officer=conduct_officer, panel=panel)


_DUPLICATE_IDS_JS = """() => {
    const counts = new Map();
    for (const element of document.querySelectorAll("[id]")) counts.set(element.id, (counts.get(element.id) || 0) + 1);
    return [...counts].filter(([, count]) => count > 1).map(([id]) => id);
}"""


@dataclass
class PageChecks:
    """axe on each page state, and two checks of our own: no id is used twice (a label whose `for` names a
    duplicated id labels only the first field with it), and every page the public saw after the complaint was
    sent is kept, to prove the complaint's words never reached one."""

    axe_audit: AxeAudit
    duplicate_ids: list[str] = field(default_factory=list)
    seen_by_public: list[tuple[str, str, str]] = field(default_factory=list)

    def check(self, page: Page, label: str) -> None:
        self.axe_audit.check(page, label)
        self.duplicate_ids.extend(f"{label} {page.url}: #{id_}" for id_ in page.evaluate(_DUPLICATE_IDS_JS))

    def public(self, page: Page, label: str) -> None:
        self.check(page, label)
        self.seen_by_public.append((label, page.url, page.content()))

    def leaks(self, text: str) -> list[str]:
        return [f"{label} {url}" for label, url, content in self.seen_by_public if text in content]


def _fill_complaint(page: Page, *, name: str, number: str, description: str, evidence: Path) -> None:
    page.get_by_label(COMPLAINANT_ROLE, exact=True).check()
    page.get_by_label("The practitioner's name").fill(name)
    page.get_by_label("Their registration number, if you know it").fill(number)
    page.get_by_label("What happened?").fill(description)
    page.get_by_label("Documents or photos (optional)").set_input_files(evidence)
    page.get_by_label("Your email address (optional)").fill("complainant@example.org")


def _open_record(page: Page, number: str, pages: PageChecks, label: str) -> None:
    """From the home page, search the register by number and open the record, as the public finds it."""
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check a social service practitioner's registration")
    pages.public(page, f"home ({label})")
    page.get_by_label("Name or registration number").fill(number)
    page.get_by_role("button", name="Search the register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search the register")
    expect(page.get_by_role("heading", level=2)).to_have_text("1 result")
    pages.public(page, f"search results ({label})")
    page.get_by_role("link", name=PRACTITIONER).click()
    expect(page).to_have_url(re.compile(rf"/register/{re.escape(number)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PRACTITIONER)


def _notices(page: Page) -> Any:
    return page.locator("#fitness-to-practise > li")


def _open_conduct(page: Page, pages: PageChecks, label: str) -> None:
    page.get_by_role("link", name="Staff area").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff area")
    pages.check(page, f"staff area ({label})")
    page.get_by_role("link", name=CONDUCT_LINK).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conduct and fitness to practise")


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


@pytest.mark.django_db(transaction=True)
def test_conduct_journey_from_a_public_complaint_to_a_suspension_that_ends_by_itself(
    live_server: Any,
    open_page: Callable[..., Page],
    axe_audit: AxeAudit,
    page_problems: PageProblems,
    settings: Any,
    tmp_path: Path,
) -> None:
    # given a registered social worker, the council's conduct rules and its conduct staff; and the complaint
    # form's minimum time to fill in set to nothing, so the test need not wait like a person
    settings.COUNCIL_COMPLAINT_MIN_SECONDS = 0
    world = _conduct_world()
    entry, registrar, officer, panel = world.entry, world.registrar, world.conduct_officer, world.panel
    number = entry.registration_number
    events_before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    pages = PageChecks(axe_audit)

    # when a member of the public, with no account, opens the home page on a phone and follows "Make a complaint"
    page = open_page(phone=True)
    page.goto("/")
    pages.check(page, "home (before the complaint)")
    page.get_by_role("link", name="Make a complaint", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a complaint about a practitioner")
    pages.check(page, "complaint form")

    # and fills in the form: who they are, whom it is about, what happened with a PDF, and an email address,
    # keeping "do not tell the practitioner who I am" and confirming it is true
    evidence = write_pdf(tmp_path / "complaint-evidence.pdf", "Messages from the social worker")
    _fill_complaint(page, name=PRACTITIONER, number=number, description=DESCRIPTION, evidence=evidence)
    keep_anonymous = page.get_by_label("Do not tell the practitioner who I am")
    expect(keep_anonymous).to_be_checked()
    page.get_by_label("What I have written is true to the best of my knowledge").check()
    pages.check(page, "complaint form: filled in")
    page.get_by_role("button", name="Send the complaint").click()

    # then the confirmation page gives a reference and the private link to follow the complaint
    expect(page.locator(".govuk-panel__title")).to_have_text("Complaint received")
    reference = page.locator("#complaint-reference").inner_text().strip()
    assert REFERENCE.match(reference), reference
    expect(page.get_by_text(f"Your complaint is received. Your reference is {reference}.")).to_be_visible()
    tracking_url = page.locator("#tracking-link").inner_text().strip()
    assert tracking_url.startswith(f"{live_server.url}/complaints/track/"), tracking_url
    assert page.url == tracking_url
    pages.public(page, "complaint received")

    # and the private link shows where the complaint stands
    complaint = Complaint.objects.get(reference=reference)
    page.goto(tracking_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    triage_by = _long_date(complaint.triage_due_date)
    expect(page.locator("#complaint-progress")).to_have_text(
        f"We are looking at your complaint and will decide what to do by {triage_by}."
    )
    pages.public(page, "tracking: received")

    # and the complaint is stored as sent, matched to the practitioner, with the PDF as its attachment
    assert (complaint.status, complaint.practitioner_id, complaint.registration_number_given) == (
        Complaint.Status.RECEIVED,
        entry.practitioner_id,
        number,
    )
    assert (complaint.description, complaint.anonymous_to_practitioner) == (DESCRIPTION, True)
    assert (complaint.complainant_email, complaint.practitioner_named) == ("complainant@example.org", PRACTITIONER)
    attachment = ComplaintAttachment.objects.get(complaint=complaint)
    assert (attachment.original_name, attachment.content_type) == (evidence.name, "application/pdf")
    assert attachment.sha256 == hashlib.sha256(evidence.read_bytes()).hexdigest()

    # when the conduct officer signs in with their code and opens Staff area → Conduct
    officer_page = open_page(phone=False)
    staff_sign_in(officer_page, officer, axe_audit)
    _open_conduct(officer_page, pages, "conduct officer")
    expect(officer_page.locator("#complaints-waiting")).to_have_text("1")
    pages.check(officer_page, "conduct dashboard: one complaint waiting")

    # and opens the complaint: its words and attachment are there for the conduct team
    officer_page.get_by_role("link", name=reference).click()
    expect(officer_page.get_by_role("heading", level=1)).to_have_text(reference)
    expect(officer_page.locator("#complaint-status")).to_have_text("Received, awaiting triage")
    main = officer_page.get_by_role("main")
    expect(main).to_contain_text(MARKER)
    expect(main).to_contain_text("Identity withheld from the practitioner")
    expect(main).to_contain_text(f"Matched on the register: {PRACTITIONER}")
    expect(officer_page.get_by_role("link", name=evidence.name)).to_be_visible()
    expect(officer_page.get_by_label("Registration number of the practitioner (to open a case)")).to_have_value(number)
    pages.check(officer_page, "complaint (conduct officer)")

    # and triages it: a case on the registration number, with the reason
    officer_page.get_by_label("Open a case", exact=True).check()
    officer_page.get_by_label("Reason", exact=True).fill("A child's safety is at stake: this needs investigating.")
    officer_page.get_by_role("button", name="Record triage decision").click()

    # then they land on the new case, under investigation
    case_number = officer_page.get_by_role("heading", level=1).inner_text().strip()
    assert CASE_NUMBER.match(case_number), case_number
    expect(officer_page.get_by_text(f"Case {case_number} is open.")).to_be_visible()
    expect(officer_page.locator("#case-status")).to_contain_text("Investigation")
    expect(officer_page.locator("#entry-status")).to_have_text("Registered")
    expect(officer_page.locator("#case-documents")).to_contain_text(f"Complainant's attachment: {evidence.name}")
    pages.check(officer_page, "case: investigation")
    case = Case.objects.get(number=case_number)
    assert (case.complaint, case.register_entry, case.officer, case.status) == (
        complaint,
        entry,
        officer,
        Case.Status.INVESTIGATION,
    )

    # and the complainant's link says so
    page.goto(tracking_url)
    expect(page.locator("#complaint-progress")).to_have_text("We are investigating.")
    pages.public(page, "tracking: investigating")

    # when a registrar signs in, finds the case and makes an interim suspension from the case page
    registrar_page = open_page(phone=False)
    staff_sign_in(registrar_page, registrar, axe_audit)
    _open_conduct(registrar_page, pages, "registrar")
    pages.check(registrar_page, "conduct dashboard (registrar)")
    registrar_page.locator(".govuk-summary-list__row", has_text="Open cases").get_by_role("link", name="1").click()
    expect(registrar_page.get_by_role("heading", level=1)).to_have_text("Conduct cases")
    pages.check(registrar_page, "conduct cases (registrar)")
    registrar_page.get_by_role("link", name=case_number).click()
    expect(registrar_page.get_by_role("heading", level=1)).to_have_text(case_number)
    expect(registrar_page.locator("#documents-restricted")).to_have_text(
        "1 confidential document: only the case team and the hearing panel can open it."
    )
    pages.check(registrar_page, "case (registrar)")
    registrar_page.get_by_text("Make an interim order").click()
    registrar_page.get_by_label("Suspension", exact=True).check()
    registrar_page.get_by_label("Reason", exact=True).fill("A risk to children while the case is investigated.")
    pages.check(registrar_page, "case: interim order form open")
    registrar_page.get_by_role("button", name="Make the order").click()

    # then the order is in force and the entry suspended
    expect(registrar_page.get_by_text("The interim order is in force and the register shows it.")).to_be_visible()
    expect(registrar_page.locator("#entry-status")).to_have_text("Suspended")
    expect(registrar_page.get_by_role("main")).to_contain_text("Suspension · In force")
    pages.check(registrar_page, "case: interim suspension in force")

    # and the public record shows the interim suspension order at once, and that they may not practise
    interim_start = Publication.objects.get(interim_order__case=case).start_date
    assert interim_start == InterimOrder.objects.get(case=case).effective_date
    _open_record(page, number, pages, "interim order")
    expect(page.locator(".govuk-warning-text")).to_contain_text(NOT_PERMITTED)
    expect(page.get_by_text(MAY_PRACTISE)).to_have_count(0)
    expect(page.get_by_role("heading", name="Fitness to practise")).to_be_visible()
    notices = _notices(page)
    expect(notices).to_have_count(1)
    expect(notices.get_by_role("heading", level=3)).to_have_text("Interim suspension order")
    expect(notices).to_contain_text(f"From {_long_date(interim_start)}.")
    expect(notices).to_contain_text(INTERIM_SUMMARY)
    pages.public(page, "record: interim suspension")

    # when the conduct officer brings charges
    officer_page.reload()
    officer_page.get_by_label("Charges", exact=True).fill(CHARGES)
    officer_page.locator("form[action$='/charge/']").get_by_label("Reason", exact=True).fill(
        "The investigation found evidence for a hearing."
    )
    officer_page.get_by_role("button", name="Record the charges").click()
    expect(officer_page.get_by_text("The charges are recorded.")).to_be_visible()
    expect(officer_page.locator("#case-status")).to_contain_text("Charged")
    pages.check(officer_page, "case: charged")

    # and schedules the hearing a week ahead, with both panel members and a chair
    starts = (dt.datetime.now(JOHANNESBURG) + dt.timedelta(days=7)).replace(hour=9, minute=30, second=0, microsecond=0)
    officer_page.get_by_label("Starts at").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    officer_page.get_by_label("Venue").fill(VENUE)
    for member in panel:
        officer_page.get_by_label(member.email, exact=True).check()
    officer_page.get_by_label("Chair", exact=True).select_option(label=panel[0].email)
    pages.check(officer_page, "case: hearing form filled in")
    officer_page.get_by_role("button", name="Schedule the hearing").click()

    # then the hearing is scheduled, and the panel is waiting to declare
    expect(officer_page.get_by_text("The hearing is scheduled and the panel told.")).to_be_visible()
    expect(officer_page.locator("#case-status")).to_contain_text("Hearing scheduled")
    expect(officer_page.get_by_role("main")).to_contain_text(f"{VENUE} · Scheduled")
    expect(officer_page.get_by_role("main")).to_contain_text("Nomsa Mahlangu (chair): Not yet declared")
    pages.check(officer_page, "case: hearing scheduled")
    hearing = Hearing.objects.get(case=case)
    assert (hearing.starts_at, hearing.venue, hearing.status) == (starts, VENUE, Hearing.Status.SCHEDULED)
    assert {(seat.member, seat.is_chair) for seat in hearing.seats.all()} == {(panel[0], True), (panel[1], False)}

    # when each panel member signs in, opens My hearings and the hearing, and declares no conflict
    panel_pages = []
    for index, member in enumerate(panel, start=1):
        member_page = open_page(phone=False)
        staff_sign_in(member_page, member, axe_audit)
        member_page.get_by_role("link", name="Staff area").click()
        expect(member_page.get_by_role("heading", level=1)).to_have_text("Staff area")
        expect(member_page.get_by_role("link", name=CONDUCT_LINK)).to_have_count(0)
        pages.check(member_page, f"staff area (panel member {index})")
        member_page.get_by_role("link", name="My hearings").click()
        expect(member_page.get_by_role("heading", level=1)).to_have_text("My hearings")
        row = member_page.get_by_role("row").filter(has_text=case_number)
        expect(row).to_contain_text("Not yet declared")
        pages.check(member_page, f"my hearings (panel member {index})")
        row.get_by_role("link").click()
        expect(member_page.get_by_role("heading", level=1)).to_have_text(f"Hearing of case {case_number}")
        expect(member_page.locator("#bundle")).to_have_count(0)
        expect(member_page.get_by_role("main")).not_to_contain_text(MARKER)
        pages.check(member_page, f"hearing: declaration (panel member {index})")
        member_page.get_by_label("No", exact=True).check()
        member_page.get_by_role("button", name="Make my declaration").click()

        # then they see the allegation, the charges and the bundle with the complainant's attachment
        expect(member_page.get_by_text("Your declaration is recorded.")).to_be_visible()
        expect(member_page.get_by_role("main")).to_contain_text(CHARGES)
        expect(member_page.locator("#bundle")).to_have_text(f"Complainant's attachment: {evidence.name}")
        pages.check(member_page, f"hearing: bundle (panel member {index})")
        panel_pages.append(member_page)

    # and the bundle's document is the complainant's file
    chair_page, member_page = panel_pages
    with chair_page.expect_download() as bundle_download:
        chair_page.locator("#bundle").get_by_role("link").click()
    assert bundle_download.value.suggested_filename == evidence.name
    assert Path(bundle_download.value.path()).read_bytes() == evidence.read_bytes()

    # when the second panel member records the decision: proven, six months' suspension
    member_page.get_by_label("Proven: sanction", exact=True).check()
    member_page.get_by_label("Findings").fill(FINDINGS)
    member_page.get_by_label("Sanction", exact=True).select_option(label="Suspension")
    member_page.get_by_label("For (months)").fill("6")
    member_page.get_by_label("Reasons", exact=True).fill(REASONS)
    member_page.get_by_label("Short summary for the public register").fill(PUBLIC_SUMMARY)
    pages.check(member_page, "hearing: decision filled in")
    member_page.get_by_role("button", name="Record the decision").click()

    # then the decision is final
    expect(member_page.get_by_text("The decision is recorded.")).to_be_visible()
    expect(member_page.locator("#decision-summary")).to_have_text("Proven: sanction · Suspension · Final")
    expect(member_page.locator("#hearing-status")).to_have_text("Decided")
    pages.check(member_page, "hearing: decided")
    decision = Decision.objects.get(hearing=hearing)
    sanction = Sanction.objects.get(decision=decision)
    start, end = sanction.start_date, sanction.end_date
    assert (sanction.kind, sanction.status, start, end) == (
        Sanction.Kind.SUSPENSION,
        Sanction.Status.IN_FORCE,
        decision.decided_date,
        add_months(decision.decided_date, 6),
    )
    assert start >= interim_start
    notice = Publication.objects.get(sanction=sanction)
    assert notice.publish_until == end + dt.timedelta(days=30)

    # and the public record shows the suspension with its summary and dates; the interim notice is gone
    _open_record(page, number, pages, "suspension")
    expect(page.locator(".govuk-warning-text")).to_contain_text(NOT_PERMITTED)
    expect(notices).to_have_count(1)
    expect(notices.get_by_role("heading", level=3)).to_have_text("Suspension")
    expect(notices).to_contain_text(f"From {_long_date(start)} until {_long_date(end)}.")
    expect(notices).to_contain_text(PUBLIC_SUMMARY)
    expect(page.get_by_text("Interim suspension order")).to_have_count(0)
    pages.public(page, "record: suspension")
    page.goto(tracking_url)
    expect(page.locator("#complaint-progress")).to_have_text("The hearing panel has made its decision.")
    pages.public(page, "tracking: decided")

    # when the clock moves past the suspension's end and the nightly job runs as production runs it
    with time_machine.travel(
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(2), JOHANNESBURG), tick=True
    ) as clock:
        first_run = daily_run.apply()
        assert first_run.successful(), first_run.traceback
        assert tuple(first_run.get()) == (1, 0)

        # then the entry may practise again, and the suspension's notice stays for its publication period
        _open_record(page, number, pages, "suspension ended")
        expect(page.locator(".govuk-panel__body")).to_have_text(MAY_PRACTISE)
        expect(page.locator(".govuk-warning-text")).to_have_count(0)
        expect(notices).to_have_count(1)
        expect(notices.get_by_role("heading", level=3)).to_have_text("Suspension")
        expect(notices).to_contain_text(f"From {_long_date(start)} until {_long_date(end)}.")
        expect(notices).to_contain_text(PUBLIC_SUMMARY)
        pages.public(page, "record: suspension ended, notice still up")

        # when the clock moves past the publication period and the job runs again
        clock.move_to(dt.datetime.combine(end + dt.timedelta(days=31), dt.time(2), JOHANNESBURG))
        second_run = daily_run.apply()
        assert second_run.successful(), second_run.traceback
        assert tuple(second_run.get()) == (0, 1)

        # then the notice is gone from the public record, which still shows they may practise
        _open_record(page, number, pages, "notice taken down")
        expect(page.locator(".govuk-panel__body")).to_have_text(MAY_PRACTISE)
        expect(page.get_by_role("heading", name="Fitness to practise")).to_have_count(0)
        expect(page.locator("#fitness-to-practise")).to_have_count(0)
        expect(page.get_by_text(PUBLIC_SUMMARY)).to_have_count(0)
        pages.public(page, "record: notice taken down")

    # and the complaint's own words reached no public page, and every page was accessible without errors
    assert len(pages.seen_by_public) >= 14
    assert pages.leaks(MARKER) == []
    assert pages.leaks("shouted at my son") == []
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert pages.duplicate_ids == [], "\n".join(pages.duplicate_ids)
    assert page_problems.errors == []

    # and the database holds the story's end: the sanction ended, the entry registered, every notice down
    entry.refresh_from_db()
    sanction.refresh_from_db()
    notice.refresh_from_db()
    assert entry.status == RegisterEntry.Status.REGISTERED
    assert sanction.status == Sanction.Status.ENDED
    assert notice.status == Publication.Status.TAKEN_DOWN
    interim = InterimOrder.objects.get(case=case)
    assert (interim.status, interim.made_by) == (InterimOrder.Status.ENDED, registrar)
    assert not Publication.objects.filter(register_entry=entry, status=Publication.Status.PUBLISHED).exists()
    assert set(PanelSeat.objects.filter(hearing=hearing).values_list("declaration", flat=True)) == {
        PanelSeat.Declaration.NO_CONFLICT
    }
    assert (decision.status, decision.recorded_by, decision.sanction_months) == (Decision.Status.FINAL, panel[1], 6)
    assert (decision.public_summary, decision.findings, decision.reasons) == (PUBLIC_SUMMARY, FINDINGS, REASONS)

    # and the audit trail tells the story, the nightly job acting as nobody
    told = {
        "complaint.received",
        "case.opened",
        "interim_order.made",
        "decision.recorded",
        "sanction.imposed",
        "sanction.ended",
        "publication.taken_down",
        "register_entry.status_changed",
    }
    trail = AuditEvent.objects.filter(pk__gt=events_before, action__in=told).order_by("pk")
    assert [(event.action, event.actor) for event in trail] == [
        ("complaint.received", None),
        ("case.opened", officer),
        ("interim_order.made", registrar),
        ("register_entry.status_changed", registrar),  # suspended by the interim order
        ("decision.recorded", panel[1]),
        ("publication.taken_down", panel[1]),  # the interim notice, superseded by the decision
        ("sanction.imposed", panel[1]),
        ("register_entry.status_changed", None),  # the batch restores the entry
        ("sanction.ended", None),
        ("publication.taken_down", None),  # the suspension's notice, at the end of its period
    ]
    restored = trail.filter(action="register_entry.status_changed", actor__isnull=True).get()
    assert (restored.object_id, restored.before["status"], restored.after["status"]) == (
        str(entry.pk),
        "SUSPENDED",
        "REGISTERED",
    )
    assert restored.reason == "Sanction period ended"
    assert trail.get(action="sanction.ended").object_id == str(sanction.pk)
    taken_down = [event.object_id for event in trail.filter(action="publication.taken_down")]
    interim_notice = Publication.objects.get(interim_order=interim)
    assert taken_down == [str(interim_notice.pk), str(notice.pk)]
    assert trail.get(action="complaint.received").object_id == str(complaint.pk)


@pytest.mark.django_db(transaction=True)
def test_the_complaint_form_explains_bad_input_and_keeps_what_was_typed(
    live_server: Any,
    open_page: Callable[..., Page],
    axe_audit: AxeAudit,
    page_problems: PageProblems,
    settings: Any,
    tmp_path: Path,
) -> None:
    # given a registered social worker, and no minimum time to fill in the form
    settings.COUNCIL_COMPLAINT_MIN_SECONDS = 0
    world = _conduct_world()
    number = world.entry.registration_number
    pages = PageChecks(axe_audit)

    # when a member of the public sends the form with nothing in "What happened?" and a text file renamed .pdf
    page = open_page(phone=True)
    page.goto("/complaints/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a complaint about a practitioner")
    pages.check(page, "complaint form")
    fake_pdf = tmp_path / "notes.pdf"
    fake_pdf.write_text("These are my notes about the visit, typed in a text editor.\n")
    _fill_complaint(page, name=PRACTITIONER, number=number, description="", evidence=fake_pdf)
    page.get_by_label("What I have written is true to the best of my knowledge").check()
    page.get_by_role("button", name="Send the complaint").click()

    # then the error summary names both problems, each linked to its field
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Tell us what happened.")).to_have_attribute("href", "#id_description")
    expect(
        summary.get_by_role(
            "link", name="The selected file must be a PDF, JPG or PNG. Its contents are not one of those."
        )
    ).to_have_attribute("href", "#id_attachments")
    expect(summary.get_by_role("listitem")).to_have_count(2)
    expect(page.locator("#id_description-error")).to_contain_text("Tell us what happened.")
    expect(page.locator("#id_attachments-error")).to_contain_text("The selected file must be a PDF, JPG or PNG.")

    # and what was typed is kept, except the file, which the form asks to choose again
    expect(page.get_by_label("The practitioner's name")).to_have_value(PRACTITIONER)
    expect(page.get_by_label("Their registration number, if you know it")).to_have_value(number)
    expect(page.get_by_label("Your email address (optional)")).to_have_value("complainant@example.org")
    expect(page.get_by_label(COMPLAINANT_ROLE, exact=True)).to_be_checked()
    expect(page.get_by_label("What I have written is true to the best of my knowledge")).to_be_checked()
    expect(page.get_by_text("For your safety, files you chose before are not kept")).to_be_visible()
    pages.check(page, "complaint form: two problems")

    # and every page was accessible; the only failed request was the refused form; nothing was stored
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert pages.duplicate_ids == [], "\n".join(pages.duplicate_ids)
    assert page_problems.errors == [f"HTTP 400 for POST {live_server.url}/complaints/"]
    assert not Complaint.objects.exists()
    assert not ComplaintAttachment.objects.exists()
    assert not AuditEvent.objects.filter(action="complaint.received").exists()
