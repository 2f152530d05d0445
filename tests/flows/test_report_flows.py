"""The report flows with real parts: the daily digest run at 17:00 Asia/Shanghai on a moved clock
builds the day's workbook and delivers it through Apprise to a local webhook receiver (the file
in the JSON body) and a local SMTP server (the file as an e-mail attachment); a recipient whose
channel fails leaves the report on the stuck list until `rerun-reports` gets it through, and
nothing delivered is sent twice. The deployments `yuqing serve` runs fire at 17:00 (daily) and
on S0-14's December day in the office's zone, by Prefect's own schedule arithmetic."""

from __future__ import annotations

import asyncio
import base64
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from prefect.server.schemas.schedules import CronSchedule
from prefect.utilities.callables import parameter_schema

from deployments.declared import local as served_deployments
from deployments.declared import pool
from flows.reports import rerun_reports, scheduled_report
from models.repo.opening import open_case
from models.repo.reports.store import stuck_reports
from models.store.db import session_scope
from tasks.runtime import prepare
from tests.support.report_month import local, write_month_config
from tests.support.smtp import smtp_server, text_of
from yuqing.localservers import WebhookReceiver

pytestmark = pytest.mark.flows
ZONE = ZoneInfo("Asia/Shanghai")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _open_cases(config: Path) -> list[int]:
    runtime = prepare(str(config))
    ids = []
    with session_scope(runtime.engine) as session:
        for title, grade, at in (
            ("某中学食堂饭菜变质", "一级", local(11, 22, 9)),
            ("市一中校门口拥堵", "三级", local(11, 22, 14)),
            ("上周的旧案件", "三级", local(11, 18, 10)),
        ):
            case = open_case(
                session,
                title=title,
                grade=grade,
                policy=runtime.policy,
                calendar=runtime.calendar,
                discovered_at=at,
            )
            assert case.id is not None
            ids.append(case.id)
    return ids


def _workbook(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(content))
    return {
        name: list(book[name].iter_rows(min_row=2, values_only=True)) for name in book.sheetnames
    }


