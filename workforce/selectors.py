"""Workforce statistics, read from the register as it stood at the end of any day.

Every figure starts from one set of facts per register entry, as at a date (`_FACTS_SQL`): the entry's
status then (its history), the person's region, sex and date of birth then (their history), their
highest qualification awarded by then, the post they held then (sector, paid or not), and whether a
practising licence was in force. The figures group those facts in SQL, so their cost does not depend
on Python looping over the register. The SQL is portable (window functions, no DISTINCT ON), so the
demo's SQLite gives the same answers as PostgreSQL.

"Workers" are the entries whose status lets them practise (registered, or registered with conditions).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Region
from core.selectors import end_of_day
from core.sql import db_date
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import QualificationType, RegisterCategory, RegisterEntryStatus, Sector, Sex
from workforce.models import ChildPopulation

PER_CHILDREN = 100_000
AGE_BANDS: tuple[tuple[str, int | None], ...] = (
    ("under-25", 25),
    ("25-34", 35),
    ("35-44", 45),
    ("45-54", 55),
    ("55-64", 65),
    ("65-plus", None),
)
LEAVING_STATUSES = ("LAPSED", "REMOVED", "VOLUNTARILY_REMOVED", "DECEASED")

# The dimensions a figure can be broken down by: the facts' column, and its label.
DIMENSIONS: dict[str, Any] = {
    "category": gettext_lazy("Category"),
    "status": gettext_lazy("Status"),
    "region": gettext_lazy("Region"),
    "sex": gettext_lazy("Sex"),
    "age_band": gettext_lazy("Age"),
    "qualification": gettext_lazy("Highest qualification"),
    "sector": gettext_lazy("Sector"),
    "paid": gettext_lazy("Paid or unpaid"),
    "licensed": gettext_lazy("Licensed"),
}

_FACTS_SQL = """
WITH entry_history AS (
    SELECT id, status,
           ROW_NUMBER() OVER (PARTITION BY id ORDER BY history_date DESC, history_id DESC) AS latest
    FROM registry_historicalregisterentry WHERE history_date < %(end)s
), entry_first AS (
    SELECT id, status,
           ROW_NUMBER() OVER (PARTITION BY id ORDER BY history_date, history_id) AS earliest
    FROM registry_historicalregisterentry
), person_history AS (
    SELECT id, region_id, sex, date_of_birth,
           ROW_NUMBER() OVER (PARTITION BY id ORDER BY history_date DESC, history_id DESC) AS latest
    FROM registry_historicalpractitioner WHERE history_date < %(end)s
), facts AS (
    SELECT e.id,
           e.category_id AS category,
           COALESCE(eh.status, ef.status, e.status) AS status,
           CASE WHEN ph.id IS NULL THEN p.region_id ELSE ph.region_id END AS region,
           CASE WHEN ph.id IS NULL THEN p.sex ELSE ph.sex END AS sex,
           CASE WHEN ph.id IS NULL THEN p.date_of_birth ELSE ph.date_of_birth END AS born,
           (SELECT max(qt.level) FROM registry_qualification q
              JOIN registry_qualificationtype qt ON qt.id = q.qualification_type_id
             WHERE q.practitioner_id = e.practitioner_id AND q.awarded_date <= %(day)s) AS qualification,
           (SELECT em.sector FROM registry_employment em
             WHERE em.practitioner_id = e.practitioner_id
               AND (em.start_date IS NULL OR em.start_date <= %(day)s)
               AND (em.end_date IS NULL OR em.end_date >= %(day)s)
             ORDER BY em.start_date DESC, em.id DESC LIMIT 1) AS sector,
           (SELECT em.is_paid FROM registry_employment em
             WHERE em.practitioner_id = e.practitioner_id
               AND (em.start_date IS NULL OR em.start_date <= %(day)s)
               AND (em.end_date IS NULL OR em.end_date >= %(day)s)
             ORDER BY em.start_date DESC, em.id DESC LIMIT 1) AS paid,
           CASE WHEN EXISTS (SELECT 1 FROM licensing_licence l
                              WHERE l.register_entry_id = e.id
                                AND l.valid_from_date <= %(day)s AND l.valid_to_date >= %(day)s)
                THEN 1 ELSE 0 END AS licensed
    FROM registry_registerentry e
    JOIN registry_practitioner p ON p.id = e.practitioner_id
    LEFT JOIN entry_history eh ON eh.id = e.id AND eh.latest = 1
    LEFT JOIN entry_first ef ON ef.id = e.id AND ef.earliest = 1
    LEFT JOIN person_history ph ON ph.id = e.practitioner_id AND ph.latest = 1
    WHERE e.registered_date <= %(day)s
)
"""


def _age_band_sql(day: dt.date) -> tuple[str, dict[str, Any]]:
    """CASE over the date of birth: born after the day `limit` years ago is younger than `limit`."""
    params: dict[str, Any] = {}
    cases = []
    for index, (band, limit) in enumerate(AGE_BANDS):
        if limit is None:
            cases.append(f"ELSE '{band}'")
            continue
        try:
            boundary = day.replace(year=day.year - limit)
        except ValueError:  # 29 February in a year without one
            boundary = day.replace(year=day.year - limit, day=28)
        params[f"age_{index}"] = db_date(boundary)
        cases.append(f"WHEN born > %(age_{index})s THEN '{band}'")
    return "CASE WHEN born IS NULL THEN '' " + " ".join(cases) + " END", params


def _columns(by: Sequence[str], day: dt.date) -> tuple[list[str], dict[str, Any]]:
    columns: list[str] = []
    params: dict[str, Any] = {}
    for name in by:
        if name not in DIMENSIONS:
            raise ValueError(f"unknown dimension {name!r}")
        if name == "age_band":
            sql, params = _age_band_sql(day)
            columns.append(f"{sql} AS age_band")
        else:
            columns.append(name)
    return columns, params


def counts(*, as_at: dt.date, by: Sequence[str], workers_only: bool = True) -> list[dict[str, Any]]:
    """How many entries there were at the end of `as_at`, by the given dimensions: one dict per group,
    the dimensions' raw values and "count". Workers only (practising statuses) unless told otherwise."""
    columns, params = _columns(by, as_at)
    params.update(end=connection.ops.adapt_datetimefield_value(end_of_day(as_at)), day=db_date(as_at))
    where = ""
    if workers_only:
        names = [f"%(practising_{index})s" for index in range(len(ENTRY_PRACTISING_STATUSES))]
        params.update({f"practising_{index}": status for index, status in enumerate(sorted(ENTRY_PRACTISING_STATUSES))})
        where = f"WHERE status IN ({', '.join(names)})"
    select = ", ".join([*columns, "count(*)"])
    group = f"GROUP BY {', '.join(str(index + 1) for index in range(len(by)))}" if by else ""
    sql = f"{_FACTS_SQL} SELECT {select} FROM facts {where} {group}"  # noqa: S608 - names from DIMENSIONS
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        {**{name: _normalise(name, value) for name, value in zip(by, row[:-1], strict=True)}, "count": row[-1]}
        for row in rows
    ]


