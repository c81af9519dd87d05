"""The workforce dashboard in a real browser: it works with JavaScript switched off, and passes axe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, TIMEOUT_MS, AxeAudit, PageProblems, staff_sign_in, totp_code
from tests.factories import PASSWORD
from tests.workforce.conftest import regions, workforce  # noqa: F401 - the fixtures, for this directory

pytestmark = pytest.mark.browser


@pytest.mark.usefixtures("workforce")
def test_the_dashboard_shows_the_indicator_with_javascript_switched_off(
    browser: Any, live_server: Any, registrar: Any
) -> None:
    # given a registrar whose browser runs no JavaScript at all
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(registrar.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code", exact=True).fill(totp_code(registrar.totp_secret))
    page.get_by_role("button", name="Sign In").click()
    # when they open the workforce dashboard
    page.goto("/staff/workforce/")
    # then the headline indicator is there as a chart and as a table, worked out on the server
    expect(page.get_by_role("img", name="Workers per 100,000 children")).to_be_visible()
    table = page.locator("#indicator-table")
    north = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="North", exact=True)).first
    expect(north).to_contain_text("2.0")
    south = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="South", exact=True)).first
    expect(south).to_contain_text("4.0")
    # and the breakdown can be changed with the plain form
    page.get_by_label("Break the workers down by").select_option("sex")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"by=sex"))
    expect(page.get_by_role("img", name="Workers by sex")).to_be_visible()
    expect(page.locator("#breakdown-table")).to_contain_text("Female")
    context.close()


@pytest.mark.usefixtures("workforce")
def test_the_dashboard_and_open_data_pass_axe(
    open_page: Any, registrar: Any, axe_audit: AxeAudit, page_problems: PageProblems
) -> None:
    page = open_page(phone=False)
    staff_sign_in(page, registrar, axe_audit)
    page.goto("/staff/workforce/")
    axe_audit.check(page, "workforce dashboard")
    page.goto("/staff/workforce/children/")
    axe_audit.check(page, "child population")
    public = open_page(phone=True)
    public.goto("/open-data/")
    expect(public.get_by_role("table").first).to_be_visible()
    axe_audit.check(public, "open data")
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == []
