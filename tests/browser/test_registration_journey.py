"""Acceptance: from signing up to being found on the public register, every step in a real browser.

An applicant on a phone signs up, confirms their email, applies and uploads their documents. The registrar
assigns the case to a registration officer, who asks for more information; the applicant answers; the
registrar approves. A visitor then finds the new practitioner on the public register, typing the name
without its accents. axe-core checks every page state on the way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Locator, Page, expect

from core.models import AuditEvent, Notification, User
from core.roles import Role
from registry.models import Application, RegisterEntry
from tests import factories
from tests.browser.conftest import AxeAudit, PageProblems, staff_sign_in, write_pdf

pytestmark = pytest.mark.browser

APPLICANT_EMAIL = "jose.nunez@example.org"
APPLICANT_PASSWORD = "Umhlanga-rocks-2026"
INFORMATION_WANTED = "Please tell us the name of your practice supervisor during your degree."
ANSWER = "My supervisor was Ms Naledi Dlamini, a registered social worker."
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")
REGISTRATION_NUMBER = re.compile(r"\bSW-[0-9A-Z-]+\b")


def _status(page: Page) -> Locator:
    return page.locator("#application-status")


def _sign_up_and_confirm(page: Page, axe_audit: AxeAudit) -> None:
    page.goto("/accounts/signup/")
    axe_audit.check(page, "sign up")
    page.get_by_label("Email", exact=True).fill(APPLICANT_EMAIL)
    page.get_by_label("Password", exact=True).fill(APPLICANT_PASSWORD)
    page.get_by_label("Password (again)", exact=True).fill(APPLICANT_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    axe_audit.check(page, "verification sent")

    messages = [message for message in mail.outbox if APPLICANT_EMAIL in message.to]
    assert len(messages) == 1, [message.subject for message in mail.outbox]
    link = CONFIRM_LINK.search(messages[0].body)
    assert link is not None, messages[0].body
    page.goto(link.group(0))
    axe_audit.check(page, "confirm email")
    page.get_by_role("button", name="Confirm").click()
    # ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION: the same browser that signed up is now signed in.
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()
    axe_audit.check(page, "home, signed in")


def _apply(page: Page, axe_audit: AxeAudit, identity_pdf: Path, degree_pdf: Path) -> str:
    page.goto("/apply/new/")
    axe_audit.check(page, "start application")
    expect(page.locator(".govuk-radios__label")).to_have_text(["Social worker", "Social auxiliary worker"])
    page.get_by_label("Social worker", exact=True).check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    axe_audit.check(page, "step: your details")
    page.get_by_label("Given names").fill("José")
    page.get_by_label("Family name").fill("Núñez")
    page.get_by_label("Date of birth").fill("1990-05-17")
    page.get_by_label("National ID number").fill("9005175800086")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your qualification")
    axe_audit.check(page, "step: qualification")
    qualification = page.get_by_label("Qualification", exact=True)
    expect(qualification.locator("option", has_text="Bachelor of Social Work")).to_have_text("Bachelor of Social Work")
    qualification.select_option(label="Bachelor of Social Work")
    page.get_by_label("Institution that awarded it").fill("University of the Western Cape")
    page.get_by_label("Date awarded").fill("2014-12-10")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Work and supervised practice")
    axe_audit.check(page, "step: employment")
    page.get_by_label("Employer", exact=True).fill("Cape Town Child Welfare Society")
    page.get_by_label("Job title").fill("Social worker")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Non-governmental", exact=True).check()
    page.get_by_label("Supervised practice hours").fill("960")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Supporting documents")
    axe_audit.check(page, "step: documents")
    uploaded: list[re.Pattern[str]] = []
    for kind, pdf in (("Identity document", identity_pdf), ("Degree or qualification certificate", degree_pdf)):
        page.get_by_label(kind, exact=True).check()
        page.get_by_label("Upload a file").set_input_files(pdf)
        page.get_by_role("button", name="Upload", exact=True).click()
        expect(page.get_by_text("The document was uploaded.")).to_be_visible()
        # The applicant sees the name of the file they chose, with its size.
        uploaded.append(re.compile(rf"^{re.escape(pdf.name)} \({pdf.stat().st_size}\sbytes\)$"))
        expect(page.locator(".govuk-summary-list__value")).to_have_text(uploaded)
        axe_audit.check(page, f"step: documents, {kind} uploaded")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Declaration")
    axe_audit.check(page, "step: declaration")
    page.get_by_label("I declare that the information I have given is true").check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before submitting")
    axe_audit.check(page, "check your answers")
    main = page.get_by_role("main")
    expect(main).to_contain_text("José Núñez")
    expect(main).to_contain_text("17 May 1990")
    expect(main).to_contain_text("Bachelor of Social Work")
    expect(main.get_by_role("link", name=re.compile(r"\.pdf$"))).to_have_text(["identity.pdf", "degree.pdf"])
    expect(main).to_contain_text("You have confirmed the declaration.")
    page.get_by_role("button", name="Submit application").click()

    expect(page.get_by_text("Your application has been submitted.")).to_be_visible()
    expect(_status(page)).to_have_text("Submitted")
    axe_audit.check(page, "application submitted")
    heading = page.get_by_role("heading", level=1).inner_text()
    reference = re.search(r"APP-\d+", heading)
    assert reference is not None, heading
    return reference.group(0)


def _open_case(page: Page, axe_audit: AxeAudit, reference: str, label: str) -> str:
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{reference}: José Núñez")
    axe_audit.check(page, label)
    return page.url


@pytest.mark.django_db(transaction=True)
def test_application_journey_from_sign_up_to_public_register(
    live_server: Any, open_page: Any, axe_audit: AxeAudit, page_problems: PageProblems, tmp_path: Path
) -> None:
    # given the council, its categories, a registration officer and a registrar with authenticator apps
    factories.council_create()
    factories.categories_create()
    officer = factories.staff_user(Role.REGISTRATION_OFFICER, email="officer@council.example", name="Pieter Botha")
    registrar = factories.staff_user(Role.REGISTRAR, email="registrar@council.example", name="Thandi Mokoena")
    identity_pdf = write_pdf(tmp_path / "identity.pdf", "Identity document: Jose Nunez")
    degree_pdf = write_pdf(tmp_path / "degree.pdf", "Bachelor of Social Work: Jose Nunez")

    # when the applicant signs up on a phone, confirms their email and applies
    applicant_page = open_page(phone=True)
    _sign_up_and_confirm(applicant_page, axe_audit)
    reference = _apply(applicant_page, axe_audit, identity_pdf, degree_pdf)

    # and the registrar signs in with their code and assigns the case to the officer
    registrar_page = open_page(phone=False)
    staff_sign_in(registrar_page, registrar, axe_audit)
    registrar_page.goto("/staff/applications/")
    axe_audit.check(registrar_page, "staff queue (registrar)")
    expect(registrar_page.get_by_label("Category").locator("option")).to_have_text(
        ["Any category", "Social worker", "Social auxiliary worker"]
    )
    case_url = _open_case(registrar_page, axe_audit, reference, "case (registrar, submitted)")
    expect(_status(registrar_page)).to_have_text("Submitted")
    expect(registrar_page.get_by_role("link", name=re.compile(r"\.pdf$"))).to_have_text(
        ["Identity document: identity.pdf", "Degree or qualification certificate: degree.pdf"]
    )
    registrar_page.get_by_label("Assign to").select_option(label="Pieter Botha")
    registrar_page.get_by_role("button", name="Assign", exact=True).click()
    expect(_status(registrar_page)).to_have_text("In review")
    expect(registrar_page.get_by_text("Assigned to: Pieter Botha")).to_be_visible()
    axe_audit.check(registrar_page, "case (registrar, assigned)")

    # and the officer, in their own browser, finds it among their cases and asks for more information
    officer_page = open_page(phone=False)
    staff_sign_in(officer_page, officer, axe_audit)
    officer_page.goto("/staff/")
    axe_audit.check(officer_page, "staff dashboard (officer)")
    officer_page.get_by_role("link", name="Applications assigned to me").click()
    expect(officer_page.get_by_role("link", name=reference, exact=True)).to_be_visible()
    axe_audit.check(officer_page, "staff queue (officer, assigned to me)")
    _open_case(officer_page, axe_audit, reference, "case (officer, in review)")
    expect(officer_page.get_by_role("heading", name="Registrar's decision")).to_have_count(0)
    officer_page.get_by_label("What does the applicant need to provide?").fill(INFORMATION_WANTED)
    officer_page.get_by_role("button", name="Send request").click()
    expect(officer_page.get_by_text("The applicant has been asked for more information.")).to_be_visible()
    expect(_status(officer_page)).to_have_text("Information requested")
    axe_audit.check(officer_page, "case (officer, information requested)")

    # and the applicant sees the request and answers it
    applicant_page.goto("/apply/")
    axe_audit.check(applicant_page, "my applications")
    applicant_page.get_by_role("link", name=reference, exact=True).click()
    expect(_status(applicant_page)).to_have_text("Information requested")
    expect(applicant_page.get_by_role("main")).to_contain_text(INFORMATION_WANTED)
    axe_audit.check(applicant_page, "application, information requested")
    applicant_page.get_by_role("button", name="Answer the council").click()
    expect(applicant_page).to_have_url(re.compile(r"/apply/\d+/respond/$"))
    axe_audit.check(applicant_page, "answer the council")
    applicant_page.get_by_label("Your answer").fill(ANSWER)
    applicant_page.get_by_role("button", name="Send answer").click()
    expect(applicant_page.get_by_text("Thank you. Your answer has been sent to the council.")).to_be_visible()
    expect(_status(applicant_page)).to_have_text("In review")
    axe_audit.check(applicant_page, "application, answered")

    # and the registrar approves
    registrar_page.goto(case_url)
    expect(_status(registrar_page)).to_have_text("In review")
    expect(registrar_page.get_by_role("main")).to_contain_text(ANSWER)
    axe_audit.check(registrar_page, "case (registrar, answered)")
    registrar_page.get_by_label("Approve and enter on the register").check()
    registrar_page.get_by_role("button", name="Record decision").click()
    expect(registrar_page.get_by_text("The decision was recorded and the applicant notified.")).to_be_visible()
    expect(_status(registrar_page)).to_have_text("Approved")
    record_link = registrar_page.get_by_role("link", name=REGISTRATION_NUMBER)
    expect(record_link).to_be_visible()
    axe_audit.check(registrar_page, "case (registrar, approved)")
    number_match = REGISTRATION_NUMBER.search(record_link.inner_text())
    assert number_match is not None
    registration_number = number_match.group(0)
    record_link.click()
    expect(registrar_page.get_by_role("heading", level=1)).to_have_text("José Núñez")
    expect(registrar_page.get_by_role("main")).to_contain_text(registration_number)
    axe_audit.check(registrar_page, "staff register record")

    # and the applicant sees their registration number
    applicant_page.reload()
    expect(_status(applicant_page)).to_have_text("Approved")
    expect(applicant_page.get_by_role("main")).to_contain_text(registration_number)
    axe_audit.check(applicant_page, "application, approved")

    # then a visitor finds them on the public register, typing the name without accents
    visitor_page = open_page(phone=True)
    visitor_page.goto("/register/")
    axe_audit.check(visitor_page, "public register search")
    visitor_page.get_by_label("Name or registration number").fill("jose nunez")
    visitor_page.get_by_role("button", name="Search", exact=True).click()
    expect(visitor_page.get_by_role("heading", name="1 result")).to_be_visible()
    expect(visitor_page.get_by_role("main")).to_contain_text(registration_number)
    axe_audit.check(visitor_page, "public register results")
    visitor_page.get_by_role("link", name="José Núñez").click()
    expect(visitor_page).to_have_url(re.compile(rf"/register/{re.escape(registration_number)}/$"))
    expect(visitor_page.get_by_role("heading", level=1)).to_have_text("José Núñez")
    expect(visitor_page.locator(".council-status-tag")).to_have_text("Registered")
    expect(visitor_page.get_by_text("Registered: may practise")).to_be_visible()
    axe_audit.check(visitor_page, "public register record")

    # and every page was accessible and rendered without errors
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == []

    # and the database holds the decision, the register entry shown on the page, and the audit trail
    applicant = User.objects.get(email=APPLICANT_EMAIL)
    application = Application.objects.get(applicant=applicant)
    assert application.reference == reference
    assert application.status == Application.Status.APPROVED
    assert application.assigned_to == officer
    assert application.decided_by == registrar
    assert (application.given_names, application.family_name) == ("José", "Núñez")
    assert sorted(application.documents.values_list("kind", "original_name", "content_type", "size_bytes")) == [
        ("DEGREE", "degree.pdf", "application/pdf", degree_pdf.stat().st_size),
        ("IDENTITY", "identity.pdf", "application/pdf", identity_pdf.stat().st_size),
    ]
    request = application.information_requests.get()
    assert (request.requested_by, request.message, request.response) == (officer, INFORMATION_WANTED, ANSWER)
    entry = RegisterEntry.objects.get(registration_number=registration_number)
    assert entry.application == application
    assert entry.status == RegisterEntry.Status.REGISTERED
    assert entry.practitioner.user == applicant
    assert entry.practitioner.full_name == "José Núñez"

    events = AuditEvent.objects.filter(object_type__model="application", object_id=str(application.pk)).order_by("id")
    assert [(event.action, event.actor) for event in events] == [
        ("application.started", applicant),
        ("application.draft_saved", applicant),  # your details
        ("application.draft_saved", applicant),  # qualification
        ("application.draft_saved", applicant),  # employment
        ("application.document_added", applicant),
        ("application.document_added", applicant),
        ("application.draft_saved", applicant),  # declaration
        ("application.submitted", applicant),
        ("application.assigned", registrar),
        ("application.information_requested", officer),
        ("application.information_provided", applicant),
        ("application.approved", registrar),
    ]
    entry_events = AuditEvent.objects.filter(object_type__model="registerentry", object_id=str(entry.pk))
    assert [(event.action, event.actor) for event in entry_events] == [("register_entry.registered", registrar)]

    notifications = Notification.objects.order_by("id").values_list("recipient__email", "kind", "status")
    assert list(notifications) == [
        (APPLICANT_EMAIL, "application_submitted", Notification.Status.SENT),
        (officer.email, "application_assigned", Notification.Status.SENT),
        (APPLICANT_EMAIL, "information_requested", Notification.Status.SENT),
        (officer.email, "information_provided", Notification.Status.SENT),
        (APPLICANT_EMAIL, "application_approved", Notification.Status.SENT),
    ]