def _normalise(name: str, value: Any) -> Any:
    if name in ("licensed", "paid") and value is not None:
        return bool(value)
    return value


# Labels ----------------------------------------------------------------------------------------


def labeller(name: str) -> Any:
    """A function from a dimension's raw value to the words shown for it."""
    if name == "category":
        names = dict(RegisterCategory.objects.values_list("id", "name"))
        return lambda value: names.get(value, _("Unknown"))
    if name == "region":
        regions = dict(Region.objects.values_list("id", "name"))
        return lambda value: regions.get(value, _("Not recorded"))
    all_choices: dict[str, dict[Any, Any]] = {
        "status": dict(RegisterEntryStatus.choices),
        "sex": dict(Sex.choices),
        "qualification": dict(QualificationType.Level.choices),
        "sector": dict(Sector.choices),
        "paid": {True: _("Paid"), False: _("Unpaid")},
        "licensed": {True: _("Licensed"), False: _("Not licensed")},
        "age_band": {
            "under-25": _("Under 25"),
            "25-34": "25-34",
            "35-44": "35-44",
            "45-54": "45-54",
            "55-64": "55-64",
            "65-plus": _("65 and over"),
        },
    }
    choices = all_choices[name]
    return lambda value: str(choices.get(value, _("Not recorded")))


