"""The dashboard's figures as sheets (a title, headers and rows), and their CSV and XLSX files.

Each figure on the staff dashboard and the open-data page is one Sheet, so what is shown, charted and
exported are the same numbers, built once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from workforce import selectors
from workforce.disclosure import PublishedTable, suppress

SUPPRESSED = "<10"


@dataclass
class Sheet:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]

    def csv_bytes(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.headers)
        for row in self.rows:
            writer.writerow(["" if value is None else value for value in row])
        return ("\ufeff" + buffer.getvalue()).encode()

    def xlsx_bytes(self) -> bytes:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "".join(" " if char in "[]:*?/\\" else char for char in self.title[:31])  # Excel's rule
        sheet.append(self.headers)
        for row in self.rows:
            sheet.append([float(value) if isinstance(value, Decimal) else value for value in row])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


def indicator(*, as_at: dt.date, licensed_only: bool = False) -> Sheet:
    rows = [
        [
            row.region.name,
            row.category or _("All categories"),
            row.workers,
            row.children,
            row.year,
            row.per_100k,
        ]
        for row in selectors.workers_per_children(as_at=as_at, licensed_only=licensed_only)
    ]
    return Sheet(
        key="indicator",
        title=str(_("Workers per 100,000 children")),
        headers=[
            _("Region"),
            _("Category"),
            _("Workers"),
            _("Children"),
            _("Population year"),
            _("Per 100,000 children"),
        ],
        rows=rows,
    )


def _table_sheet(key: str, table: selectors.Table) -> Sheet:
    headers = [table.row_label, *table.columns, _("Total")]
    rows = [
        [row, *(table.cells.get(row, {}).get(column, 0) for column in table.columns), table.row_total(row)]
        for row in table.rows
    ]
    rows.append([_("Total"), *(table.column_total(column) for column in table.columns), table.total])
    return Sheet(key=key, title=table.title, headers=headers, rows=rows)


def breakdown(*, as_at: dt.date, by: str) -> tuple[Sheet, selectors.Table]:
    column = None if by == "category" else "category"
    table = selectors.cross_table(
        as_at=as_at,
        row=by,
        column=column,
        title=_("Workers by %(dimension)s") % {"dimension": str(selectors.DIMENSIONS[by]).lower()},
    )
    return _table_sheet("breakdown", table), table


def statuses(*, as_at: dt.date) -> tuple[Sheet, selectors.Table]:
    table = selectors.cross_table(
        as_at=as_at, row="status", column="category", title=_("Register entries by status"), workers_only=False
    )
    return _table_sheet("statuses", table), table


def flows(*, as_at: dt.date, years: int = 5) -> tuple[Sheet, list[selectors.Flow]]:
    periods = selectors.yearly_flows(last_year=as_at.year, years=years)
    rows = [
        [
            str(flow.start.year),
            flow.workers_at_start,
            flow.joined,
            flow.left.get("LAPSED", 0),
            flow.left.get("REMOVED", 0) + flow.left.get("VOLUNTARILY_REMOVED", 0),
            flow.left.get("DECEASED", 0),
            flow.attrition_percent,
        ]
        for flow in periods
    ]
    sheet = Sheet(
        key="flows",
        title=str(_("Joining and leaving, by year")),
        headers=[
            _("Year"),
            _("Workers at the start"),
            _("New registrations"),
            _("Lapsed"),
            _("Removed"),
            _("Died"),
            _("Attrition (%)"),
        ],
        rows=rows,
    )
    return sheet, periods


# Open data: published tables, small cells suppressed ---------------------------------------------

OPEN_DATA_TABLES = (
    ("region", _("Workers by region and category")),
    ("sex", _("Workers by sex and category")),
    ("age_band", _("Workers by age and category")),
    ("qualification", _("Workers by highest qualification and category")),
    ("sector", _("Workers by sector and category")),
    ("licensed", _("Workers by licence and category")),
)


def open_data_tables(*, as_at: dt.date) -> list[PublishedTable]:
    return [
        suppress(selectors.cross_table(as_at=as_at, row=row, column="category", title=str(title)))
        for row, title in OPEN_DATA_TABLES
    ]


def open_data_sheet(tables: list[PublishedTable], *, as_at: dt.date) -> Sheet:
    """Every published table in one long CSV: table, row, column, value (suppressed cells as "<10")."""
    rows: list[list[Any]] = []
    total = _("Total")
    for table in tables:
        for row in table.rows:
            rows.extend([table.title, row, column, _shown(table.cells[row][column])] for column in table.columns)
            rows.append([table.title, row, total, _shown(table.row_totals[row])])
        rows.extend([table.title, total, column, _shown(table.column_totals[column])] for column in table.columns)
        rows.append([table.title, total, total, _shown(table.total)])
    return Sheet(
        key="open-data",
        title=str(_("Social service workforce, %(date)s") % {"date": as_at.isoformat()}),
        headers=[_("Table"), _("Row"), _("Column"), _("Workers")],
        rows=rows,
    )


def _shown(value: int | None) -> int | str:
    return SUPPRESSED if value is None else value
