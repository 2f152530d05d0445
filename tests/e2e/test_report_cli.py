"""`yuqing report` as a person runs it, in real subprocesses. The acceptance command on the demo's
kept database (`yuqing demo --keep d`, then `yuqing --config d/yuqing.toml report monthly
--month 2026-11 --format xlsx --out ledger.xlsx`) writes S0-14's form with one row per risk
point (the demo's plan names none: its cases grouped by topic) and the month's cases on the
sheet beside it; the digest prints as Markdown; the quick report of the demo's case is a Word
document with the mandated fields; stored reports can be listed and fetched again; the
accountability ledger is exported; and bad input is refused with exit 2 naming the option, never
a traceback."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import pytest
from openpyxl import load_workbook

from tests.e2e.test_cli_and_demo import run

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(working directory, the kept demo's yuqing.toml)."""
    directory = tmp_path_factory.mktemp("report-demo")
    result = run("demo", "--keep", "d", cwd=directory, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return directory, directory / "d" / "yuqing.toml"


def yq(kept: tuple[Path, Path], *args: str) -> subprocess.CompletedProcess[str]:
    directory, config = kept
    return run("--config", str(config), *args, cwd=directory, timeout=300)


def test_the_acceptance_command_writes_the_monthly_ledger_of_the_demo(
    kept: tuple[Path, Path],
) -> None:
    directory, _ = kept
    cases = json.loads(yq(kept, "case", "list", "--all", "--json").stdout)
    month = min(  # the demo plays on the real clock: its month, not a fixed one
        datetime.fromisoformat(c["discovered_at"]).astimezone(SHANGHAI) for c in cases
    ).strftime("%Y-%m")
    result = yq(
        kept, "report", "monthly", "--month", month, "--format", "xlsx", "--out", "ledger.xlsx"
    )
    assert result.returncode == 0, result.stderr
    assert "已生成 ledger.xlsx" in result.stdout
    book = load_workbook(directory / "ledger.xlsx")
    assert book.sheetnames[:3] == ["说明", "月度台账", "案件清单"]
    ledger = book["月度台账"]
    assert ledger["A1"].value == f"意识形态领域风险防范化解工作信息填报表（{month}）"
    assert [c.value for c in ledger[3]][:6] == [
        "序号",
        "存在风险点",
        "具体应对措施",
        "风险防范化解成效",
        "下步重点工作",
        "备注",
    ]
    in_month = [
        c
        for c in cases
        if datetime.fromisoformat(c["discovered_at"]).astimezone(SHANGHAI).strftime("%Y-%m")
        == month
    ]
    headers = [c.value for c in ledger[3]]
    rows: list[dict[Any, Any]] = [
        dict(zip(headers, r, strict=True)) for r in ledger.iter_rows(min_row=4, values_only=True)
    ]
    assert rows and all(str(r["存在风险点"]).endswith("网络舆情风险") for r in rows)
    assert sum(r["涉及舆情（起）"] for r in rows) == len(in_month)
    listed = [row for row in book["案件清单"].iter_rows(min_row=2, values_only=True)]
    assert [row[0] for row in listed] == [c["id"] for c in in_month]
    for row, case in zip(listed, in_month, strict=True):
        assert row[1] == case["title"]


def test_digest_quick_report_list_get_and_ledger_from_the_command_line(
    kept: tuple[Path, Path],
) -> None:
    directory, _ = kept
    digest = yq(kept, "report", "daily", "--format", "md")
    assert digest.returncode == 0, digest.stderr
    assert "## 今日新增" in digest.stdout and "## 在办案件" in digest.stdout

    quick = yq(kept, "report", "quick", "1", "--out", "quick.docx", "--by", "wangfang")
    assert quick.returncode == 0, quick.stderr
    word = docx.Document(str(directory / "quick.docx"))
    fields = {row.cells[0].text: row.cells[1].text for row in word.tables[0].rows}
    assert list(fields)[:6] == [
        "网络名",
        "舆情信息",
        "网友留言大概内容",
        "出处及链接",
        "类别",
        "等级",
    ]
    assert fields["等级"] == "一级"
    assert "食堂" in fields["舆情信息"] and "/post/1" in fields["出处及链接"]

    listed = json.loads(yq(kept, "report", "list", "--json").stdout)
    kinds = {r["kind"] for r in listed}
    assert {"monthly", "daily", "quick"} <= kinds
    monthly = next(r for r in listed if r["kind"] == "monthly")
    fetched = yq(kept, "report", "get", str(monthly["id"]), "--out", "again.xlsx")
    assert fetched.returncode == 0, fetched.stderr
    assert (directory / "again.xlsx").read_bytes() == (directory / "ledger.xlsx").read_bytes()

    ledger = yq(kept, "report", "ledger", "--format", "csv", "--out", "ledger.csv")
    assert ledger.returncode == 0, ledger.stderr
    text = (directory / "ledger.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and "研判结论" in text.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("report", "monthly", "--month", "2026-13"), "--month"),
        (("report", "weekly", "--month", "2026-11"), "--month"),
        (("report", "annual", "--year", "26"), "--year"),
        (("report", "monthly", "--unit", "nowhere"), "--unit"),
        (("report", "monthly", "--grade", "五级"), "五级"),
        (("report", "monthly", "--format", "pdf"), "--format"),
        (("report", "monthly", "--format", "xlsx"), "--out"),
        (("report", "monthly", "--format", "csv", "--table", "nope"), "--table"),
        (("report", "quick", "999"), "999"),
        (("report", "get", "999"), "999"),
        (("report", "ledger", "--verdict", "maybe"), "--verdict"),
        (("report", "judge", "1", "--unjustified", "--reason", " ", "--by", "chenjun"), "理由"),
        (("report", "judge", "999", "--justified", "--reason", "x", "--by", "chenjun"), "999"),
        (
            ("report", "judge", "1", "--justified", "--reason", "x", "--consequence", "fire"),
            "--consequence",
        ),
        (("report", "judge", "1", "--justified", "--reason", "x"), "须注明研判人"),
        (("report", "judge", "1", "--justified", "--reason", "x", "--by", "nobody"), "--by"),
        (("report", "judge", "1", "--justified", "--reason", "x", "--by", "王芳"), "不能问责研判"),
    ],
)
def test_bad_input_is_refused_with_exit_2_naming_what_is_wrong(
    kept: tuple[Path, Path], args: tuple[str, ...], says: str
) -> None:
    result = yq(kept, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_a_judgement_from_the_command_line_is_in_the_exported_ledger(
    kept: tuple[Path, Path],
) -> None:
    directory, _ = kept
    ledger = json.loads(yq(kept, "report", "ledger", "--format", "json").stdout)
    records = ledger["tables"]["accountability"]["rows"]
    assert records, "the demo lapses its quick report: there is evidence to judge"
    record = records[0]["记录编号"]
    judged = yq(
        kept,
        "report",
        "judge",
        str(record),
        "--unjustified",
        "--reason",
        "值班人员未及时报告",
        "--consequence",
        "notice",
        "--by",
        "chenjun",
    )
    assert judged.returncode == 0, judged.stderr
    out = yq(
        kept, "report", "ledger", "--verdict", "unjustified", "--format", "xlsx", "--out", "u.xlsx"
    )
    assert out.returncode == 0, out.stderr
    sheet = load_workbook(io.BytesIO((directory / "u.xlsx").read_bytes()))["问责台账"]
    header = [c.value for c in sheet[1]]
    (row,) = [
        dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert (row["记录编号"], row["研判结论"], row["处理建议"]) == (
        record,
        "理由不成立，需追责",
        "通报处理",
    )
    assert row["研判理由"] == "值班人员未及时报告"
