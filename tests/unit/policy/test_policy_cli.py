"""`yuqing policy ...` through Typer's CliRunner: presets, show, explain (JSON and table),
check, and bad input that must end in a message and exit 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yuqing.cli_policy import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_explain_first_grade_across_national_day_2026() -> None:
    code, out = _run("explain", "--grade", "一级", "--at", "2026-09-30T16:00", "--json")
    assert code == 0
    rows = {row["obligation"]: row for row in json.loads(out)}
    assert rows["quick_report"]["due_at"] == "2026-09-30T16:30:00+08:00"
    assert rows["quick_report"]["clock"] == "wall"
    assert rows["quick_report"]["duration"] == "PT30M"
    assert rows["press_conference"]["due_at"] == "2026-10-01T16:00:00+08:00"
    # 10-01..10-07 off; 10-08 Thu, 10-09 Fri, 10-10 Sat (make-up), 10-12 Mon, 10-13 Tue.
    assert rows["handling_completed"]["clock"] == "working_days"
    assert rows["handling_completed"]["due_at"] == "2026-10-14T00:00:00+08:00"
    assert rows["review"]["due_at"] == "2026-10-11T00:00:00+08:00"  # 10-08, 10-09, 10-10
    assert next(iter(rows)) == "quick_report" and len(rows) == 9


def test_explain_counts_make_up_sunday() -> None:
    code, out = _run("explain", "--grade", "g3", "--at", "2026-09-18T15:00+08:00", "--json")
    rows = {row["obligation"]: row for row in json.loads(out)}
    assert code == 0 and rows["verification"]["due_at"] == "2026-09-21T00:00:00+08:00"


def test_explain_with_utc_offset_prints_policy_zone() -> None:
    code, out = _run("explain", "-g", "g1", "--at", "2026-09-30T08:00:00+00:00", "--json")
    assert code == 0 and json.loads(out)[0]["due_at"] == "2026-09-30T16:30:00+08:00"


def test_explain_table_output() -> None:
    code, out = _run("explain", "--grade", "二级", "--at", "2026-03-02T09:00")
    assert code == 0 and "首次回应" in out and "2026-03-02 14:00 周一" in out
    assert "2026-03-09 24:00 周一" in out  # 5 working days end at 24:00, shown as such


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("explain", "--grade", "一级", "--at", "2027-03-01T09:00"), "2027"),
        (("explain", "--grade", "五级", "--at", "2026-03-01T09:00"), "未知等级"),
        (("explain", "--grade", "一级", "--at", "tomorrow"), "ISO 8601"),
        (
            ("explain", "--grade", "一级", "--at", "2026-03-01T09:00", "--preset", "nope"),
            "未知预设",
        ),
        (("show", "--preset", "s1-6"), "x小时"),
        (("show", "--preset", "default", "--file", "x.toml"), "只能选一个"),
        (("show", "--set", "nonsense"), "--set"),
    ],
    ids=[
        "unknown-year",
        "unknown-grade",
        "bad-time",
        "unknown-preset",
        "blank-numbers",
        "preset-and-file",
        "bad-set",
    ],
)
def test_bad_input_exits_2_with_a_message(args: tuple[str, ...], message: str) -> None:
    code, out = _run(*args)
    assert code == 2
    assert message in out
    assert "Traceback" not in out


def test_presets_json() -> None:
    code, out = _run("presets", "--json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["id"] == "default"
    assert {
        "id": "s1-4",
        "title": rows[[r["id"] for r in rows].index("s1-4")]["title"],
        "seed": "001 篇四",
    } in rows


def test_presets_table() -> None:
    code, out = _run("presets")
    assert code == 0 and "s2-4.3" in out and "篇四" in out


def test_show_matrix_and_one_grade() -> None:
    code, out = _run("show")
    assert code == 0 and "快报" in out and "S1-4§13" in out and "通报" in out
    code, out = _run("show", "--preset", "s1-18", "--grade", "重特大")
    assert code == 0 and "10分钟" in out


def test_show_with_set_fills_blank_numbers() -> None:
    sets = [
        "obligations.g1.upward_report.duration=1h",
        "obligations.g2.upward_report.duration=2h",
        *(f"obligations.g{g}.golden_hours.duration=2h" for g in (1, 2, 3, 4)),
    ]
    code, out = _run("show", "--preset", "s1-6", *(x for s in sets for x in ("--set", s)))
    assert code == 0 and "1小时" in out


def test_check_valid_file() -> None:
    code, out = _run("check", "presets/s2-4.3.toml")
    assert code == 0 and "策略有效" in out


def test_check_broken_file_lists_every_problem(tmp_path: Path) -> None:
    text = Path("presets/default.toml").read_text(encoding="utf-8")
    text = text.replace(
        'duration = "30min"\nsource = "S1-4§13"', 'duration = "0min"\nsource = "S1-4§13"', 1
    ).replace('owner_role = "office_head"', 'owner_role = "mayor"', 1)
    broken = tmp_path / "broken.toml"
    broken.write_text(text, encoding="utf-8")
    code, out = _run("check", str(broken))
    assert code == 2
    assert "obligations.g1.quick_report.duration: must be > 0" in out
    assert "obligations.g1.press_conference.owner_role" in out
    assert "共 2 处问题" in out


def test_check_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "syntax.toml"
    broken.write_text('id = "x"\n\n[obligations\n', encoding="utf-8")
    code, out = _run("check", str(broken))
    assert code == 2 and f"{broken}:3" in out.replace("\n", "")


def test_check_missing_file() -> None:
    code, out = _run("check", "no/such/policy.toml")
    assert code == 2 and "无法读取" in out
