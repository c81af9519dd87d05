"""The legacy register import in a real browser: upload, choose the columns, read the check, import,
then merge a duplicate; each page passes axe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from legacy.models import DuplicatePair
from registry.models import Practitioner
from tests.browser.conftest import AxeAudit, PageProblems, staff_sign_in
from tests.legacy.conftest import put_on_register, register, sample_file  # noqa: F401 - the fixture, for this directory

pytestmark = pytest.mark.browser


def test_a_registrar_imports_an_old_register_and_merges_a_duplicate(
    open_page: Any,
    register: dict[str, Any],  # noqa: F811
    registrar: Any,
    axe_audit: AxeAudit,
    page_problems: PageProblems,
    tmp_path: Path,
) -> None:
    # given an old register of 200 rows, four of whose people are on the register already
    sample = sample_file(rows=200)
    put_on_register(sample, register)
    path = tmp_path / "old-register.xlsx"
    path.write_bytes(sample.xlsx_bytes())
    page = open_page(phone=False)
    staff_sign_in(page, registrar, axe_audit)
    # when the registrar uploads it from the staff area
    page.goto("/staff/")
    page.get_by_role("link", name="Import an existing register").click()
    axe_audit.check(page, "legacy import")
    page.get_by_label("Register file (CSV or XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and choose the columns").click()
    # then the columns are guessed from the header, and can be checked against the first values
    expect(page.get_by_role("heading", name="Choose the columns")).to_be_visible()
    expect(page.get_by_label("Family name")).to_have_value(str(sample.header.index("Surname")))
    axe_audit.check(page, "choose the columns")
    page.get_by_role("button", name="Check every row").click()
    # and the check finds no problem, twelve possible duplicates, and where numbering will continue
    expect(page.locator("#import-errors")).to_have_text("0")
    expect(page.locator("#import-duplicates")).to_have_text("12")
    expect(page.locator("#numbering")).to_contain_text(f"SW-{sample.highest_number('SW') + 1:06d}-")
    axe_audit.check(page, "the check")
    page.get_by_role("button", name="Import 200 registrants").click()
    expect(page.get_by_text("200 registrants were imported.")).to_be_visible()
    # when they open the first possible duplicate and merge it with a reason
    page.get_by_role("link", name="Decide each one").click()
    axe_audit.check(page, "possible duplicates")
    page.get_by_role("link", name="Decide").first.click()
    expect(page.get_by_role("heading", name="Is this one person?")).to_be_visible()
    axe_audit.check(page, "a pair")
    page.get_by_label("Why are these the same person?").fill("Same date of birth and ID number on both records")
    page.get_by_role("button", name="Merge the two records").click()
    # then the pair is decided and one of its records now points at the other
    expect(page.get_by_text("The two records are now one")).to_be_visible()
    assert DuplicatePair.objects.filter(status=DuplicatePair.Status.MERGED).count() == 1
    assert Practitioner.objects.filter(merged_into__isnull=False).count() == 1
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == []
