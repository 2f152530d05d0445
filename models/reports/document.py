"""A report as plain data, ready for any file format: a title, named tables (one sheet each in
a workbook) whose cells are text, numbers, rates (a number shown as a percentage) or naive local
times, and the headline figures kept with the stored report. A table with a `preamble` is a form
to be filed (S0-14's): its title is merged across the columns, its cells bordered and wrapped.
`tasks.reports.render` turns it into .xlsx, CSV, Markdown or JSON. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Rate(float):
    """A share from 0 to 1 kept as a number: a workbook shows it as 93.3% and can sum it; text
    formats print the percentage."""

    def __str__(self) -> str:
        return f"{self * 100:.1f}%"


def rate_cell(value: float | None) -> Rate | None:
    """The cell of a rate that may be undefined (nothing due: an empty cell, not 0%)."""
    return None if value is None else Rate(value)


Cell = str | int | float | datetime | None


@dataclass(frozen=True)
class Table:
    """One table: `key` names it on the command line and in file names, `name` is the sheet's
    Chinese name (at most 31 characters, Excel's limit); `preamble` lines stand above the
    header in a workbook (a form's title and header fields)."""

    key: str
    name: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[Cell, ...]]
    preamble: tuple[str, ...] = ()
    widths: tuple[int, ...] = ()  # column widths in characters (a hint for workbooks)

    def __post_init__(self) -> None:
        if len(self.name) > 31:
            raise ValueError(f"sheet name longer than 31 characters: {self.name!r}")
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.headers):
                raise ValueError(
                    f"{self.key} row {number}: {len(row)} cells, expected {len(self.headers)}"
                )

    def records(self) -> list[dict[str, Cell]]:
        """The rows as header → cell mappings."""
        return [dict(zip(self.headers, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    tables: tuple[Table, ...]
    primary: str  # the key of the table a single-table format (CSV) carries by default
    summary: dict[str, Any] = field(default_factory=dict)  # headline figures, JSON-able

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        known = "、".join(t.key for t in self.tables)
        raise KeyError(f"报告中没有表 {key!r}（可选：{known}）")
