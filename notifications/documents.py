"""The files people use, rendered to bytes from the pure report values (no I/O beyond that):
an .xlsx workbook (openpyxl, write-only: a sheet per table, the form's preamble above a bold
header that stays frozen, Chinese titles, local times as real date cells), CSV (UTF-8 with a
BOM, so Excel opens Chinese text right; one table per file), Markdown, JSON, and the
quick-report document as .docx (python-docx). A text cell beginning with `=`, `+`, `-`, `@`, a
tab or a carriage return is written as inert text in both spreadsheets (a scraped title is not
a formula)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from docx import Document as WordDocument
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from models.reports.document import Cell, Document, Table
from models.reports.quick import QuickReport

FORMATS = ("xlsx", "csv", "md", "json")
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "md": "text/markdown",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
DATE_FORMAT = "yyyy-mm-dd hh:mm"
CJK_FONT = "SimSun"  # 宋体, what an office's Word expects for body text
# What makes a spreadsheet read a cell as a formula (or a DDE call): scraped titles and
# people's text beginning so are written as text, never run.
ACTIVE = ("=", "+", "-", "@", "\t", "\r")


def render(document: Document, format: str, *, table: str | None = None) -> bytes:
    """The document in `format`; CSV carries one table (`table`, default the primary one)."""
    if format == "xlsx":
        return to_xlsx(document)
    if format == "csv":
        return to_csv(document.table(table or document.primary))
    if format == "md":
        return to_markdown(document).encode()
    if format == "json":
        return to_json(document).encode()
    raise ValueError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")


def to_xlsx(document: Document) -> bytes:
    book = Workbook(write_only=True)
    for table in document.tables:
        _sheet(book.create_sheet(table.name), table)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(sheet: WriteOnlyWorksheet, table: Table) -> None:
    header_row = len(table.preamble) + 1
    sheet.freeze_panes = f"A{header_row + 1}"  # the header stays in view
    for number, width in enumerate(table.widths, start=1):
        dimensions = sheet.column_dimensions  # type: ignore[attr-defined]  # proxied at run time
        dimensions[get_column_letter(number)].width = width
    for number, line in enumerate(table.preamble):
        cell = WriteOnlyCell(sheet, value=line)
        cell.font = Font(bold=number == 0, size=12 if number == 0 else 11)  # the form's title
        sheet.append([cell])
    bold = Font(bold=True)
    header = []
    for title in table.headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", vertical="center")
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append([_cell(sheet, value) for value in row])


def _cell(sheet: WriteOnlyWorksheet, value: Cell) -> Any:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str) and value.startswith(ACTIVE):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text, never a formula (openpyxl makes `=…` one)
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        return cell
    return value


def to_csv(table: Table) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([_inert(title) for title in table.headers])
    writer.writerows(
        [_inert(_text(value)) if isinstance(value, str) else _text(value) for value in row]
        for row in table.rows
    )
    return out.getvalue().encode("utf-8-sig")


def _inert(text: str) -> str:
    """A text cell a spreadsheet will not run: one beginning like a formula gets a leading
    apostrophe (OWASP's CSV-injection advice), which spreadsheets show as plain text."""
    return f"'{text}" if text.startswith(ACTIVE) else text


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_markdown(document: Document) -> str:
    lines = [f"# {document.title}", "", document.subtitle, ""]
    for table in document.tables:
        lines += [f"## {table.name}", ""]
        lines += [f"{line}  " for line in table.preamble]
        lines += [*_md_rows([table.headers]), "|" + "---|" * len(table.headers)]
        lines += [*_md_rows([tuple(_text(v) for v in row) for row in table.rows]), ""]
    return "\n".join(lines)


def _md_rows(rows: Iterable[tuple[Cell, ...]]) -> list[str]:
    def clean(value: Cell) -> str:
        return _text(value).replace("|", "\\|").replace("\n", "<br>")

    return ["| " + " | ".join(clean(v) for v in row) + " |" for row in rows]


def to_json(document: Document) -> str:
    data = {
        "title": document.title,
        "subtitle": document.subtitle,
        "summary": document.summary,
        "tables": {
            t.key: {"name": t.name, "headers": list(t.headers), "rows": t.records()}
            for t in document.tables
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def quick_docx(report: QuickReport) -> bytes:
    """The quick report as a Word document: heading, issue line, the fields as a two-column
    table, the closing line."""
    word = WordDocument()
    style = word.styles["Normal"]
    style.font.name = CJK_FONT
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), CJK_FONT)  # Chinese text needs its own font
    word.add_heading(report.heading, level=0)
    word.add_paragraph(report.issue_line)
    grid = word.add_table(rows=0, cols=2)
    grid.style = "Table Grid"
    for name, value in report.fields:
        cells = grid.add_row().cells
        cells[0].text, cells[1].text = name, value
        cells[0].paragraphs[0].runs[0].bold = True
    word.add_paragraph(report.footer)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()
