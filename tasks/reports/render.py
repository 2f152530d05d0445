"""The files people use, rendered to bytes from the pure report values (no I/O beyond that):
an .xlsx workbook (openpyxl, write-only: a sheet per table, the form's preamble above a bold
header that stays frozen, Chinese titles, local times as real date cells, rates as numbers shown
as percentages; every sheet prints landscape on A4, one page wide; a form to be filed — a table
with a preamble, S0-14's — has its title merged across the columns and every cell bordered and
wrapped), CSV (UTF-8 with a BOM, so Excel opens Chinese text right; one table per file),
Markdown, JSON, and the quick-report document as .docx. A text
cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is written as inert text in
both spreadsheets (a scraped title is not a formula)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from docx import Document as WordDocument
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from models.reports.document import Cell, Document, Rate, Table
from models.reports.formats import FORMATS
from models.reports.quick import QuickReport

DATE_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
PAPER_A4 = "9"  # OOXML paper size code of A4
_LINE = Side(style="thin")
BOX = Border(left=_LINE, right=_LINE, top=_LINE, bottom=_LINE)
WRAP = Alignment(wrap_text=True, vertical="top")
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
    form = bool(table.preamble)  # a form to be filed: bordered, wrapped, its title merged
    header_row = len(table.preamble) + 1
    _print_setup(sheet, header_row)
    sheet.freeze_panes = f"A{header_row + 1}"  # the header stays in view
    for number, width in enumerate(table.widths, start=1):
        dimensions = sheet.column_dimensions  # type: ignore[attr-defined]  # proxied at run time
        dimensions[get_column_letter(number)].width = width
    last = get_column_letter(len(table.headers))
    for number, line in enumerate(table.preamble):
        cell = WriteOnlyCell(sheet, value=line)
        cell.font = Font(bold=number == 0, size=14 if number == 0 else 11)  # the form's title
        if number == 0:
            cell.alignment = Alignment(horizontal="center", vertical="center")
        proxied: Any = sheet  # write-only sheets proxy these attributes at run time
        proxied.merged_cells.add(f"A{number + 1}:{last}{number + 1}")
        sheet.append([cell])
    header = []
    for title in table.headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if form:
            cell.border = BOX
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append([_cell(sheet, value, form=form) for value in row])


def _print_setup(sheet: WriteOnlyWorksheet, header_row: int) -> None:
    """Landscape A4, as wide as one page (as long as it takes), the header on every page."""
    proxied: Any = sheet  # write-only sheets proxy these attributes at run time
    setup = proxied.page_setup
    setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight = (
        "landscape",
        PAPER_A4,
        1,
        0,
    )
    proxied.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"


def _cell(sheet: WriteOnlyWorksheet, value: Cell, *, form: bool = False) -> Any:
    active = isinstance(value, str) and value.startswith(ACTIVE)
    if not form and not active and not isinstance(value, datetime | Rate):
        return value
    cell = WriteOnlyCell(sheet, value=float(value) if isinstance(value, Rate) else value)
    if isinstance(value, datetime):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, Rate):
        cell.number_format = PERCENT_FORMAT
    elif active:
        cell.data_type = "s"  # text, never a formula (openpyxl makes `=…` one)
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    if form:
        cell.border, cell.alignment = BOX, WRAP
    return cell


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
    if isinstance(value, Rate):
        return str(value)
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
    """The quick report as a Word document on A4 with the margins of GB/T 9704 (党政机关公文格式:
    top 37 mm, bottom 35 mm, left 28 mm, right 26 mm): heading, issue line, the fields as a
    two-column table, the closing line."""
    word = WordDocument()
    page = word.sections[0]
    page.page_width, page.page_height = Mm(210), Mm(297)
    page.top_margin, page.bottom_margin = Mm(37), Mm(35)
    page.left_margin, page.right_margin = Mm(28), Mm(26)
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
