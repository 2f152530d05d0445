"""The report pages in a real browser (Debian's Chromium through Playwright) against the real app
on uvicorn, over the fixture month on SQLite: a leader judges a lapse in the accountability
ledger's form and sees the judgement in the ledger and in the exported workbook; 统计 shows the
month's figures with server-rendered SVG charts; a report whose build died is listed on the stuck
page and re-run from the report page, after which its file downloads.

Skipped only when /usr/bin/chromium is missing outside CI; with $CI set that is a failure."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models.repo.reports.store import register
from models.reports.periods import ReportKind
from models.store.db import session_scope
from tests.support.browser import require_chromium
from tests.support.report_month import Month, local, play_month, write_month_config
from tests.support.web import LINK_KEY, PASSWORD, Clock, free_port, served
from yuqing.localservers import WebhookReceiver
from yuqing.web.security import hash_password

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402


@pytest.fixture
def office(tmp_path: Path, receiver: WebhookReceiver) -> Iterator[tuple[Path, Month, int]]:
    port = free_port()
    users = "".join(
        f'[[web.users]]\nusername = "{name}"\nperson = "{person}"\n'
        f'password_hash = "{hash_password(PASSWORD)}"\n\n'
        for name, person in (("li", "liqiang"), ("wang", "wangfang"))
    )
    config = write_month_config(
        tmp_path,
        database_url=f"sqlite:///{tmp_path / 'yq.db'}",
        receiver=receiver,
        extra=f'[web]\nport = {port}\nbase_url = "http://127.0.0.1:{port}"\n\n{users}',
        extra_secrets=f'link_key = "{LINK_KEY}"',
    )
    month = play_month(config)
    yield config, month, port
    month.runtime.engine.dispose()


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("案件看板"))).to_be_visible()


def test_a_leader_judges_a_lapse_and_sees_it_in_the_ledger_and_the_export(
    page: Page, office: tuple[Path, Month, int]
) -> None:
    config, month, port = office
    with served(config, Clock(month.as_of), port=port) as base:
        sign_in(page, base, "li")
        page.get_by_role("link", name="问责台账").click()
        rows = page.locator("#ledger tbody tr")
        expect(rows).to_have_count(8)  # the eight lapses the month's sweeps recorded
        late = rows.filter(has_text="某中学食堂饭菜变质谣言").filter(has_text="首次回应")
        expect(late.locator(".verdict-text")).to_have_text("待研判")
        expect(late).to_contain_text("2026-11-03 09:20")  # first reported: the quick report
        late.get_by_text("研判", exact=True).click()
        late.get_by_label("理由不成立（需追责）").check()
        late.get_by_label("研判理由").fill("未在3小时内回应网友关切")
        late.get_by_label("处理建议（理由不成立时）").select_option(label="通报处理")
        late.get_by_role("button", name="提交研判").click()
        expect(page.get_by_role("status")).to_contain_text("已记录")
        expect(late.locator(".verdict-text")).to_have_text("理由不成立，需追责")
        expect(late).to_contain_text("未在3小时内回应网友关切；建议通报处理（李强")

        page.get_by_label("研判", exact=True).select_option(label="理由不成立")
        page.get_by_role("button", name="筛选").click()
        expect(rows).to_have_count(1)
        with page.expect_download() as download:
            page.locator("#export-xlsx").click()
        sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))["问责台账"]
        header = [c.value for c in sheet[1]]
        (row,) = [
            dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)
        ]
        assert (row["案件"], row["逾期事项"]) == ("某中学食堂饭菜变质谣言", "首次回应")
        assert (row["研判结论"], row["研判人"]) == ("理由不成立，需追责", "李强")
        assert row["研判理由"] == "未在3小时内回应网友关切" and row["处理建议"] == "通报处理"


def test_an_office_worker_sees_the_ledger_but_no_judgement_form(
    page: Page, office: tuple[Path, Month, int]
) -> None:
    config, month, port = office
    with served(config, Clock(month.as_of), port=port) as base:
        sign_in(page, base, "wang")
        page.goto(f"{base}/accountability")
        expect(page.locator("#ledger tbody tr")).to_have_count(8)
        expect(page.get_by_role("button", name="提交研判")).to_have_count(0)
        page.goto(f"{base}/accountability?month=2026-13")
        expect(page.get_by_role("alert")).to_contain_text("--month")


def test_the_statistics_page_draws_the_months_figures(
    page: Page, office: tuple[Path, Month, int]
) -> None:
    config, month, port = office
    with served(config, Clock(month.as_of), port=port) as base:
        sign_in(page, base, "wang")
        page.get_by_role("link", name="统计").click()
        page.get_by_label("月份").fill("2026-11")
        page.get_by_role("button", name="查看").click()
        summary = page.locator("#summary")
        expect(summary).to_contain_text("新增案件4 件")
        expect(summary).to_contain_text("按时率63.0%")  # 17 of 27
        units = page.locator("#chart-units rect")
        expect(units).to_have_count(3)
        office_bar = page.locator('#chart-units rect[data-label="办公室"]')
        assert float(office_bar.get_attribute("data-rate") or 0) == pytest.approx(12 / 21, abs=1e-4)
        assert office_bar.evaluate("r => r.getAttribute('fill')") == "#c62828"  # below 90%
        expect(
            page.locator('#chart-grades rect[data-bucket="11-20"][data-series="三级"]')
        ).to_have_attribute("data-count", "1")
        expect(page.locator("#overdue-units tbody tr").first).to_contain_text("办公室")


def test_a_report_whose_build_died_is_on_the_stuck_page_and_rerun_from_the_report_page(
    page: Page, office: tuple[Path, Month, int]
) -> None:
    config, month, port = office
    with session_scope(month.runtime.engine) as session:  # what a killed build leaves behind
        week = local(11, 23, 0), local(11, 30, 0)
        register(
            session,
            key="weekly|2026-W48|*|*|*|xlsx",
            kind=ReportKind.WEEKLY,
            label="2026-W48",
            format="xlsx",
            filename="weekly-2026-W48.xlsx",
            at=local(11, 30, 9),
            requested_by="schedule",
            period=week,
        )
    with served(config, Clock(month.as_of), port=port) as base:
        sign_in(page, base, "wang")
        page.get_by_role("link", name="卡住的案件").click()
        stuck = page.locator("#stuck-reports tbody tr")
        expect(stuck).to_have_count(1)
        expect(stuck).to_contain_text("生成中断")
        page.get_by_role("link", name="报告下载").first.click()
        report = page.locator("#reports tbody tr").filter(has_text="2026-W48")
        report.get_by_role("button", name="重跑").click()
        expect(page.get_by_role("status")).to_contain_text("已重跑")
        expect(report).to_contain_text("已生成")
        with page.expect_download() as download:
            report.get_by_role("link", name="weekly-2026-W48.xlsx").click()
        book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert "案件清单" in book.sheetnames and "月度台账" not in book.sheetnames
        page.goto(f"{base}/stuck")
        expect(page.locator("#stuck-reports")).to_have_count(0)
        expect(page.get_by_text("没有待重跑的报告")).to_be_visible()
