"""The seeds' rules at registration and over the new year, through the `yuqing` CLI on a real
database (SQLite and PostgreSQL) with a local receiver, on a moved clock: `--at` after the verb,
`rerun --at`, `--posted-at`/`--occurred-at` as the anchors S1-12 names (24 h from the posting),
and a working-day deadline started 2026-12-28 that never counts 元旦 — provisional (暂定, in
`case show` and in the alert) without a calendar file, firm with the State Council's 2027 notice
in `[calendar] file`; `yuqing calendar show` and `config check` from 1 December."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from tasks.runtime import prepare
from tests.support.configs import write_office_config
from yuqing.cli import app
from yuqing.localservers import WebhookReceiver

SH = ZoneInfo("Asia/Shanghai")
NOTICE_2027 = 'holidays = ["2027-01-01", "2027-01-02", "2027-01-03"]\nworkdays = []\n'


def yq(config: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", config, *args])


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def office(tmp_path: Path, database_url: str, receiver: WebhookReceiver, *, file: bool) -> str:
    path = write_office_config(
        tmp_path, database_url=database_url, receiver=receiver, preset="s1-12"
    )
    if file:
        (tmp_path / "calendar.toml").write_text(NOTICE_2027, encoding="utf-8")
        text = path.read_text(encoding="utf-8")
        path.write_text('[calendar]\nfile = "calendar.toml"\n\n' + text, encoding="utf-8")
    return str(path)


@pytest.fixture
def config(
    prefect_harness: str, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> Iterator[str]:
    path = office(tmp_path, database_url, receiver, file=False)
    yield path
    prepare(path).engine.dispose()


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def register(config: str, at: str, *extra: str) -> dict[str, Any]:
    registered: dict[str, Any] = ok(
        yq(
            config,
            "case",
            "register",
            "--title",
            "网民发帖：某中学食堂",
            "--json",
            "--at",
            at,
            *extra,
        )
    )
    return registered


def obligations(config: str, case_id: int) -> dict[str, dict[str, Any]]:
    shown = ok(yq(config, "case", "show", str(case_id), "--json"))
    return {o["key"]: o for o in shown["obligations"]}


def test_posting_time_is_the_anchor_s1_12_names(config: str) -> None:
    """S1-12 四(二)2(1)：发现网民发帖时起5小时内回应；网民发帖后24小时内作出正式解答。"""
    case = register(
        config,
        "2026-11-23T10:00+08:00",
        "--posted-at",
        "2026-11-23 06:30",
        "--occurred-at",
        "2026-11-22T20:00+08:00",
    )["case_id"]
    due = {k: datetime.fromisoformat(o["due_at"]) for k, o in obligations(config, case).items()}
    assert due["first_response"] == local("2026-11-23 15:00")  # 5 h from discovery
    assert due["formal_answer"] == local("2026-11-24 06:30")  # 24 h from the posting
    shown = yq(config, "case", "show", str(case))
    assert "发帖 2026-11-23 06:30" in shown.stdout and "发生 2026-11-22 20:00" in shown.stdout


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("明天上午", "不是有效时间"),
        ("2026-11-23 11:00", "不能晚于登记时间"),
        ("1999-01-01 08:00", "须在当前时间前后"),
    ],
)
def test_a_bad_posting_time_is_refused_naming_it(config: str, value: str, named: str) -> None:
    result = yq(
        config,
        "case",
        "register",
        "--title",
        "x",
        "--posted-at",
        value,
        "--at",
        "2026-11-23T10:00+08:00",
    )
    assert result.exit_code == 2 and "posted_at（发帖时间）" in result.stderr
    assert named in result.stderr and "Traceback" not in result.output
    assert ok(yq(config, "case", "list", "--json")) == []  # nothing was registered


def test_new_year_is_never_a_working_day_and_the_guess_says_so(
    config: str, receiver: WebhookReceiver
) -> None:
    case = register(config, "2026-12-28T10:00+08:00")["case_id"]
    handling = obligations(config, case)["handling_deadline"]
    assert datetime.fromisoformat(handling["due_at"]) == local("2027-01-06 00:00")
    assert handling["provisional"] is True
    shown = yq(config, "case", "show", str(case))
    assert "（暂定）" in shown.stdout  # the deadline table (wrapped to the terminal)
    assert "截止 2027-01-05 24:00（暂定：该年度节假日安排未知）" in shown.stdout  # the timeline
    swept = ok(yq(config, "sweep", "--at", "2027-01-06T00:01+08:00"))  # --at after the verb
    assert swept["at"] == "2027-01-05T16:01:00+00:00"
    alerts = [
        r.json()["message"] for r in receiver.received if "承诺的办理时限" in r.json()["title"]
    ]
    assert alerts and all("（暂定：该年度节假日安排未知）" in body for body in alerts)


def test_with_the_state_councils_notice_the_deadline_is_firm(
    prefect_harness: str, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    config = office(tmp_path, database_url, receiver, file=True)
    try:
        case = register(config, "2026-12-28T10:00+08:00")["case_id"]
        handling = obligations(config, case)["handling_deadline"]
        assert datetime.fromisoformat(handling["due_at"]) == local("2027-01-06 00:00")
        assert handling["provisional"] is False
        shown = yq(config, "calendar", "show", "2027")
        assert shown.exit_code == 0 and "已知：日历文件" in shown.stdout
        assert "2027-01-01 │ 周五 │ 放假 │ 日历文件" in shown.stdout
    finally:
        prepare(config).engine.dispose()


def test_rerun_honours_at(config: str) -> None:
    case = register(config, "2026-11-23T10:00+08:00")["case_id"]
    after = yq(config, "case", "rerun", str(case), "--json", "--at", "2026-11-23T11:00+08:00")
    assert ok(after)["at"] == "2026-11-23T03:00:00+00:00"
    before = yq(config, "--at", "2026-11-23T12:00+08:00", "case", "rerun", str(case), "--json")
    assert ok(before)["at"] == "2026-11-23T04:00:00+00:00"
    bad = yq(config, "case", "ack", str(case), "--at", "tomorrow")
    assert bad.exit_code == 2 and "--at：须是带时区的 ISO 时间" in bad.stderr


def test_calendar_show_and_config_check_from_1_december(tmp_path: Path) -> None:
    config = tmp_path / "yuqing.toml"
    config.write_text('[general]\ndata_dir = "data"\n', encoding="utf-8")
    shown = yq(str(config), "calendar", "show", "2027")
    assert shown.exit_code == 0 and "未知" in shown.stdout and "法定节日" in shown.stdout
    assert 'workdays = ["2027-02-20"]' in shown.stdout  # how to fill the file in
    data = ok(yq(str(config), "calendar", "show", "2026", "--json"))
    assert data["coverage"] == "library"
    assert {"date": "2026-10-10", "working": True, "source": "library"} in data["days"]
    november = yq(str(config), "--at", "2026-11-30T09:00+08:00", "config", "check")
    december = yq(str(config), "config", "check", "--at", "2026-12-01T09:00+08:00")
    assert "2027" not in november.stderr
    assert "日历缺少 2027 年" in december.stderr and "[calendar] file" in december.stderr
    (tmp_path / "calendar.toml").write_text('holidays = ["2027-1-1"]\n', encoding="utf-8")
    config.write_text(config.read_text() + '\n[calendar]\nfile = "calendar.toml"\n')
    broken = yq(str(config), "config", "check", "--at", "2026-12-01T09:00+08:00")
    assert broken.exit_code == 2 and "holidays[0]: 不是 YYYY-MM-DD 日期" in broken.stderr
