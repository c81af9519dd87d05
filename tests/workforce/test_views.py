"""The workforce dashboard, its exports, and the child population page, as staff use them."""

from __future__ import annotations

import io
from http import HTTPStatus

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import mfa_login
from workforce.models import ChildPopulation


def test_the_dashboard_draws_its_charts_as_svg_beside_tables_with_no_script(registrar, workforce):
    client = mfa_login(Client(), registrar)
    response = client.get(reverse("workforce:dashboard"), {"as_at": "", "by": "sex"})
    # an empty date is an invalid choice: the page falls back to today and says what is wrong
    assert response.status_code == HTTPStatus.OK
    assert "govuk-error-summary" in response.content.decode()
    response = client.get(reverse("workforce:dashboard"), {"by": "sex"})
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    for chart, table in (("indicator-chart", "indicator-table"), ("breakdown-chart", "breakdown-table")):
        assert f'id="{chart}" role="img"' in page
        assert f'id="{table}"' in page
    # the indicator's table holds North's ratio: 4 workers for 200,000 children
    assert '<th scope="row" class="govuk-table__header">North</th>' in page
    assert "2.0" in page


def test_every_figure_exports_as_csv_and_xlsx_with_the_same_numbers(registrar, workforce):
    client = mfa_login(Client(), registrar)
    csv = client.get(reverse("workforce:export", args=["indicator", "csv"]))
    assert csv.status_code == HTTPStatus.OK
    assert csv["Content-Type"].startswith("text/csv")
    rows = [line.split(",") for line in csv.content.decode("utf-8-sig").splitlines()]
    assert rows[0][:3] == ["Region", "Category", "Workers"]
    north = next(row for row in rows if row[0] == "North" and row[1] == "All categories")
    assert north[2:] == ["4", "200000", str(ChildPopulation.objects.first().year), "2.0"]
    xlsx = client.get(reverse("workforce:export", args=["indicator", "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[[row[0:2] for row in values].index(["North", "All categories"])][:4] == [
        "North",
        "All categories",
        4,
        200000,
    ]
    for figure in ("breakdown", "statuses", "flows"):
        for file_format in ("csv", "xlsx"):
            response = client.get(reverse("workforce:export", args=[figure, file_format]), {"by": "region"})
            assert response.status_code == HTTPStatus.OK, (figure, file_format)
    assert client.get(reverse("workforce:export", args=["nothing", "csv"])).status_code == HTTPStatus.NOT_FOUND


def test_a_bad_population_file_shows_every_row_problem_and_imports_nothing(registrar, regions):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = mfa_login(Client(), registrar)
    upload = SimpleUploadedFile("children.csv", b"region,year,children\nnorth,2026,100\natlantis,2026,5\n")
    response = client.post(reverse("workforce:child-population"), {"file": upload, "reason": "Estimates"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Line 3" in response.content.decode()
    assert not ChildPopulation.objects.exists()
