"""The health of the whole setup in one report, for `yuqing status` (one screen, exit non-zero
when something is down) and the console's `/healthz` (JSON, 503 when something is down): serve
(its process and its own view, `status.json`), the database, the dispatchers, the workers of the
pool (distributed setup), Prefect's API, the channels' health, the people no channel reaches,
the fault states serve has open, the stuck cases and reports, the last sweep and the next due
time. Each check says in one Chinese line what it found; `down` marks what fails the report.
Reads only, cheaply: counts and single rows, never the stuck rules over every case."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from deployments.serve_record import read_status, serve_alive
from models.policy.faults import lasted
from models.policy.states import NotificationStatus, StepStatus
from models.repo.lastrun import last_runs
from models.store.db import session_scope
from models.store.outages import database_fault
from models.store.tables import CaseStep, ChannelHealth, Dispatcher, Notification, Unreachable
from tasks.escalation import next_due
from tasks.runtime import Runtime

FRESH = timedelta(seconds=15)  # serve rewrites its status every 2 s: older means it is stuck
OVERDUE = timedelta(minutes=5)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    down: bool = False  # fails the report (a warning is not ok, not down)


@dataclass
class Report:
    at: datetime
    checks: list[Check] = field(default_factory=list)
    faults: list[dict[str, str]] = field(default_factory=list)

    @property
    def down(self) -> bool:
        return any(c.down for c in self.checks)

    def add(self, name: str, ok: bool, detail: str, *, down: bool | None = None) -> None:
        self.checks.append(Check(name, ok, detail, (not ok) if down is None else down))

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": not self.down,
            "at": self.at.isoformat(),
            "checks": [asdict(c) for c in self.checks],
            "faults": self.faults,
        }


def gather(runtime: Runtime, *, now: datetime) -> Report:
    report = Report(now)
    view = _serve(runtime, report, now)
    try:
        with session_scope(runtime.engine) as session:
            session.execute(text("SELECT 1"))
            database_fault_open = any(f["key"] == "database" for f in report.faults)
            report.add("数据库", not database_fault_open, _database_line(report), down=None)
            _database_checks(runtime, session, report, view, now)
    except Exception as error:
        fault = database_fault(error)
        if fault is None:
            raise
        report.add("数据库", False, fault.line)
    _prefect(runtime, report, view)
    return report


def _database_line(report: Report) -> str:
    open_ = [f["what"] for f in report.faults if f["key"] == "database"]
    return open_[0] if open_ else "可读写"


def _serve(runtime: Runtime, report: Report, now: datetime) -> dict[str, Any]:
    data_dir = runtime.settings.general.data_dir
    record = serve_alive(data_dir)
    view = read_status(data_dir) or {}
    if record is None:
        report.add("yuqing serve", False, "未运行")
        return {}
    updated = datetime.fromisoformat(view["updated_at"]) if view.get("updated_at") else None
    if updated is None or now - updated > FRESH:
        report.add("yuqing serve", False, f"进程 {record.pid} 在运行，但状态已 15 秒以上未更新")
        return view
    started = datetime.fromisoformat(view["started_at"])
    minutes = int((now - started).total_seconds() // 60)
    report.add("yuqing serve", True, f"进程 {record.pid}，已运行 {minutes} 分钟")
    report.faults = [f for f in view.get("faults", []) if isinstance(f, dict)]
    other = [f["what"] for f in report.faults if not f["key"].startswith(("database", "prefect"))]
    report.add("故障", not other, "；".join(other) or "无")
    return view


def _database_checks(
    runtime: Runtime, session: Session, report: Report, view: dict[str, Any], now: datetime
) -> None:
    options = runtime.settings.dispatch
    if not runtime.settings.serve.work_pool:
        beating = session.exec(
            select(func.count()).where(
                col(Dispatcher.beat_at) >= now - timedelta(seconds=options.claimer_timeout_seconds)
            )
        ).one()
        wanted = (view.get("dispatchers") or {}).get("wanted") or 1
        restarts = (view.get("dispatchers") or {}).get("restarts") or 0
        detail = f"{beating}/{wanted} 个在工作" + (f"，已重启 {restarts} 次" if restarts else "")
        report.add("发送进程", beating >= wanted, detail)
    channels = session.exec(select(ChannelHealth)).all()
    down = [h.channel for h in channels if h.state != "up"]
    healthy_line = f"{len(channels)} 个已用过的渠道正常"
    report.add("通知渠道", not down, f"故障（已熔断）：{'、'.join(down)}" if down else healthy_line)
    people = session.exec(select(Unreachable.person_id)).all()
    report.add("无法联系的人", not people, "、".join(people) or "无", down=False)
    _stuck(session, report, now)
    runs = last_runs(session)
    sweep = runs.get("sweep")
    tz = runtime.settings.tz
    swept = _when(sweep.at, now, tz) if sweep else "尚未运行"
    report.add("最近一次时限检查", sweep is not None, swept, down=False)
    timeout = timedelta(seconds=options.claimer_timeout_seconds)
    due = next_due(session, now=now, claimer_timeout=timeout)
    upcoming = _when(due, now, tz) if due else "没有待处理的时限或通知"
    report.add("下次到期", True, upcoming, down=False)


def _stuck(session: Session, report: Report, now: datetime) -> None:
    from models.repo.reports.store import stuck_reports

    failed_steps = session.exec(
        select(func.count(func.distinct(CaseStep.case_id))).where(
            CaseStep.status == StepStatus.FAILED
        )
    ).one()
    failed = session.exec(
        select(func.count()).where(Notification.status == NotificationStatus.FAILED)
    ).one()
    overdue = session.exec(
        select(func.count()).where(
            Notification.status == NotificationStatus.PENDING,
            func.coalesce(Notification.next_attempt_at, Notification.created_at) < now - OVERDUE,
        )
    ).one()
    parts = [
        f"步骤失败的案件 {failed_steps} 个" if failed_steps else "",
        f"各渠道均未送达的通知 {failed} 条" if failed else "",
        f"积压超过 5 分钟的通知 {overdue} 条" if overdue else "",
    ]
    shown = "；".join(p for p in parts if p)
    report.add("卡住的案件", not shown, shown or "无（详见 yuqing case list --stuck）", down=False)
    reports = stuck_reports(session, now=now)
    report.add("卡住的报告", not reports, f"{len(reports)} 份" if reports else "无", down=False)


def _prefect(runtime: Runtime, report: Report, view: dict[str, Any]) -> None:
    from deployments.local_server import healthy

    api = os.environ.get("PREFECT_API_URL") or view.get("prefect_api")
    if not api:
        detail = "启动中" if view else "未知（serve 未运行）"
        report.add("Prefect 服务", False, detail, down=not view)
        return
    up = healthy(str(api), timeout=2.0)
    report.add("Prefect 服务", up, f"{api}（{'正常' if up else '无法访问'}）")
    pool = runtime.settings.serve.work_pool
    if pool and up:
        report.add("工作池 worker", *_workers(str(api), pool))


def _workers(api: str, pool: str) -> tuple[bool, str]:
    from prefect import get_client
    from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus

    from deployments.prefect_api import use_api

    online = WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"]))
    with use_api(api), get_client(sync_client=True) as client:
        workers = client.read_workers_for_work_pool(pool, worker_filter=online)
    names = "、".join(w.name for w in workers)
    shown = f"（{names}）" if names else ""
    return bool(workers), f"工作池 {pool}：{len(workers)} 个在线{shown}"


def _when(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    local = f"{at.astimezone(tz):%m-%d %H:%M:%S}"
    seconds = int((at - now).total_seconds())
    if seconds == 0:
        return f"{local}（现在）"
    return f"{local}（{lasted(timedelta(seconds=abs(seconds)))}{'后' if seconds > 0 else '前'}）"
