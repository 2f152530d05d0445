"""Stuck cases: a case is stuck when its stored state shows a step that failed or never ran.
The rules: a case flow step that failed after its retries, or that has waited for a runner
longer than the grace period (no flow picked it up); a deadline the grade requires whose anchor
has happened (registration, or the first stage event that sets it) but whose obligation row is
missing and was not settled since; an open
obligation with no next check while its chain still has levels to fire, or whose next check the
sweep has left unhandled for longer than a grace period; outbox rows pending past their send
time by the grace period, left `sending` past the lease (a killed dispatcher), failed on every
channel and being tried again (the person cannot be reached now), or failed on every channel
for longer than `dispatch.give_up_after` with no copy delivered. `find_stuck` lists them for
the CLI and the console; `models.repo.rerun` repairs them. The state read is
`models.repo.case_state`; the lost deadlines are `models.repo.lost_deadlines`. Reads only."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import (
    Policy,
)
from models.policy.stages import Stage
from models.policy.states import NotificationStatus, ObligationStatus, StepStatus
from models.repo.case_state import CaseState, failed, load_states, occasion
from models.repo.lost_deadlines import lost_checks, missing_deadlines
from models.store.tables import Case, CaseStep, Notification

GRACE = timedelta(minutes=5)  # well over the sweep's backstop interval (at most 60 s)
LEASE = timedelta(seconds=120)  # the dispatcher's default `sending_lease_seconds`
LIVE = (NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.SENT)


class StuckReason(StrEnum):
    STEP_FAILED = "step_failed"
    STEP_WAITING = "step_waiting"
    MISSING_DEADLINE = "missing_deadline"
    NO_LIVE_CHECK = "no_live_check"
    CHECK_OVERDUE = "check_overdue"
    OUTBOX_OVERDUE = "outbox_overdue"
    UNDELIVERED = "undelivered"
    UNREACHABLE = "unreachable"
    NOBODY = "nobody"


REASON_LABELS = {
    StuckReason.STEP_FAILED: "步骤失败",
    StuckReason.STEP_WAITING: "步骤未执行",
    StuckReason.MISSING_DEADLINE: "缺少时限",
    StuckReason.NO_LIVE_CHECK: "时限未在计时",
    StuckReason.CHECK_OVERDUE: "到期未处理",
    StuckReason.OUTBOX_OVERDUE: "通知积压未发",
    StuckReason.UNDELIVERED: "通知各渠道均未送达",
    StuckReason.UNREACHABLE: "收件人暂时无法联系（仍在重试）",
    StuckReason.NOBODY: "无人可通知",
}


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a case; `detail` is one line for office staff."""

    reason: StuckReason
    detail: str
    obligation: str | None = None  # the obligation key it concerns
    notification: str | None = None  # the notification id it concerns
    step: int | None = None  # the case step it concerns

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason.value,
            "label": REASON_LABELS[self.reason],
            "detail": self.detail,
            "obligation": self.obligation,
            "notification": self.notification,
            "step": self.step,
        }


@dataclass(frozen=True)
class StuckCase:
    case_id: int
    title: str
    grade: str
    stage: Stage
    findings: tuple[Finding, ...]

    @property
    def reasons(self) -> tuple[StuckReason, ...]:
        return tuple(dict.fromkeys(f.reason for f in self.findings))


def find_stuck(
    session: Session,
    *,
    now: datetime,
    policy: Policy,
    grace: timedelta = GRACE,
    lease: timedelta = LEASE,
    case_ids: Collection[int] | None = None,
) -> list[StuckCase]:
    """The stuck cases (of `case_ids`, or of all cases not yet reviewed plus any with unsent
    alerts), by case id, each with what is wrong."""
    ids = sorted(case_ids) if case_ids is not None else _candidates(session)
    stuck = []
    for state in load_states(session, ids):
        findings = diagnose(state, now=now, policy=policy, grace=grace, lease=lease)
        if findings:
            case = state.case
            assert case.id is not None
            stuck.append(StuckCase(case.id, case.title, case.grade, case.stage, findings))
    return stuck


def _candidates(session: Session) -> list[int]:
    active = session.exec(select(Case.id).where(col(Case.stage) != Stage.reviewed)).all()
    unsent = session.exec(
        select(Notification.case_id).where(
            col(Notification.case_id).is_not(None),
            col(Notification.status) != NotificationStatus.SENT,
        )
    ).all()
    unfinished = session.exec(
        select(CaseStep.case_id).where(CaseStep.status != StepStatus.DONE)
    ).all()
    return sorted({i for i in [*active, *unsent, *unfinished] if i is not None})


# --- the stuck rules -----------------------------------------------------------------------