def test_the_daily_digest_at_17_00_reaches_the_webhook_and_the_mailbox_with_the_workbook(
    prefect_harness: str, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    with smtp_server() as (port, mails), WebhookReceiver() as broken:
        broken.fail_with(500)
        config = write_month_config(
            tmp_path,
            database_url=database_url,
            receiver=receiver,
            extra="[dispatch]\nattempts_per_channel = 1\n",  # a failed channel fails at once
            channels={
                "wangfang": f"mailto://127.0.0.1:{port}?from=bot@example.test"
                "&to=wangfang@example.test&mode=insecure",
                "zhaomin": broken.apprise_url("/hook/zhaomin"),
            },
        )
        new, older_new, old = _open_cases(config)
        at = local(11, 22, 17)
        result = scheduled_report(kind="daily", config=str(config), at=at)
        assert (result["period"], result["reused"]) == ("2026-11-22", False)
        assert result["calendar_notices"] == 0  # November: 2026 is known, 2027 not yet due
        assert result["sent"]["recipients"] == ["wangfang", "chenjun", "zhaomin"]

        # The webhook (chenjun, office head): the digest's text and the workbook in the body.
        (got,) = [r.json() for r in receiver.received if r.path == "/hook/chenjun"]
        assert got["title"] == "【每日舆情汇总】2026-11-22"
        assert "[一级] 某中学食堂饭菜变质 yuqing case show" in got["message"]
        assert "下一时限：快报 11-22 09:30（已超时）" in got["message"]
        (attached,) = got["attachments"]
        assert (attached["filename"], attached["mimetype"]) == ("daily-2026-11-22.xlsx", XLSX)
        sheets = _workbook(base64.b64decode(attached["base64"]))
        assert [row[0] for row in sheets["今日新增"]] == [new, older_new]
        assert sorted(row[0] for row in sheets["在办案件"]) == sorted([new, older_new, old])
        assert sheets["今日新增"][0][5] == datetime(2026, 11, 22, 9, 30)  # noqa: DTZ001 - local

        # The mailbox (wangfang, office staff): the same workbook as an e-mail attachment.
        (mail,) = mails
        assert mail["To"] == "wangfang@example.test"
        assert "某中学食堂饭菜变质" in text_of(mail)
        files = [p for p in mail.walk() if p.get_filename()]
        assert [p.get_filename() for p in files] == ["daily-2026-11-22.xlsx"]
        payload = files[0].get_payload(decode=True)
        assert isinstance(payload, bytes)
        assert [row[0] for row in _workbook(payload)["今日新增"]] == [new, older_new]

        # zhaomin's channel refused it: the report is stuck until a re-run gets it through.
        runtime = prepare(str(config))
        with session_scope(runtime.engine) as session:
            (stuck,) = stuck_reports(session, now=at + timedelta(minutes=5))
            assert (stuck.report.id, stuck.reason) == (result["report_id"], "未送达：zhaomin")
        assert broken.rejected == 3  # three tries within the send; zhaomin has no other channel
        broken.recover()
        again = scheduled_report(kind="daily", config=str(config), at=at)  # a repeated run
        assert again["reused"] and again["sent"]["queued"] == 0
        (rerun,) = rerun_reports(config=str(config), at=at + timedelta(minutes=10))
        assert (rerun["report_id"], rerun["rearmed"], rerun["sent"]["sent"]) == (
            result["report_id"],
            1,
            1,
        )
        with session_scope(runtime.engine) as session:
            assert stuck_reports(session, now=at + timedelta(minutes=15)) == []
        zhaomin = [r.json() for r in broken.received]
        assert [m["attachments"][0]["filename"] for m in zhaomin] == ["daily-2026-11-22.xlsx"]
        # Nobody got a second copy.
        assert len([r for r in receiver.received if r.path == "/hook/chenjun"]) == 1
        assert len(mails) == 1


def _next_local(schedule: CronSchedule, start: datetime, n: int) -> list[str]:
    dates = asyncio.run(schedule.get_dates(n=n, start=start))
    return [d.astimezone(ZONE).strftime("%Y-%m-%d %H:%M") for d in dates]


def test_report_deployments_fire_on_the_offices_clock(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    config = write_month_config(
        tmp_path,
        database_url=f"sqlite:///{tmp_path / 'yq.db'}",
        receiver=receiver,
        extra="[reports.monthly]\ndecember_day = 11\n",
    )
    served = [
        s for s in served_deployments(str(config)) if s.flow in (scheduled_report, rerun_reports)
    ]
    found = {s.deployment.name: s.deployment for s in served}
    assert set(found) == {"daily", "weekly", "monthly", "quarterly", "halfyear", "annual", "manual"}
    # Inside serve the scheduled ones collapse late runs into the latest; the re-run waits for a
    # person. On the pool the same reports, one run at a time, each worker with its own config.
    assert sorted(s.deployment.name for s in served if s.scheduled) == sorted(
        n for n in found if n != "manual"
    )
    on_pool = {
        d.name: d for d in pool(str(config), "yuqing") if d.flow_name in ("report", "rerun-reports")
    }
    assert set(on_pool) == {"daily", "weekly", "monthly", "quarterly", "halfyear", "annual", "pool"}
    assert on_pool["daily"].parameters == {"kind": "daily"}
    assert on_pool["daily"].schedules[0].schedule.cron == found["daily"].schedules[0].schedule.cron
    daily = found["daily"].schedules
    assert [(s.schedule.cron, s.schedule.timezone) for s in daily] == [
        ("0 17 * * *", "Asia/Shanghai")
    ]
    start = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    server_daily = CronSchedule(cron=daily[0].schedule.cron, timezone=daily[0].schedule.timezone)
    assert _next_local(server_daily, start, 3) == [
        "2026-11-22 17:00",
        "2026-11-23 17:00",
        "2026-11-24 17:00",
    ]
    monthly = sorted(
        d
        for s in found["monthly"].schedules
        for d in _next_local(
            CronSchedule(cron=s.schedule.cron, timezone=s.schedule.timezone), start, 3
        )
    )
    # November's ledger on 1 December, December's on 11 December (S0-14), none on 1 January.
    assert monthly[:3] == ["2026-12-01 09:00", "2026-12-11 09:00", "2027-02-01 09:00"]
    quarterly = found["quarterly"].schedules[0].schedule
    quarters = CronSchedule(cron=quarterly.cron, timezone=quarterly.timezone)
    assert _next_local(quarters, start, 2) == ["2027-01-01 09:00", "2027-04-01 09:00"]  # S0-12
    weekly = found["weekly"].schedules[0].schedule
    assert _next_local(CronSchedule(cron=weekly.cron, timezone=weekly.timezone), start, 1) == [
        "2026-11-23 09:00"  # a Monday
    ]
    for deployment in found.values():
        flow = scheduled_report if deployment.flow_name == "report" else rerun_reports
        assert set(deployment.parameters) <= set(parameter_schema(flow).properties)
    assert found["daily"].parameters == {"kind": "daily", "config": str(config)}
