"""Pass rates by sitting, category, institution and attempt, with groups under 10 hidden."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from core.roles import Role
from exams import selectors, services
from tests import factories
from tests.conftest import mfa_login
from tests.exams.conftest import approved_to_test, results_recorded, sitting_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_sittings(exam, exams_officer, version):
    """A sitting of 10 candidates (7 pass) and one of 9 (all pass)."""
    big = sitting_make(exams_officer, version, code="big")
    small = sitting_make(exams_officer, version, code="small")
    registrar = factories.staff_user(Role.REGISTRAR)
    big_bookings = [services.booking_create(actor=approved_to_test(exam, registrar), sitting=big) for _ in range(10)]
    small_bookings = [services.booking_create(actor=approved_to_test(exam, registrar), sitting=small) for _ in range(9)]
    results_recorded(
        exams_officer, big, [(booking, 120 if index < 7 else 50) for index, booking in enumerate(big_bookings)]
    )
    results_recorded(exams_officer, small, [(booking, 120) for booking in small_bookings])
    return big, small


def test_a_group_of_nine_is_hidden_and_a_group_of_ten_is_shown(two_sittings):
    cells = {cell.label: cell for cell in selectors.pass_rates(dimension="sitting")}
    assert (cells["big"].candidates, cells["big"].passed, cells["big"].rate_percent, cells["big"].suppressed) == (
        10,
        7,
        70.0,
        False,
    )
    assert (cells["small"].candidates, cells["small"].passed, cells["small"].rate_percent) == (None, None, None)
    assert cells["small"].suppressed
    # together they make one category of 19
    (category,) = selectors.pass_rates(dimension="category")
    assert (category.label, category.candidates, category.passed) == ("Social worker", 19, 16)
    # none had an institution recorded (approvals to test, no qualification on file)
    (institution,) = selectors.pass_rates(dimension="institution")
    assert (institution.label, institution.candidates) == ("Not recorded", 19)
    (attempt,) = selectors.pass_rates(dimension="attempt")
    assert (attempt.label, attempt.candidates) == ("First attempt", 19)


def test_the_report_and_its_csv_hide_the_small_group(client, two_sittings):
    client = mfa_login(client, factories.staff_user(Role.REGISTRAR))
    page = client.get(reverse("exams_staff:pass-rates")).content.decode()
    assert "70.0%" in page
    assert "Fewer than 10 candidates: hidden" in page
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("exams_staff:pass-rates-csv")).content.decode())))
    by_group = {(row["dimension"], row["group"]): row for row in rows}
    assert by_group[("sitting", "big")]["candidates"] == "10"
    assert by_group[("sitting", "big")]["pass_rate_percent"] == "70.0"
    small = by_group[("sitting", "small")]
    assert (small["candidates"], small["passed"], small["pass_rate_percent"]) == ("", "", "")
    assert "suppressed" in small["note"]


def test_the_staff_dashboard_charts_pass_rates_for_those_who_may_see_them(client, two_sittings):
    registrar = mfa_login(client, factories.staff_user(Role.REGISTRAR))
    page = registrar.get(reverse("staff:dashboard")).content.decode()
    assert "Pass rate by register category" in page
    assert "84.2%" in page  # 16 of 19
    finance = mfa_login(client, factories.staff_user(Role.FINANCE_OFFICER))
    assert "Pass rate by register category" not in finance.get(reverse("staff:dashboard")).content.decode()
