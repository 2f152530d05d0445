"""The seeds' verbs on the console (issue 19), a real app on a real database (SQLite and
PostgreSQL): a leader's 批示 form on the case page, the instruction shown under 领导批示 to the
office; a category corrected with a reason shown under 更正记录 (a unit with nobody to
answer its contact sheet refused); an optional deadline resolved as 不需要
shows so; the office staff have no 批示 form and are refused one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_case_archive import ok, yq
from tests.support.console import Console, csrf_of, running_console, sign_in
from yuqing.localservers import WebhookReceiver


@pytest.fixture
def console(
    prefect_harness: str, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> Iterator[Console]:
    with running_console(database_url, tmp_path, receiver) as running:
        yield running


def test_the_case_page_shows_instructions_corrections_and_not_needed(console: Console) -> None:
    title = ("--title", "某中学食堂饭菜变质", "--grade", "一级", "--json")
    case_id = str(ok(yq(console, "case", "register", *title))["case_id"])
    ok(yq(console, "case", "report", case_id, "--by", "王芳", minutes=1))
    assess = ("assess", case_id, "--category", "inquiry", "--unit", "school", "--by", "李强")
    ok(yq(console, "case", *assess, "--grade", "一级", minutes=2))
    ok(yq(console, "case", "dispatch", case_id, "--by", "王芳", minutes=3))
    with console.client() as li, console.client() as wang:
        sign_in(li, "li")
        sign_in(wang, "wang")
        page = li.get(f"/cases/{case_id}")
        assert 'id="act-case-instruct"' in page.text
        first = wang.get(f"/cases/{case_id}").text  # 不需要 only where nothing else meets it
        assert 'id="act-press_conference-waive"' in first
        assert 'id="act-verification-waive"' not in first
        assert 'id="act-verification-complete"' in first
        waive = ("waive", case_id, "--obligation", "press_conference", "--reason", "无需召开")
        ok(yq(console, "case", *waive, "--by", "王芳", minutes=4))
        form = {"csrf": csrf_of(page), "action": "instruct", "text": "请市一中当日核实"}
        done = li.post(f"/cases/{case_id}/act", data=form, follow_redirects=False)
        assert done.status_code == 303, done.text[:400]
        seen = wang.get(f"/cases/{case_id}")
        assert 'id="act-case-instruct"' not in seen.text
        assert "<h2>领导批示</h2>" in seen.text and "请市一中当日核实" in seen.text
        assert "不需要" in seen.text
        token = csrf_of(seen)
        refused = wang.post(
            f"/cases/{case_id}/act",
            data={"csrf": token, "action": "instruct", "text": "我也批示"},
            follow_redirects=False,
        )
        assert refused.status_code == 403
        unit = {"csrf": token, "action": "units", "add": "office", "reason": "办公室协调"}
        nobody = wang.post(f"/cases/{case_id}/act", data=unit, follow_redirects=False)
        assert nobody.status_code == 422 and "没有登记责任单位负责人" in nobody.text
        fixed = {"csrf": token, "action": "correct", "category": "rumour"}
        missing = wang.post(f"/cases/{case_id}/act", data=fixed, follow_redirects=False)
        assert missing.status_code == 422 and "更正理由" in missing.text
        fixed["reason"] = "核实为编造"
        moved = wang.post(f"/cases/{case_id}/act", data=fixed, follow_redirects=False)
        assert moved.status_code == 303, moved.text[:400]
        again = wang.get(f"/cases/{case_id}").text
        assert "<h2>更正记录</h2>" in again
        assert "类别：询问、质疑、诉求 → 捏造、歪曲、谣言（王芳，理由：核实为编造）" in again
