"""Stored reports on both backends: a scheduled run that runs twice builds one report; a build that
raises is kept as failed with its error and listed as stuck, and a re-run builds it once the
cause is gone; deliveries are counted per channel from the real Delivery rows of a dispatch to a
local receiver (one channel refusing); the quick report is numbered by year."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import docx
import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session, col, select

from models.repo.opening import open_case
from models.repo.reports.quick import next_issue
from models.repo.reports.store import get_report, stuck_reports
from models.reports.periods import ReportKind, period_containing
from models.reports.status import ReportStatus
from models.store.db import alembic_config, make_engine, session_scope
from models.store.tables import Notification
from notifications.dispatch import dispatch_pending
from notifications.outbox.rows import Outgoing, enqueue, new_notification_id
from tasks.calendar_notice import tell_calendar_gaps
from tasks.reports.build import ReportFailed, build_report, report_input
from tasks.reports.quick import build_quick
from tasks.reports.rerun import rerun_reports
from tasks.runtime import Runtime, prepare
from tests.support.report_month import local, write_month_config
from yuqing.localservers import WebhookReceiver

DAY = period_containing(ReportKind.DAILY, date(2026, 11, 22))


@pytest.fixture
def runtime(tmp_path: Path, database_url: str, receiver: WebhookReceiver) -> Iterator[Runtime]:
    config = write_month_config(tmp_path, database_url=database_url, receiver=receiver)
    built = prepare(str(config))
    yield built
    built.engine.dispose()


def _case(runtime: Runtime, title: str = "某中学食堂投诉") -> int:
    with session_scope(runtime.engine) as session:
        case = open_case(
            session,
            title=title,
            grade="一级",
            policy=runtime.policy,
            calendar=runtime.calendar,
            discovered_at=local(11, 22, 9),
        )
        assert case.id is not None
        return case.id


def test_a_scheduled_run_that_runs_twice_builds_one_report(runtime: Runtime) -> None:
    _case(runtime)
    first = build_report(
        runtime,
        kind=ReportKind.DAILY,
        period=DAY,
        format="xlsx",
        now=local(11, 22, 17),
        rebuild=False,
    )
    second = build_report(
        runtime,
        kind=ReportKind.DAILY,
        period=DAY,
        format="xlsx",
        now=local(11, 22, 17, 1),
        rebuild=False,
    )
    assert (second.report_id, second.reused, second.content) == (
        first.report_id,
        True,
        first.content,
    )
    with session_scope(runtime.engine) as session:
        report = get_report(session, first.report_id)
        assert (report.status, report.attempts, report.summary["cases_opened"]) == (
            ReportStatus.BUILT,
            1,
            1,
        )


def test_deliveries_are_counted_per_channel_from_the_delivery_rows(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = _case(runtime)
    with WebhookReceiver() as refusing:
        refusing.fail_with(503)
        urls = {"good": receiver.apprise_url("/a"), "bad": refusing.apprise_url("/b")}
        with session_scope(runtime.engine) as session:
            for n, channel in enumerate(["good", "good", "bad"]):
                enqueue(
                    session,
                    [
                        Outgoing(
                            case_id=case_id,
                            obligation_id=None,
                            level=0,
                            recipient_id="wangfang",
                            channel=channel,
                            subject=f"s{n}",
                            body="b",
                            notification_id=new_notification_id(),
                            at=local(11, 22, 10),
                            occasion=f"n{n}",
                            due_at=local(11, 22, 10),
                        )
                    ],
                )
        dispatch_pending(runtime.engine, channel_url=urls.get, now=local(11, 22, 10))
    data = report_input(runtime, period=DAY, now=local(11, 22, 17))
    # Every HTTP attempt is a delivery row: the busy channel was tried 3 times within the send.
    assert [(d.channel, d.attempts, d.delivered, d.failed) for d in data.deliveries] == [
        ("bad", 3, 0, 3),
        ("good", 2, 2, 0),
    ]
    later = report_input(
        runtime,
        period=period_containing(ReportKind.DAILY, date(2026, 11, 23)),
        now=local(11, 23, 17),
    )
    assert later.deliveries == []


def test_quick_reports_are_numbered_by_year_one_issue_per_case(runtime: Runtime) -> None:
    """快报 are numbered by year (S1-13 counts 54 issues); a case's quick report is one issue:
    issued again (the case flow, a re-export) it keeps its number, date and 报送人."""
    first, second = _case(runtime), _case(runtime, "市一中校门口拥堵")
    one = build_quick(runtime, case_id=first, now=local(11, 22, 9, 20), by="wangfang")
    two = build_quick(runtime, case_id=second, now=local(11, 22, 9, 40), by="wangfang")
    again = build_quick(runtime, case_id=first, now=local(11, 23, 10), by="chenjun", gist="新留言")
    third = build_quick(
        runtime, case_id=_case(runtime, "某小学"), now=local(11, 24, 9), by="wangfang"
    )
    with session_scope(runtime.engine) as session:
        stored = [get_report(session, r.report_id) for r in (one, two, again, third)]
        labels = [r.label for r in stored]
        numbers = [(r.issue_year, r.issue_no) for r in stored]
    assert labels == ["2026年第1期", "2026年第2期", "2026年第1期", "2026年第3期"]
    assert numbers == [(2026, 1), (2026, 2), (2026, 1), (2026, 3)]
    assert again.report_id == one.report_id
    assert two.summary["subject"] == "【舆情快报】2026年第2期：市一中校门口拥堵"
    text = again.summary["message"]
    assert "2026-11-22 09:20" in text and "新留言" in text  # issued when first issued, facts now
    paragraphs = [p.text for p in docx.Document(io.BytesIO(again.content)).paragraphs]
    assert paragraphs[-1].startswith("报送人：王芳")  # who first sent it, from the directory


def test_a_build_that_fails_is_kept_as_failed_and_rerun_builds_it(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """SQLite only: a corrupt stored time is how a real build fails without patching anything
    (PostgreSQL's typed columns cannot hold one)."""
    config = write_month_config(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'yq.db'}", receiver=receiver
    )
    runtime = prepare(str(config))
    case_id = _case(runtime)
    with session_scope(runtime.engine) as session:
        session.execute(
            text("UPDATE obligation SET due_at = 'not a time' WHERE case_id = :id"), {"id": case_id}
        )
    with pytest.raises(ReportFailed) as failed:
        build_report(
            runtime,
            kind=ReportKind.DAILY,
            period=DAY,
            format="xlsx",
            now=local(11, 22, 17),
            rebuild=False,
        )
    report_id = failed.value.report_id
    now = local(11, 22, 17, 5)
    with session_scope(runtime.engine) as session:
        report = get_report(session, report_id)
        assert report.status == ReportStatus.FAILED
        error = report.error or ""
        assert f"案件 {case_id} 的时限" in error and "起算或截止时间无法读取" in error
        (stuck,) = stuck_reports(session, now=now)
        assert stuck.report.id == report_id and stuck.reason.startswith("生成失败")
    with session_scope(runtime.engine) as session:  # the cause is repaired
        session.execute(
            text("UPDATE obligation SET due_at = anchor_at WHERE case_id = :id"), {"id": case_id}
        )
    (done,) = rerun_reports(runtime, now=now + timedelta(minutes=1))
    assert (done["report_id"], done["rebuilt"]) == (report_id, True)
    assert done["sent"]["recipients"] == ["wangfang", "chenjun", "zhaomin"]  # it was scheduled
    with session_scope(runtime.engine) as session:
        assert get_report(session, report_id).status == ReportStatus.BUILT
        assert stuck_reports(session, now=now + timedelta(minutes=2)) == []
    assert {r.path for r in receiver.received} == {
        "/hook/wangfang",
        "/hook/chenjun",
        "/hook/zhaomin",
    }
    runtime.engine.dispose()


