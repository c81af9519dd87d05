"""Data protection in a real browser: a registrar disposes of a record past retention, and a practitioner
chooses what the public register shows; every page passes axe."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from core.models import Notification
from retention import services as retention_services
from retention.models import FlagStatus, RetentionFlag
from tests.browser.conftest import AxeAudit, PageProblems, staff_sign_in
from tests.factories import PASSWORD
from tests.portal.test_public_register import _register

pytestmark = pytest.mark.browser


def test_a_registrar_disposes_of_an_old_email_from_the_review(
    open_page: Any, council: Any, registrar: Any, axe_audit: AxeAudit, page_problems: PageProblems
) -> None:
    # given an email sent years ago, flagged by the nightly sweep
    sent = Notification.objects.create(
        to_email="old@example.org",
        subject="Your application",
        body="Old news",
        kind="application_submitted",
        status=Notification.Status.SENT,
        sent_at=dt.datetime(2019, 5, 1, 9, tzinfo=dt.UTC),
    )
    retention_services.retention_sweep()
    # when the registrar opens the review from the staff area and disposes of it with a reason
    page = open_page(phone=False)
    staff_sign_in(page, registrar, axe_audit)
    page.goto("/staff/")
    page.get_by_role("link", name="Records past retention").click()
    expect(page.get_by_role("heading", name="Records past retention")).to_be_visible()
    axe_audit.check(page, "retention review")
    page.get_by_role("link", name="Emails sent or given up on").click()
    axe_audit.check(page, "retention flags")
    page.get_by_label("Choose application_submitted").check()
    page.get_by_label("Dispose of them as described above").check()
    page.get_by_label("Reason").fill("Six months passed; nothing outstanding")
    page.get_by_role("button", name="Record the decision").click()
    # then the page confirms it, the list is empty, and the email is gone
    expect(page.get_by_text("1 record disposed of.")).to_be_visible()
    expect(page.get_by_text("Nothing of this kind is awaiting review.")).to_be_visible()
    axe_audit.check(page, "retention flags after the decision")
    assert not Notification.objects.filter(pk=sent.pk).exists()
    assert RetentionFlag.objects.get(object_id=sent.pk).status == FlagStatus.DISPOSED
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == []


def test_a_practitioner_chooses_to_publish_their_town(
    open_page: Any, council: Any, categories: Any, registrar: Any, axe_audit: AxeAudit, page_problems: PageProblems
) -> None:
    # given a council publishing towns of work with the practitioner's consent, and a registered practitioner
    council.public_register_shows_work_town = True
    council.save()
    entry = _register(categories, registrar, "Lerato", "Dlamini")
    # when they sign in, go to their registration and choose to show the town where they work
    page = open_page(phone=True)
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(entry.practitioner.user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto("/licence/")
    page.get_by_role("link", name="Choose what the public register shows about you").click()
    expect(page).to_have_url(re.compile(r"/my-record/public-register/$"))
    axe_audit.check(page, "public register choices")
    page.get_by_label("Town or city where you work").fill("Polokwane")
    page.get_by_label("The town or city where I work may be shown on the public register").check()
    page.get_by_role("button", name="Save your choices").click()
    expect(page.get_by_text("Your choices for the public register are saved.")).to_be_visible()
    axe_audit.check(page, "public register choices saved")
    # then their public record shows it
    public = open_page(phone=True)
    public.goto(f"/register/{entry.registration_number}/")
    expect(public.locator("#work-town")).to_have_text("Polokwane")
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == []
