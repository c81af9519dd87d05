"""Changes to workforce reference data: importing child population figures."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.exceptions import ApplicationError
from core.history import save_with_history
from core.models import Region, User
from core.services import permission_require
from core.uploads import csv_text
from workforce.models import ChildPopulation

MAX_BYTES = 1_000_000
COLUMNS = ("region", "year", "children")
YEARS = range(1950, 2101)


@dataclass
class PopulationImport:
    """What an import did, or would have done: rows added and changed, and each row's problem."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def _text(data: bytes) -> str:
    if not data.strip():
        raise ApplicationError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ApplicationError(_("The file is larger than 1 MB."))
    if b"\x00" in data[:8192]:
        raise ApplicationError(_("This is not a CSV file. Save it as CSV (comma-separated values)."))
    return csv_text(data)


def _parse(text: str) -> tuple[list[tuple[int, Region, int, int, str]], list[dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text))
    header = [column.strip().lower() for column in next(reader, [])]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise ApplicationError(
            _('The first line must name the columns "region", "year" and "children" (and optionally "source").')
        )
    at = {column: header.index(column) for column in (*COLUMNS, "source") if column in header}
    regions = {region.code: region for region in Region.objects.all()}
    good: list[tuple[int, Region, int, int, str]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[int, int], int] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {column: (row[index].strip() if index < len(row) else "") for column, index in at.items()}
        problems = []
        region = regions.get(cells["region"])
        if region is None:
            problems.append(_("No region has the code “%(code)s”.") % {"code": cells["region"]})
        year = int(cells["year"]) if cells["year"].isdigit() else None
        if year is None or year not in YEARS:
            problems.append(_("The year must be a year between 1950 and 2100."))
        children = int(cells["children"].replace(",", "")) if cells["children"].replace(",", "").isdigit() else None
        if children is None or children == 0:
            problems.append(_("The number of children must be a whole number above zero."))
        if region is not None and year is not None and (region.pk, year) in seen:
            problems.append(_("This region and year are already on line %(line)s.") % {"line": seen[(region.pk, year)]})
        if problems or region is None or year is None or children is None:  # any None has its problem listed
            errors.append({"line": line, "problems": problems})
            continue
        seen[(region.pk, year)] = line
        good.append((line, region, year, children, cells.get("source", "")[:200]))
    if not good and not errors:
        raise ApplicationError(_("The file has a header but no rows."))
    return good, errors


@transaction.atomic
def child_population_import(*, actor: User | None, data: bytes, reason: str) -> PopulationImport:
    """Add or update the child population per region and year from a CSV (region code, year, children,
    optionally source). All or nothing: one bad row and nothing is written; the outcome lists every row's
    problems. Each added or changed figure has its history row and an audit event."""
    permission_require(actor, "workforce.import_child_population")
    if not reason.strip():
        raise ApplicationError(_("Give a reason for the import (for example, the release it comes from)."))
    good, errors = _parse(_text(data))
    outcome = PopulationImport(errors=errors)
    if errors:
        return outcome
    existing = {
        (population.region_id, population.year): population
        for population in ChildPopulation.objects.select_for_update().filter(
            region__in={region for _line, region, _year, _children, _source in good}
        )
    }
    for _line, region, year, children, source in good:
        population = existing.get((region.pk, year))
        if population is None:
            population = ChildPopulation(region=region, year=year, children=children, source=source)
            save_with_history(population, actor=actor, reason=reason)
            audit_record(
                actor=actor,
                action="workforce.child_population_added",
                obj=population,
                reason=reason,
                after={"region": region.code, "year": year, "children": children, "source": source},
            )
            outcome.added += 1
        elif (population.children, population.source) != (children, source or population.source):
            before = {"children": population.children, "source": population.source}
            population.children, population.source = children, source or population.source
            save_with_history(population, actor=actor, reason=reason, fields=["children", "source"])
            audit_record(
                actor=actor,
                action="workforce.child_population_changed",
                obj=population,
                reason=reason,
                before=before,
                after={"children": population.children, "source": population.source},
            )
            outcome.changed += 1
        else:
            outcome.unchanged += 1
    return outcome