@pytest.mark.empty_database
def test_the_migration_keeps_the_numbers_quick_reports_were_issued_with(database_url: str) -> None:
    """0019: a quick report stored before the numbers were stored keeps its 期号 (its file
    says it), and the next one issued takes the number after it."""
    config = alembic_config(database_url)
    command.upgrade(config, "0015_delivery")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO storedreport (key, kind, label, format, filename, size, status,"
                    " attempts, requested_by, created_at, summary) VALUES ('quick|2026|7', 'quick',"
                    " '2026年第7期', 'docx', 'q.docx', 0, 'built', 1, 'wangfang', :at, :summary)"
                ),
                {"at": local(11, 22, 9), "summary": '{"params": {"year": 2026, "issue": 7}}'},
            )
        command.upgrade(config, "heads")
        with engine.connect() as connection:
            row = connection.execute(text("SELECT issue_year, issue_no FROM storedreport")).one()
        assert tuple(row) == (2026, 7)
        with Session(engine) as session:
            assert next_issue(session, year=2026) == 8
    finally:
        engine.dispose()


def test_a_missing_calendar_year_is_told_to_the_operators_once(runtime: Runtime) -> None:
    """From 1 December the daily run tells those told of the system's gaps (the duty officer
    here) that next year's 放假安排 is missing — once, however many days it stays missing."""
    assert tell_calendar_gaps(runtime, local(11, 30, 17)) == 0
    assert tell_calendar_gaps(runtime, local(12, 1, 17)) == 1  # zhaomin, the duty officer
    assert tell_calendar_gaps(runtime, local(12, 2, 17)) == 0
    with session_scope(runtime.engine) as session:
        (told,) = session.exec(
            select(Notification).where(col(Notification.subject).contains("日历缺少2027年"))
        ).all()
        assert told.recipient_id == "zhaomin" and "[calendar] file" in told.body