def order_key(name: str) -> Any:
    """Groups in a sensible order: age bands and levels by their order, the rest by label."""
    if name == "age_band":
        order = {band: index for index, (band, _limit) in enumerate(AGE_BANDS)}
        return lambda value, label: (value is None or value == "", order.get(value, 99), label)
    if name == "qualification":
        return lambda value, label: (value is None, value or 0, label)
    return lambda value, label: (value is None or value == "", str(label))


# Tables ----------------------------------------------------------------------------------------


@dataclass
class Table:
    """A figure: rows of labelled counts, with totals. `cells[row][column]` is a count."""

    title: str
    row_label: str
    column_label: str
    rows: list[str]
    columns: list[str]
    cells: dict[str, dict[str, int]]

    def row_total(self, row: str) -> int:
        return sum(self.cells.get(row, {}).values())

    def column_total(self, column: str) -> int:
        return sum(self.cells.get(row, {}).get(column, 0) for row in self.rows)

    @property
    def total(self) -> int:
        return sum(self.row_total(row) for row in self.rows)


def cross_table(*, as_at: dt.date, row: str, column: str | None, title: str, workers_only: bool = True) -> Table:
    """Counts as at a date by one dimension (rows) and optionally a second (columns)."""
    by = [row] if column is None else [row, column]
    groups = counts(as_at=as_at, by=by, workers_only=workers_only)
    row_label, row_order = labeller(row), order_key(row)
    column_label = labeller(column) if column else (lambda value: str(_("Workers") if workers_only else _("Entries")))
    column_order = order_key(column) if column else (lambda value, label: (0, label))
    cells: dict[str, dict[str, int]] = defaultdict(dict)
    row_keys: dict[str, Any] = {}
    column_keys: dict[str, Any] = {}
    for group in groups:
        r = str(row_label(group[row]))
        c = str(column_label(group[column] if column else None))
        row_keys[r] = row_order(group[row], r)
        column_keys[c] = column_order(group[column] if column else None, c)
        cells[r][c] = cells[r].get(c, 0) + group["count"]
    return Table(
        title=title,
        row_label=str(DIMENSIONS[row]),
        column_label=str(DIMENSIONS[column]) if column else "",
        rows=sorted(row_keys, key=lambda key: row_keys[key]),
        columns=sorted(column_keys, key=lambda key: column_keys[key]),
        cells=dict(cells),
    )