def diagnose(
    state: CaseState, *, now: datetime, policy: Policy, grace: timedelta, lease: timedelta
) -> tuple[Finding, ...]:
    tz = ZoneInfo(policy.timezone)
    findings: list[Finding] = []
    for step in state.steps:
        if step.status == StepStatus.FAILED:
            detail = f"步骤 {step.kind}（{step.id}）失败：{step.error or ''}"[:300]
            findings.append(Finding(StuckReason.STEP_FAILED, detail, step=step.id))
        elif step.created_at < now - grace:
            detail = f"步骤 {step.kind}（{step.id}）自 {_local(step.created_at, tz)} 起未执行"
            findings.append(Finding(StuckReason.STEP_WAITING, detail, step=step.id))
    findings += _deadline_findings(state, now=now, policy=policy, grace=grace, tz=tz)
    findings += _outbox_findings(state, now=now, grace=grace, lease=lease, tz=tz)
    findings += _nobody_findings(state)
    return tuple(findings)


def _nobody_findings(state: CaseState) -> list[Finding]:
    """An escalation level of a still open obligation that reached nobody."""
    open_ = {o.id: o for o in state.obligations if o.status == ObligationStatus.OPEN}
    found = []
    for event in state.nobody:
        obligation = open_.get(event.data.get("obligation_id"))
        if obligation is not None:
            detail = str(event.data.get("reason") or event.message)[:300]
            found.append(Finding(StuckReason.NOBODY, detail, obligation=obligation.key))
    return found


def _deadline_findings(
    state: CaseState, *, now: datetime, policy: Policy, grace: timedelta, tz: ZoneInfo
) -> list[Finding]:
    findings = []
    for rule, anchor_at in missing_deadlines(state, policy):
        detail = f"{rule.title}：应自 {_local(anchor_at, tz)} 起算，时限记录缺失"
        findings.append(Finding(StuckReason.MISSING_DEADLINE, detail, obligation=rule.key))
    for obligation, _ in lost_checks(state, policy):
        detail = f"{obligation.title}：未完成但没有下次检查时间"
        findings.append(Finding(StuckReason.NO_LIVE_CHECK, detail, obligation=obligation.key))
    for obligation in state.obligations:
        check = obligation.next_check_at
        if obligation.status == ObligationStatus.OPEN and check is not None and check < now - grace:
            detail = f"{obligation.title}：应于 {_local(check, tz)} 检查，至今未处理"
            findings.append(Finding(StuckReason.CHECK_OVERDUE, detail, obligation=obligation.key))
    return findings


def _local(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _outbox_findings(
    state: CaseState, *, now: datetime, grace: timedelta, lease: timedelta, tz: ZoneInfo
) -> list[Finding]:
    findings = []
    for row in state.outbox:
        send_at = row.next_attempt_at or row.created_at
        if row.status == NotificationStatus.PENDING and send_at < now - grace:
            detail = f"致 {row.recipient_id}（{row.channel}）的通知应于 {_local(send_at, tz)} 发出"
        elif row.status == NotificationStatus.SENDING and (row.claimed_at or now) < now - lease:
            detail = f"致 {row.recipient_id}（{row.channel}）的通知发送中断（进程退出）"
        else:
            continue
        findings.append(Finding(StuckReason.OUTBOX_OVERDUE, detail, notification=row.id))
    for row in undelivered(state):
        detail = f"致 {row.recipient_id} 的通知在所有渠道均发送失败：{row.last_error or ''}"
        findings.append(Finding(StuckReason.UNDELIVERED, detail, notification=row.id))
    for row in unreachable(state):
        assert row.unreachable_since is not None
        retry = f"，下次 {_local(row.next_attempt_at, tz)}" if row.next_attempt_at else ""
        detail = (
            f"致 {row.recipient_id} 的通知自 {_local(row.unreachable_since, tz)} 起所有渠道均发送"
            f"失败，第{row.rounds}轮后仍在重试{retry}：{row.last_error or ''}"
        )
        findings.append(Finding(StuckReason.UNREACHABLE, detail, notification=row.id))
    return findings


def unreachable(state: CaseState) -> list[Notification]:
    """The rows waiting for another round: every channel of their person failed."""
    return [
        row
        for row in state.outbox
        if row.status == NotificationStatus.PENDING and row.unreachable_since is not None
    ]


def undelivered(state: CaseState) -> list[Notification]:
    """Per alert that failed on every channel tried (no copy pending, sending or sent), the row
    of the last channel tried: re-sending it can never repeat a delivered one."""
    live = {occasion(r) for r in state.outbox if r.status in LIVE} | state.sent
    last: dict[tuple[Any, ...], Notification] = {}
    for row in state.outbox:
        if failed(row) and occasion(row) not in live:
            last[occasion(row)] = row  # rows come oldest first: the last one wins
    return list(last.values())
