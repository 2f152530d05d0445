"""What the console's case page shows, read from the tables in one session: one case with its
deadlines and, each bounded to the latest RECENT with its total, items, metrics, grade and stage
history, deliveries and the people's actions, and its timeline a page at a time, so the page
stays the same size however long the case runs. Plain data for the templates; no HTML here.
(The board is `yuqing.web.board`.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.routing import Shift
from models.policy.stages import STAGE_LABELS, Stage
from models.policy.states import (
    APPROVAL_LABELS,
    OUTCOME_LABELS,
    ApprovalKind,
    ApprovalStatus,
    EventKind,
    ObligationStatus,
    Outcome,
    category_label,
)
from models.policy.wording import deadline_text
from models.repo.cases import CLI_ACTOR, case_obligations, get_case
from models.repo.console.case_records import (
    Slice,
    latest_events,
    latest_items,
    latest_metrics,
    latest_notifications,
)
from models.repo.console.case_records import timeline_page as records_page
from models.repo.console.mywork import who_must_act
from models.repo.corrected import corrections_of
from models.repo.directory import load_directory
from models.repo.instructions import instruction_lines
from models.repo.unreachable import CaseUnreachable, on_case
from models.store.tables import (
    ApprovalRequest,
    Case,
    CaseEvent,
    Delivery,
    Item,
    MetricSnapshot,
    Notification,
    Obligation,
    Person,
    Unit,
)
from yuqing.web.pages import countdown

CLOCK_LABELS = {"wall": "自然时间", "calendar_days": "自然日", "working_days": "工作日"}
STATUS_LABELS = {
    ObligationStatus.OPEN: "待办",
    ObligationStatus.COMPLETED: "已完成",
    ObligationStatus.CANCELLED: "已取消",
    ObligationStatus.WAIVED: "不需要",
}
SEND_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已送达", "failed": "失败"}
DECISION_LABELS = {
    ApprovalStatus.PENDING: "待审批",
    ApprovalStatus.APPROVED: "已同意",
    ApprovalStatus.REJECTED: "已退回",
}
RECENT = 100  # rows of each list a case page shows (the latest)
TIMELINE_PAGE = 100  # timeline entries per page


@dataclass
class CasePage:
    case: Case
    grade_label: str
    stage_label: str
    items: Sequence[Item]
    metrics: Sequence[MetricSnapshot]
    grade_history: list[CaseEvent]
    stage_history: list[CaseEvent]
    deadlines: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
    actions: list[CaseEvent]
    timeline: Sequence[CaseEvent]
    approvals: list[dict[str, Any]]
    units: list[str] = field(default_factory=list)  # responsible unit names, the lead first
    next_step: dict[str, Any] | None = None  # the nearest open obligation: what, by whom, left
    category_label: str = ""
    outcome_label: str = ""
    names: dict[str, str] = field(default_factory=dict)
    cut: dict[str, Slice[Any]] = field(default_factory=dict)  # each list, cut to RECENT
    unreachable: list[CaseUnreachable] = field(default_factory=list)  # people no channel reaches
    timeline_page: int = 1  # 1: the newest entries
    timeline_pages: int = 1
    timeline_total: int = 0
    recent: int = RECENT  # each list shows at most this many (its latest)
    instructions: list[str] = field(default_factory=list)  # 领导批示, oldest first
    corrections: list[str] = field(default_factory=list)  # 更正, with reasons and consent


def case_page(
    session: Session,
    policy: Policy,
    case_id: int,
    *,
    now: datetime,
    timeline_page: int = 1,
    shifts: Sequence[Shift] = (),
) -> CasePage:
    """The case with every list bounded: the latest RECENT of each, the timeline paged."""
    case = get_case(session, case_id)
    names = _actor_names(session)
    deadlines = _deadlines(session, case_id, now)
    cut = _recent(session, case_id)
    return CasePage(
        case=case,
        grade_label=policy.scheme.level(case.grade).label,
        stage_label=STAGE_LABELS[case.stage],
        items=cut["items"].rows,
        metrics=cut["metrics"].rows,
        grade_history=cut["grade_history"].rows,
        stage_history=cut["stage_history"].rows,
        deadlines=deadlines,
        deliveries=_deliveries(session, cut["deliveries"].rows, names),
        actions=cut["actions"].rows,
        approvals=_approvals(session, case_id, policy),
        units=[_unit_name(session, u) for u in case.units],
        next_step=_next_step(session, case, deadlines, now=now, shifts=shifts),
        category_label=category_label(case.category),
        outcome_label=OUTCOME_LABELS.get(Outcome(case.outcome), "") if case.outcome else "",
        names=names,
        cut=cut,
        unreachable=on_case(session, case_id),
        **_timeline(session, case_id, timeline_page),
        instructions=instruction_lines(session, case_id, ZoneInfo(policy.timezone)),
        corrections=corrections_of(session, [case_id]).get(case_id, []),
    )


def _timeline(session: Session, case_id: int, page: int) -> dict[str, Any]:
    """The timeline's page `page` (1: the newest entries) and how many pages it has."""
    timeline = records_page(session, case_id, page=page, size=TIMELINE_PAGE)
    return {
        "timeline": timeline.rows,
        "timeline_page": max(page, 1),
        "timeline_pages": max(1, -(-(timeline.total or 0) // TIMELINE_PAGE)),
        "timeline_total": timeline.total or 0,
    }


def _actor_names(session: Session) -> dict[str, str]:
    """Who each actor id on the page is: the directory's people, the system, the command line."""
    names = {p.id: p.name for p in session.exec(select(Person)).all()}
    return names | {"system": "系统", CLI_ACTOR: "命令行"}


def _deadlines(session: Session, case_id: int, now: datetime) -> list[dict[str, Any]]:
    """Each obligation with its clock, status and countdown (open ones only) for the page."""
    deadlines = []
    for o in case_obligations(session, case_id):
        text, overdue = countdown(o.due_at, now)
        deadlines.append(
            {
                "o": o,
                "clock": CLOCK_LABELS.get(o.clock, o.clock),
                "status": STATUS_LABELS[o.status],
                "countdown": text if o.status == ObligationStatus.OPEN else "",
                "overdue": overdue and o.status == ObligationStatus.OPEN,
            }
        )
    return deadlines


def _recent(session: Session, case_id: int) -> dict[str, Slice[Any]]:
    """The latest RECENT of each of the case's lists, with how many there are."""
    items = latest_items(session, case_id, limit=RECENT)
    metrics = latest_metrics(session, case_id, limit=RECENT)
    grades = latest_events(session, case_id, limit=RECENT, kinds=[EventKind.GRADE_CHANGED])
    stages = latest_events(session, case_id, limit=RECENT, kinds=[EventKind.STAGE_CHANGED])
    acts = latest_events(session, case_id, limit=RECENT, people_only=True)
    notes = latest_notifications(session, case_id, limit=RECENT)
    return {
        "items": items,
        "metrics": metrics,
        "grade_history": grades,
        "stage_history": stages,
        "deliveries": notes,
        "actions": acts,
    }


def _next_step(
    session: Session,
    case: Case,
    deadlines: list[dict[str, Any]],
    *,
    now: datetime,
    shifts: Sequence[Shift],
) -> dict[str, Any] | None:
    """下一步: the open obligation due first, who must act on it and the time left."""
    open_ones = [d for d in deadlines if d["o"].status == ObligationStatus.OPEN]
    if not open_ones or case.closed_at is not None:
        return None
    first = min(open_ones, key=lambda d: d["o"].due_at)
    o = first["o"]
    names = {p.id: p.name for p in session.exec(select(Person)).all()}
    people = who_must_act(
        load_directory(session),
        names,
        owner_role=o.owner_role,
        assignee=o.assignee_id,
        units=case.units,
        at=now,
        shifts=shifts,
    )
    return {"o": o, "who": "、".join(people) or "无人（请转办）", **first}


def _unit_name(session: Session, unit_id: str) -> str:
    unit = session.get(Unit, unit_id)
    return unit.name if unit else unit_id


def _deliveries(
    session: Session, notes: Sequence[Notification], names: dict[str, str]
) -> list[dict[str, Any]]:
    attempts: dict[str, list[Delivery]] = {}
    if notes:
        ids = [n.id for n in notes]
        for d in session.exec(
            select(Delivery)
            .where(col(Delivery.notification_id).in_(ids))
            .order_by(col(Delivery.at), col(Delivery.id))
        ).all():
            attempts.setdefault(d.notification_id, []).append(d)
    return [
        {
            "n": n,
            "recipient": names.get(n.recipient_id, n.recipient_id),
            "status": SEND_LABELS.get(n.status.value, n.status.value),
            "attempts": attempts.get(n.id, []),
        }
        for n in notes
    ]


def describe_request(session: Session, r: ApprovalRequest, policy: Policy) -> str:
    """What a request asks for, in a line: the statement's text, the lower grade, the later
    deadline."""
    if r.kind == ApprovalKind.DOWNGRADE:
        return f"降至{policy.scheme.level(r.payload['grade']).label}"
    if r.kind == ApprovalKind.REWIND:
        stages = [STAGE_LABELS[Stage(r.payload[k])] for k in ("from", "stage")]
        return f"阶段回退：{stages[0]} → {stages[1]}"
    if r.kind == ApprovalKind.RELEASE:
        held = [str(n.get("headline", "")) for n in r.payload.get("notices", [])]
        reply = r.payload.get("respond", {})
        return f"静默期发布：{reply.get('url', '')}" if reply else "静默期发送：" + "；".join(held)
    if r.kind == ApprovalKind.EXTENSION:
        obligation = session.get(Obligation, r.obligation_id) if r.obligation_id else None
        until = datetime.fromisoformat(r.payload["until"])
        title = obligation.title if obligation else ""
        return f"{title} 延至 {deadline_text(until, ZoneInfo(policy.timezone))}"
    return str(r.payload.get("text", ""))


def _approvals(session: Session, case_id: int, policy: Policy) -> list[dict[str, Any]]:
    """The case's requests (statements, downgrades, extensions) with what each asks for."""
    rows = session.exec(
        select(ApprovalRequest)
        .where(ApprovalRequest.case_id == case_id)
        .order_by(col(ApprovalRequest.requested_at), col(ApprovalRequest.id))
    ).all()
    return [
        {
            "r": r,
            "label": APPROVAL_LABELS[r.kind],
            "asked": describe_request(session, r, policy),
            "pending": r.status == ApprovalStatus.PENDING,
            "status": DECISION_LABELS[r.status],
        }
        for r in rows
    ]