# The headline indicator ------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    region: Region
    category: str  # a category's name, or "" for all categories
    workers: int
    children: int | None
    year: int | None

    @property
    def per_100k(self) -> Decimal | None:
        if not self.children:
            return None
        return (Decimal(self.workers) * PER_CHILDREN / Decimal(self.children)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def _descendants(regions: Iterable[Region]) -> dict[int, set[int]]:
    """Each region's id with its own and every nested region's ids."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for region in regions:
        children[region.parent_id].append(region.pk)
    found: dict[int, set[int]] = {}

    def walk(region_id: int) -> set[int]:
        if region_id not in found:
            found[region_id] = {region_id}
            for child in children.get(region_id, []):
                found[region_id] |= walk(child)
        return found[region_id]

    for region_ids in list(children.values()):
        for region_id in region_ids:
            walk(region_id)
    return found


def child_populations(*, year: int) -> dict[int, ChildPopulation]:
    """Each region's child population for `year`, or its latest earlier year's when that is missing."""
    latest: dict[int, ChildPopulation] = {}
    for population in ChildPopulation.objects.filter(year__lte=year).order_by("year"):
        latest[population.region_id] = population
    return latest


def workers_per_children(*, as_at: dt.date, licensed_only: bool = False) -> list[IndicatorRow]:
    """Workers per 100,000 children, for each region (counting the regions nested in it) and cadre, and
    for each region over all cadres. Children: the region's figure for as_at's year, or the latest before.

    A region without a child population is listed with its workers and no ratio."""
    groups = counts(as_at=as_at, by=["region", "category", "licensed"])
    if licensed_only:
        groups = [group for group in groups if group["licensed"]]
    regions = list(Region.objects.all())
    nested = _descendants(regions)
    populations = child_populations(year=as_at.year)
    categories = dict(RegisterCategory.objects.values_list("id", "name"))
    rows: list[IndicatorRow] = []
    for region in sorted(regions, key=lambda each: each.name):
        inside = nested.get(region.pk, {region.pk})
        mine = [group for group in groups if group["region"] in inside]
        population = populations.get(region.pk)
        children = population.children if population else None
        year = population.year if population else None
        by_category: dict[int, int] = defaultdict(int)
        for group in mine:
            by_category[group["category"]] += group["count"]
        rows.append(IndicatorRow(region, "", sum(by_category.values()), children, year))
        for category_id, name in sorted(categories.items(), key=lambda item: item[1]):
            rows.append(IndicatorRow(region, name, by_category.get(category_id, 0), children, year))
    return rows


# Flows: joining, leaving, attrition ----------------------------------------------------------------

_TRANSITIONS_SQL = """
WITH steps AS (
    SELECT id, status, history_date,
           LAG(status) OVER (PARTITION BY id ORDER BY history_date, history_id) AS before
    FROM registry_historicalregisterentry
)
SELECT status, count(*) FROM steps
WHERE history_date >= %(start)s AND history_date < %(end)s AND before IS NOT NULL AND status <> before
  AND status IN ({statuses})
GROUP BY status
"""


@dataclass(frozen=True)
class Flow:
    start: dt.date
    end: dt.date  # the last day
    workers_at_start: int
    joined: int
    left: dict[str, int]

    @property
    def leavers(self) -> int:
        return sum(self.left.values())

    @property
    def attrition_percent(self) -> Decimal | None:
        """Leavers in the period as a share of the workers at its start."""
        if not self.workers_at_start:
            return None
        return (Decimal(self.leavers) * 100 / Decimal(self.workers_at_start)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def flow(*, start: dt.date, end: dt.date) -> Flow:
    """New registrations, and entries that lapsed or were removed (by each leaving status), from `start`
    to `end` inclusive; attrition against the workers on the day before `start`."""
    from registry.models import RegisterEntry

    before = start - dt.timedelta(days=1)
    workers = sum(group["count"] for group in counts(as_at=before, by=[]))
    joined = RegisterEntry.objects.filter(registered_date__gte=start, registered_date__lte=end).count()
    names = [f"%(leaving_{index})s" for index in range(len(LEAVING_STATUSES))]
    params: dict[str, Any] = {f"leaving_{index}": status for index, status in enumerate(LEAVING_STATUSES)}
    params.update(
        start=connection.ops.adapt_datetimefield_value(end_of_day(before)),
        end=connection.ops.adapt_datetimefield_value(end_of_day(end)),
    )
    with connection.cursor() as cursor:
        cursor.execute(_TRANSITIONS_SQL.format(statuses=", ".join(names)), params)
        left = dict(cursor.fetchall())
    return Flow(start=start, end=end, workers_at_start=workers, joined=joined, left=left)


def yearly_flows(*, last_year: int, years: int = 5) -> list[Flow]:
    return [
        flow(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
        for year in range(last_year - years + 1, last_year + 1)
    ]
