"""快报 and 续报 (F7; S1-1 四(二), S1-17: further reports on progress and new developments): the
first `report` of a case is its quick report (the `report` stage event where the template has
it); every later one — and the first one under a template without a 快报 stage (S4) — is a
numbered further report (第N次续报) to the same targets and the current grade's, carrying what
changed since the last (grade, stage, items, units, instructions), meeting the reports owed
(after an upgrade, `quick_report@N`). Each report is its own 快报 issue (its document and 期号)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session, col, select

from models.policy import Policy, StageEvent, WorkCalendar
from models.policy.notices import Notice, NoticeKind
from models.policy.states import EventKind
from models.repo.cases import CaseError, NextStep, case_items, get_case, who
from models.repo.changes import Change
from models.repo.instances import meet
from models.repo.lifecycle import is_legal
from models.repo.reported import Reported, record_report, reports_made
from models.repo.stage_notices import quick_report_lines
from models.repo.stages import move
from models.store.tables import CaseEvent

SHOWN = frozenset(
    {
        EventKind.GRADE_CHANGED,
        EventKind.STAGE_CHANGED,
        EventKind.CORRECTED,
        EventKind.INSTRUCTED,
        EventKind.REFERRED,
    }
)


def report(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    text: str = "",
    units: Sequence[str] = (),
) -> Change:
    """报送快报: the case's first report, else its next 续报 (the `report` stage event whenever
    the template allows it now: first, or again after the stage was moved back)."""
    case = get_case(session, case_id)
    made = reports_made(session, case_id)
    if is_legal(policy, case, StageEvent.report):
        staged = move(
            session,
            "report",
            case_id=case_id,
            actor=actor,
            at=at,
            policy=policy,
            calendar=calendar,
            text=text,
            units=units,
        )
    else:
        if case.closed_at is not None:
            raise CaseError(f"案件 {case_id} 已办结，不再续报；如舆情反复，请先重新打开")
        if units and case.units:
            raise CaseError(
                "字段 units：续报不改变责任单位，请另行调整责任单位",
                next_step=NextStep("units", case_id),
            )
        staged = None
    return _reported(session, case_id, made, staged, actor=actor, at=at, policy=policy, text=text)


def _reported(
    session: Session,
    case_id: int,
    made: list[Reported],
    staged: Change | None,
    *,
    actor: str,
    at: datetime,
    policy: Policy,
    text: str,
) -> Change:
    """The report on the record and its notice: the stage's own for a first report, else the
    续报's (the targets so far and the current grade's, what changed since the last)."""
    case = get_case(session, case_id)
    ordinal = (made[-1].ordinal if made else 0) + 1
    earlier = [r for m in made for r in m.roles]
    roles = tuple(dict.fromkeys([*earlier, *policy.notify_roles(StageEvent.report, case.grade)]))
    name = what(ordinal)
    met = meet(session, case_id=case_id, action="report", actor=actor, at=at, policy=policy)
    entry = record_report(
        session,
        case_id=case_id,
        ordinal=ordinal,
        roles=roles,
        actor=actor,
        at=at,
        message=f"{who(session, actor)} 报送{name}" + (f"（{'、'.join(met)}）" if met else ""),
    )
    if staged is not None and ordinal == 1:
        notice = staged.notices[0]
        notice = replace(notice, extra={**notice.extra, "ordinal": 1})
    else:
        since = made[-1].at if made else None
        notice = _further(session, case_id, ordinal, roles, since, entry, actor, text, policy)
    data = {"case_id": case_id, "ordinal": ordinal, "stage": case.stage.value, "met": met}
    message = f"已报送{name}：案件 {case_id}（{len(roles)} 类报送对象）"
    if staged is not None:
        message, data = staged.message, {**staged.data, **data}
    return Change(case_id, message, data, (notice,))


def _further(
    session: Session,
    case_id: int,
    ordinal: int,
    roles: tuple[str, ...],
    since: datetime | None,
    entry: int,
    actor: str,
    text: str,
    policy: Policy,
) -> Notice:
    """The 续报's notice: what changed since the last report, keyed by its timeline entry."""
    changes = changes_since(session, case_id, since)
    notice = _notice(
        session, case_id, ordinal, roles, changes, actor=actor, text=text, policy=policy
    )
    return replace(notice, occasion=f"report{ordinal}@{entry}")


def _notice(
    session: Session,
    case_id: int,
    ordinal: int,
    roles: tuple[str, ...],
    changes: list[str],
    *,
    actor: str,
    text: str,
    policy: Policy,
) -> Notice:
    case = get_case(session, case_id)
    lines = (
        *quick_report_lines(session, case, policy),
        *(["自上次报送以来："] if ordinal > 1 else []),
        *changes,
        *([f"报送说明：{text.strip()}"] if text.strip() else []),
    )
    return Notice(
        kind=NoticeKind.QUICK_REPORT,
        occasion=f"report{ordinal}",
        headline=f"舆情快报（{what(ordinal)}，{who(session, actor)} 报送）",
        case_id=case_id,
        roles=roles,
        lines=lines,
        extra={"reporter": actor, "ordinal": ordinal, "changes": list(changes)},
    )


def what(ordinal: int) -> str:
    """快报 for the first report, 第N次续报 for the later ones."""
    return "快报" if ordinal <= 1 else f"第{ordinal - 1}次续报"


def changes_since(session: Session, case_id: int, since: datetime | None) -> list[str]:
    """What happened to the case after `since` (the last report), for the next one: grade and
    stage changes, corrections, instructions, referrals, new items; 无新变化 when nothing."""
    if since is None:
        return []
    events = session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, col(CaseEvent.at) > since)
        .order_by(col(CaseEvent.at), col(CaseEvent.id))
    ).all()
    lines = [f"· {e.message}" for e in events if e.kind in SHOWN]
    added = sum(1 for i in case_items(session, case_id) if i.fetched_at > since)
    if added:
        lines.append(f"· 新增相关信息 {added} 条")
    return lines or ["· 无新变化，监测仍在继续"]
