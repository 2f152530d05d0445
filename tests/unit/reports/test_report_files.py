"""The files people open, read back with the libraries their programs use: the workbook with
openpyxl (a sheet per table, the form's preamble, a frozen bold header, local times as date
cells), CSV with the csv module (UTF-8 with a BOM), JSON, Markdown, and the quick report with
python-docx. Also the SVG charts and the signed download links of report messages."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import docx
import pytest
from docx.shared import Length
from openpyxl import load_workbook

from models.reports.document import Document, Rate, Table
from models.reports.quick import QuickReport
from tasks.reports.links import DownloadRefused, DownloadSigner
from tasks.reports.render import quick_docx, render
from yuqing.web.charts import rate_bars, stacked_columns

WHEN = datetime(2026, 11, 3, 9, 30)  # noqa: DTZ001 - a local time, as a cell holds it
DOC = Document(
    "办公室月度工作台账（2026-11）",
    "2026-11-01 至 2026-11-30",
    (
        Table(
            "ledger",
            "月度台账",
            ("序号", "存在风险点", "化解时限"),
            [(1, "某中学食堂投诉（一级）", WHEN), (2, '逗号,引号"与换行\n都在', None)],
            preamble=(
                "意识形态领域风险防范化解工作信息填报表（2026-11）",
                "填报单位（盖章）：办公室",
            ),
        ),
        Table("cases", "案件清单", ("案件编号", "标题"), [(7, "某小学")]),
    ),
    "ledger",
    {"cases_opened": 2},
)


def test_the_workbook_has_a_sheet_per_table_a_frozen_header_and_local_times() -> None:
    book = load_workbook(io.BytesIO(render(DOC, "xlsx")))
    assert book.sheetnames == ["月度台账", "案件清单"]
    sheet = book["月度台账"]
    assert sheet["A1"].value == "意识形态领域风险防范化解工作信息填报表（2026-11）"
    assert [c.value for c in sheet[3]] == ["序号", "存在风险点", "化解时限"]
    assert sheet["A3"].font.b
    assert sheet.freeze_panes == "A4"
    assert sheet["C4"].value == WHEN and sheet["C4"].is_date
    assert sheet["C4"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["B5"].value == '逗号,引号"与换行\n都在'
    assert book["案件清单"].freeze_panes == "A2"


def test_the_form_is_a_filed_form_and_rates_are_numbers() -> None:
    """S0-14's form as an office files it: the title merged across the columns, every cell
    bordered and wrapped, landscape A4 one page wide; a rate is a number shown as a percent."""
    rated = Table("sla", "时限统计", ("事项", "按时率"), [("快报", Rate(0.9333)), ("办结", None)])
    book = load_workbook(io.BytesIO(render(replace(DOC, tables=(*DOC.tables, rated)), "xlsx")))
    form = book["月度台账"]
    assert {str(r) for r in form.merged_cells.ranges} == {"A1:C1", "A2:C2"}
    assert form["B5"].alignment.wrap_text and form["B5"].border.left.style == "thin"
    assert form["A3"].border.bottom.style == "thin"
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
        fit = sheet.sheet_properties.pageSetUpPr
        assert fit is not None and fit.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    cell = book["时限统计"]["B2"]
    assert cell.value == pytest.approx(0.9333) and cell.number_format == "0.0%"
    assert book["时限统计"]["B3"].value is None  # nothing due: no rate, not 0%
    text = render(replace(DOC, tables=(rated,), primary="sla"), "csv").decode("utf-8-sig")
    assert text.splitlines()[1] == "快报,93.3%"
    assert json.loads(render(replace(DOC, tables=(rated,)), "json"))["tables"]["sla"]["rows"][0][
        "按时率"
    ] == pytest.approx(0.9333)


def test_csv_has_a_bom_and_reads_back_with_the_csv_module() -> None:
    content = render(DOC, "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows == [
        ["序号", "存在风险点", "化解时限"],
        ["1", "某中学食堂投诉（一级）", "2026-11-03 09:30"],
        ["2", '逗号,引号"与换行\n都在', ""],
    ]
    other = render(DOC, "csv", table="cases").decode("utf-8-sig")
    assert other.splitlines() == ["案件编号,标题", "7,某小学"]
    with pytest.raises(KeyError, match="没有表"):
        render(DOC, "csv", table="nope")


def test_json_and_markdown_carry_every_table() -> None:
    data = json.loads(render(DOC, "json"))
    assert data["summary"] == {"cases_opened": 2}
    assert data["tables"]["ledger"]["rows"][0]["化解时限"] == "2026-11-03T09:30"
    text = render(DOC, "md").decode()
    assert "## 案件清单" in text and "| 7 | 某小学 |" in text
    assert '逗号,引号"与换行<br>都在' in text


def mm(length: Length | None) -> int:
    """A page measure of the document, in whole millimetres."""
    assert length is not None
    millimetres: float = length.mm
    return round(millimetres)


def test_the_quick_report_document_opens_in_word_with_its_fields() -> None:
    report = QuickReport(
        "舆情快报",
        "2026年第3期    办公室    2026-11-03 09:20",
        (("网络名", "forum.test"), ("舆情信息", "某中学食堂饭菜变质"), ("等级", "一级")),
        "报送人：王芳。",
    )
    word = docx.Document(io.BytesIO(quick_docx(report)))
    paragraphs = [p.text for p in word.paragraphs]
    assert paragraphs[0] == "舆情快报" and "2026年第3期" in paragraphs[1]
    cells = [[c.text for c in row.cells] for row in word.tables[0].rows]
    assert cells == [["网络名", "forum.test"], ["舆情信息", "某中学食堂饭菜变质"], ["等级", "一级"]]
    page = word.sections[0]  # A4 (not US Letter), with the margins of GB/T 9704
    assert (mm(page.page_width), mm(page.page_height)) == (210, 297)
    assert (mm(page.top_margin), mm(page.left_margin)) == (37, 28)


def test_charts_are_svg_with_escaped_labels_and_red_bars_below_target() -> None:
    svg = str(
        rate_bars(
            "按时率", [("教育局<b>", 0.95, 20), ("卫健委", 0.5, 4), ("无", None, 0)], chart_id="c"
        )
    )
    assert svg.startswith('<svg id="c"') and svg.endswith("</svg>")
    assert "教育局&lt;b&gt;" in svg and "<b>" not in svg
    assert 'fill="#2e7d32" data-label="教育局&lt;b&gt;" data-rate="0.9500"' in svg
    assert 'fill="#c62828" data-label="卫健委" data-rate="0.5000"' in svg
    assert "—（0项）" in svg
    columns = str(
        stacked_columns("新增", ["11-01", "11-02"], {"一级": [1, 0], "三级": [2, 3]}, chart_id="s")
    )
    assert columns.count("<rect") == 3 + 2  # three non-empty stacks, two legend keys
    assert 'data-bucket="11-02" data-series="三级" data-count="3"' in columns


def test_a_download_link_opens_until_it_expires_and_only_as_signed() -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    signer = DownloadSigner.from_secret(
        "k" * 40, base_url="https://yq.test/", ttl=timedelta(days=1)
    )
    url = signer.url(report_id=5, recipient="wangfang", now=now)
    assert url.startswith("https://yq.test/reports/5/download?r=wangfang&e=")
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    signer.check(report_id=5, recipient="wangfang", expires=query["e"], tag=query["s"], now=now)
    with pytest.raises(DownloadRefused, match="伪造"):
        signer.check(report_id=6, recipient="wangfang", expires=query["e"], tag=query["s"], now=now)
    with pytest.raises(DownloadRefused, match="伪造"):
        signer.check(report_id=5, recipient="li", expires=query["e"], tag=query["s"], now=now)
    with pytest.raises(DownloadRefused, match="过期"):
        later = now + timedelta(days=1)
        signer.check(
            report_id=5, recipient="wangfang", expires=query["e"], tag=query["s"], now=later
        )
    other = DownloadSigner.from_secret("j" * 40, base_url="https://yq.test", ttl=timedelta(days=1))
    with pytest.raises(DownloadRefused):
        other.check(report_id=5, recipient="wangfang", expires=query["e"], tag=query["s"], now=now)


ACTIVE = ('=HYPERLINK("http://evil.example","点我")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd")
INERT = Table("inert", "注入", ("标题", "点击"), [(text, -5) for text in ACTIVE])


@pytest.mark.parametrize("text", ACTIVE, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_a_workbook_cell_that_begins_like_a_formula_is_text(text: str) -> None:
    document = Document("注入", "", (INERT,), "inert", {})
    sheet = load_workbook(io.BytesIO(render(document, "xlsx")))["注入"]
    (cell,) = [row[0] for row in sheet.iter_rows(min_row=2) if row[0].value == text]
    assert cell.data_type == "s" and cell.quotePrefix  # shown and kept as text, never run
    assert sheet.cell(row=cell.row, column=2).value == -5  # a number stays a number


@pytest.mark.parametrize("text", ACTIVE, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_a_csv_cell_that_begins_like_a_formula_is_text(text: str) -> None:
    content = render(Document("注入", "", (INERT,), "inert", {}), "csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert [text] == [r[0][1:] for r in rows[1:] if r[0][1:] == text]
    (row,) = [r for r in rows[1:] if r[0][1:] == text]
    assert row[0] == "'" + text and row[1] == "-5"  # the apostrophe makes it text; -5 a number
