"""Small-cell suppression for published tables: no published figure may be under 10, nor derivable.

Primary suppression hides every cell under the threshold (zero included: "no one" is also a small
number). Secondary suppression stops a hidden cell being worked out by subtraction: wherever a row or a
column shows its total and has exactly one hidden cell, the smallest other cell in it is hidden too,
and this repeats until no row or column has a lone hidden cell. Totals under the threshold are hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from workforce.selectors import Table

THRESHOLD = 10


@dataclass
class PublishedTable:
    """A table as published: each cell's count, or None where it is suppressed."""

    title: str
    row_label: str
    column_label: str
    rows: list[str]
    columns: list[str]
    cells: dict[str, dict[str, int | None]]
    row_totals: dict[str, int | None]
    column_totals: dict[str, int | None]
    total: int | None
    suppressed: int = 0

    @property
    def display_rows(self) -> list[tuple[str, list[int | None], int | None]]:
        """Each row's label, cells in column order and total, then the totals row."""
        rows = [(row, [self.cells[row][column] for column in self.columns], self.row_totals[row]) for row in self.rows]
        if self.rows:
            rows.append((_("Total"), [self.column_totals[column] for column in self.columns], self.total))
        return rows


_TOTAL = "\x00total"


def suppress(table: Table, *, threshold: int = THRESHOLD) -> PublishedTable:
    """The table with every count under `threshold` hidden, and enough others that none can be derived.

    The totals are cells too: the table is treated as its grid plus a total column and a total row, and
    every line of it (a row with its total, a column with its total) must not have a lone hidden cell,
    since a line's cells add up to its total."""
    rows, columns = [*table.rows, _TOTAL], [*table.columns, _TOTAL]

    def count(row: str, column: str) -> int:
        if row == _TOTAL and column == _TOTAL:
            return table.total
        if row == _TOTAL:
            return table.column_total(column)
        if column == _TOTAL:
            return table.row_total(row)
        return table.cells.get(row, {}).get(column, 0)

    counts = {(row, column): count(row, column) for row in rows for column in columns}
    hidden = {cell for cell, value in counts.items() if value < threshold}
    lines = [[(row, column) for column in columns] for row in rows]
    lines += [[(row, column) for row in rows] for column in columns]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line) != 1:
                continue
            others = [cell for cell in line if cell not in hidden]
            hidden.add(min(others, key=lambda cell: (counts[cell], cell)))
            changed = True

    def shown(row: str, column: str) -> int | None:
        return None if (row, column) in hidden else counts[(row, column)]

    return PublishedTable(
        title=table.title,
        row_label=table.row_label,
        column_label=table.column_label,
        rows=list(table.rows),
        columns=list(table.columns),
        cells={row: {column: shown(row, column) for column in table.columns} for row in table.rows},
        row_totals={row: shown(row, _TOTAL) for row in table.rows},
        column_totals={column: shown(_TOTAL, column) for column in table.columns},
        total=shown(_TOTAL, _TOTAL),
        suppressed=sum(1 for row, column in hidden if row != _TOTAL and column != _TOTAL),
    )
