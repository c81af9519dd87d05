"""Workforce statistics: the headline indicator against a hand calculation, the breakdowns, flows,
the child population import, and the published tables' small-cell suppression."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from core.models import AuditEvent
from core.selectors import council_today
from workforce import figures, selectors, services
from workforce.disclosure import THRESHOLD, suppress
from workforce.models import ChildPopulation


def _ratios(rows: list[selectors.IndicatorRow]) -> dict[tuple[str, str], tuple[int, Decimal | None]]:
    return {(row.region.name, row.category): (row.workers, row.per_100k) for row in rows}


def test_workers_per_100000_children_matches_a_hand_calculation(workforce):
    # when the indicator is worked out for today
    ratios = _ratios(selectors.workers_per_children(as_at=council_today()))
    # then, by hand: North has 2 social workers of its own (the suspended one does not count) and the
    # 2 workers of North East within it: 4 workers for 200,000 children = 2.0 per 100,000
    assert ratios[("North", "")] == (4, Decimal("2.0"))
    assert ratios[("North", "Social worker")] == (3, Decimal("1.5"))  # 3 x 100,000 / 200,000
    assert ratios[("North", "Social auxiliary worker")] == (1, Decimal("0.5"))
    # North East: 2 workers for 40,000 children = 5.0; 1 of each cadre = 2.5 each
    assert ratios[("North East", "")] == (2, Decimal("5.0"))
    assert ratios[("North East", "Social worker")] == (1, Decimal("2.5"))
    assert ratios[("North East", "Social auxiliary worker")] == (1, Decimal("2.5"))
    # South: 2 social workers for 50,000 children = 4.0, and no auxiliary workers
    assert ratios[("South", "")] == (2, Decimal("4.0"))
    assert ratios[("South", "Social worker")] == (2, Decimal("4.0"))
    assert ratios[("South", "Social auxiliary worker")] == (0, Decimal("0.0"))


def test_the_indicator_counts_only_licensed_workers_when_asked(workforce):
    # nobody in the fixture holds a practising licence
    ratios = _ratios(selectors.workers_per_children(as_at=council_today(), licensed_only=True))
    assert ratios[("North", "")] == (0, Decimal("0.0"))


def test_a_region_without_children_figures_has_workers_but_no_ratio(workforce, regions):
    ChildPopulation.objects.filter(region=regions["south"]).delete()
    ratios = _ratios(selectors.workers_per_children(as_at=council_today()))
    assert ratios[("South", "")] == (2, None)


def test_counts_are_as_at_the_day_asked(workforce):
    # everyone was registered today, so yesterday the register had no workers
    yesterday = council_today() - dt.timedelta(days=1)
    assert selectors.counts(as_at=yesterday, by=[]) == [{"count": 0}]
    assert selectors.counts(as_at=council_today(), by=[]) == [{"count": 6}]


def test_breakdowns_by_sex_and_status(workforce):
    today = council_today()
    by_sex = {row["sex"]: row["count"] for row in selectors.counts(as_at=today, by=["sex"])}
    assert by_sex == {"FEMALE": 4, "MALE": 2}
    statuses = selectors.cross_table(as_at=today, row="status", column=None, title="t", workers_only=False)
    assert statuses.cells == {"Registered": {"Entries": 6}, "Suspended": {"Entries": 1}}
    ages = {row["age_band"]: row["count"] for row in selectors.counts(as_at=today, by=["age_band"])}
    assert ages == {"35-44": 6}


def test_a_suspension_today_is_a_leaver_only_if_it_ends_practice(workforce):
    # a suspension is not leaving the register; a lapse is
    flow = selectors.flow(start=dt.date(council_today().year, 1, 1), end=council_today())
    assert flow.joined == 7
    assert flow.left == {}


def test_child_population_import_is_all_or_nothing(registrar, regions):
    bad = b"region,year,children\nnorth,2026,120000\nnowhere,2026,5\nsouth,20x6,0\n"
    outcome = services.child_population_import(actor=registrar, data=bad, reason="Mid-year estimates")
    assert [error["line"] for error in outcome.errors] == [3, 4]
    assert "nowhere" in outcome.errors[0]["problems"][0]
    assert len(outcome.errors[1]["problems"]) == 2
    assert not ChildPopulation.objects.exists()
    good = b'region,year,children,source\nnorth,2026,"120,000",Stats office\nsouth,2026,50000,\n'
    outcome = services.child_population_import(actor=registrar, data=good, reason="Mid-year estimates")
    assert (outcome.added, outcome.changed, outcome.errors) == (2, 0, [])
    again = b"region,year,children\nnorth,2026,121000\nsouth,2026,50000\n"
    outcome = services.child_population_import(actor=registrar, data=again, reason="Revised")
    assert (outcome.added, outcome.changed, outcome.unchanged) == (0, 1, 1)
    north = ChildPopulation.objects.get(region=regions["north"], year=2026)
    assert north.children == 121_000
    assert north.history.count() == 2
    assert AuditEvent.objects.filter(action__startswith="workforce.child_population").count() == 3


def test_child_population_import_needs_the_permission(officer, regions):
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        services.child_population_import(actor=officer, data=b"region,year,children\nnorth,2026,1\n", reason="x")
    assert not ChildPopulation.objects.exists()


# Small-cell suppression ----------------------------------------------------------------------------


def _table(cells: dict[str, dict[str, int]]) -> selectors.Table:
    columns = sorted({column for row in cells.values() for column in row})
    return selectors.Table(title="t", row_label="r", column_label="c", rows=list(cells), columns=columns, cells=cells)


def _derivable(published: Any) -> list[str]:
    """Cells a reader could work out by subtraction: a line with one hidden cell and a shown total."""
    problems = []
    for row, cells, total in published.display_rows:
        if total is not None and sum(value is None for value in cells) == 1:
            problems.append(f"row {row}")
    for index, column in enumerate(published.columns):
        values = [cells[index] for _row, cells, _total in published.display_rows]
        if published.column_totals[column] is not None and sum(value is None for value in values[:-1]) == 1:
            problems.append(f"column {column}")
    return problems


@pytest.mark.parametrize(
    "cells",
    [
        {"North": {"SW": 120, "AUX": 4}, "South": {"SW": 80, "AUX": 30}},
        {"North": {"SW": 3}, "South": {"SW": 55}, "East": {"SW": 70}},
        {"A": {"x": 0, "y": 12, "z": 15}, "B": {"x": 11, "y": 9, "z": 40}, "C": {"x": 25, "y": 30, "z": 2}},
        {"Only": {"x": 5}},
    ],
)
def test_no_published_cell_is_under_ten_or_derivable(cells):
    published = suppress(_table(cells))
    shown = [value for _row, values, total in published.display_rows for value in [*values, total]]
    assert all(value is None or value >= THRESHOLD for value in shown)
    assert published.suppressed >= sum(1 for row in cells.values() for value in row.values() if value < THRESHOLD)
    assert _derivable(published) == []


def test_the_open_data_page_and_csv_show_no_small_cell(client, workforce):
    # given a register whose every group is under ten people
    response = client.get("/open-data/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Workers by region and category" in page
    for table in response.context["tables"]:
        for _row, values, total in table.display_rows:
            assert all(value is None or value >= THRESHOLD for value in [*values, total])
    csv = client.get("/open-data/workforce.csv")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()[1:]
    assert lines
    for line in lines:
        value = line.rsplit(",", 1)[1]
        assert value == figures.SUPPRESSED or int(value) >= THRESHOLD, line
