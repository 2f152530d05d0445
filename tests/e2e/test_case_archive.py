"""The per-case archive (立卷归档, F22; S2-4.3 立卷归档, S1-5 有案可查): a case carried through
report (with its quick-report document), statement and approval, referral, on a real database
(SQLite and PostgreSQL), exported by `yuqing case archive` and downloaded from the console by
office staff — the same files (case facts, timeline, items, deadlines, approvals, referrals,
accountability, messages, delivery attempts, review as CSV and JSON; the .docx issued), every
file's SHA-256 in the manifest and in SHA256SUMS; refused to other roles, an unknown case or an
unknown person, and noted on the case's timeline."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from typer.testing import CliRunner, Result

from tests.support.console import Console, running_console, sign_in
from yuqing.cli import app
from yuqing.localservers import WebhookReceiver

TABLES = (
    "timeline",
    "items",
    "deadlines",
    "approvals",
    "referrals",
    "accountability",
    "messages",
    "deliveries",
    "review",
)


@pytest.fixture
def console(
    prefect_harness: str, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> Iterator[Console]:
    with running_console(database_url, tmp_path, receiver) as running:
        yield running


def yq(console: Console, *args: str, minutes: int = 0) -> Result:
    at = (console.clock.at + timedelta(minutes=minutes)).isoformat()
    return CliRunner().invoke(app, ["--config", str(console.config), "--at", at, *args])


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if result.stdout.lstrip().startswith("{") else result.stdout


def a_filed_case(console: Console) -> int:
    case = ok(yq(console, "case", "register", "--title", "某中学食堂饭菜变质", "--json"))
    case_id = str(case["case_id"])
    ok(yq(console, "case", "report", case_id, "--unit", "school", "--by", "王芳", minutes=5))
    assess = ("assess", case_id, "--category", "inquiry", "--unit", "school", "--by", "李强")
    ok(yq(console, "case", *assess, "--grade", "三级", minutes=6))
    ok(yq(console, "case", "dispatch", case_id, "--by", "王芳", minutes=7))
    ok(
        yq(
            console,
            "case",
            "verify",
            case_id,
            "--result",
            "属实，已整改",
            "--by",
            "张伟",
            minutes=8,
        )
    )
    ok(yq(console, "case", "draft", case_id, "--text", "已责成学校整改", "--by", "王芳", minutes=9))
    ok(yq(console, "case", "approve", case_id, "--by", "陈军", minutes=12))
    ok(
        yq(
            console,
            "case",
            "refer",
            case_id,
            "--to",
            "public_security",
            "--note",
            "造谣",
            minutes=14,
        )
    )
    return int(case_id)


def files_of(content: bytes, case_id: int) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        prefix = f"case-{case_id}/"
        assert all(name.startswith(prefix) for name in bundle.namelist())
        return {name.removeprefix(prefix): bundle.read(name) for name in bundle.namelist()}


def check_archive(files: dict[str, bytes], case_id: int) -> None:
    manifest = json.loads(files["manifest.json"])
    assert manifest["case_id"] == case_id and manifest["title"] == "某中学食堂饭菜变质"
    listed = {f["path"]: f for f in manifest["files"]}
    expected = {"case.json", *(f"{t}.{ext}" for t in TABLES for ext in ("csv", "json"))}
    assert expected <= set(listed)
    for path, entry in listed.items():  # every file's hash is the file's
        assert hashlib.sha256(files[path]).hexdigest() == entry["sha256"], path
    lines = files["SHA256SUMS"].decode().splitlines()
    sums = {path: digest for digest, path in (line.split("  ", 1) for line in lines)}
    assert sums == {path: entry["sha256"] for path, entry in listed.items()}
    timeline = list(csv.DictReader(io.StringIO(files["timeline.csv"].decode("utf-8-sig"))))
    assert any(row["内容"].startswith("立案：某中学食堂饭菜变质") for row in timeline)
    approvals = json.loads(files["approvals.json"])
    assert [(a["类别"], a["状态"], a["审批人"]) for a in approvals] == [
        ("通稿审定", "approved", "陈军")
    ]
    assert json.loads(files["referrals.json"])[0]["移送机关"] == "公安机关"
    assert json.loads(files["case.json"])["标题"] == "某中学食堂饭菜变质"
    messages = json.loads(files["messages.json"])
    assert any("舆情快报" in m["标题"] for m in messages)
    assert json.loads(files["deliveries.json"])  # every attempt to deliver them
    (quick,) = [p for p in listed if p.startswith("documents/quick-")]
    word = docx.Document(io.BytesIO(files[quick]))
    assert word.paragraphs[0].text == "舆情快报"


def test_the_cli_exports_the_case_file_with_its_manifest(console: Console, tmp_path: Path) -> None:
    case_id = a_filed_case(console)
    target = tmp_path / "archive.zip"
    done = yq(console, "case", "archive", str(case_id), "--out", str(target), "--by", "王芳")
    assert done.exit_code == 0 and "已导出案卷" in done.stdout, done.output
    check_archive(files_of(target.read_bytes(), case_id), case_id)
    shown = ok(yq(console, "case", "show", str(case_id), "--json"))
    assert any("王芳 导出案卷（立卷归档）" in e["message"] for e in shown["timeline"])
    missing = yq(console, "case", "archive", "99", "--out", str(tmp_path / "x.zip"))
    assert missing.exit_code == 2 and "案件 99 不存在" in missing.stderr
    assert not (tmp_path / "x.zip").exists()
    stranger = yq(console, "case", "archive", str(case_id), "--by", "路人甲")
    assert stranger.exit_code == 2 and "未知人员" in stranger.stderr


def test_the_console_gives_the_same_file_to_the_office_only(console: Console) -> None:
    case_id = a_filed_case(console)
    with console.client() as wang, console.client() as li, console.client() as nobody:
        sign_in(wang, "wang")
        sign_in(li, "li")
        page = wang.get(f"/cases/{case_id}")
        assert f'href="/cases/{case_id}/archive"' in page.text
        got = wang.get(f"/cases/{case_id}/archive")
        assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
        assert f"case-{case_id}.zip" in got.headers["content-disposition"]
        check_archive(files_of(got.content, case_id), case_id)
        assert "/archive" not in li.get(f"/cases/{case_id}").text  # a leader: no link…
        refused = li.get(f"/cases/{case_id}/archive")  # …and no file
        assert (
            refused.status_code == 403
            and "导出案卷只对办公室负责人、办公室工作人员开放" in refused.text
        )
        assert wang.get("/cases/99/archive").status_code == 404
        away = nobody.get(f"/cases/{case_id}/archive", follow_redirects=False)
        assert away.status_code in (302, 303) and "/login" in away.headers["location"]
        assert isinstance(got, httpx.Response)
