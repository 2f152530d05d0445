"""What the console's board and case page show, read from the tables in one session: open cases
by nearest deadline (with the units responsible, for the unit filter) and one case in full
(items, metrics, grade and stage history, deadlines, deliveries, the people's actions and the
whole timeline). Plain data for the templates; no HTML here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.stages import STAGE_LABELS
from models.policy.states import (
    APPROVAL_LABELS,
    OUTCOME_LABELS,
    ApprovalKind,
    ApprovalStatus,
    EventKind,
    ObligationStatus,
    Outcome,
)
from models.repo.cases import case_items, case_obligations, case_timeline, get_case, list_cases
from models.repo.directory import role_holders
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
}
SEND_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已送达", "failed": "失败"}
DECISION_LABELS = {
    ApprovalStatus.PENDING: "待审批",
    ApprovalStatus.APPROVED: "已同意",
    ApprovalStatus.REJECTED: "已退回",
}


@dataclass(frozen=True)
class BoardRow:
    case_id: int
    title: str
    grade: str
    grade_label: str
    stage_label: str
    nearest_title: str
    nearest_due: datetime | None
    countdown: str
    overdue: bool
    open_count: int
    units: tuple[str, ...]  # unit names


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
    outcome_label: str = ""
    names: dict[str, str] = field(default_factory=dict)


def _units_of(session: Session) -> tuple[dict[str, list[str]], dict[str, str | None]]:
    """Role → holder ids, and person id → unit id."""
    people = session.exec(select(Person)).all()
    return role_holders(session, at=datetime.now(UTC)), {p.id: p.unit_id for p in people}


def responsible_units(
    obligation: Obligation, holders: dict[str, list[str]], unit_of: dict[str, str | None]
) -> set[str]:
    """The units of whoever must act on it: the person it was handed to, else its role's holders."""
    people = (
        [obligation.assignee_id] if obligation.assignee_id else holders.get(obligation.owner_role)
    )
    return {u for u in (unit_of.get(p) for p in people or []) if u is not None}


def board(
    session: Session,
    policy: Policy,
    *,
    now: datetime,
    unit: str | None = None,
    grade: str | None = None,
) -> list[BoardRow]:
    """Open cases, nearest deadline first (cases with no open deadline last)."""
    holders, unit_of = _units_of(session)
    unit_names = {u.id: u.name for u in session.exec(select(Unit)).all()}
    rows = []
    for case in list_cases(session):
        assert case.id is not None
        if grade and policy.scheme.level(case.grade).id != policy.scheme.level(grade).id:
            continue
        open_ones = [
            o for o in case_obligations(session, case.id) if o.status == ObligationStatus.OPEN
        ]
        units = set().union(*(responsible_units(o, holders, unit_of) for o in open_ones))
        if unit and unit not in units:
            continue
        nearest = min(open_ones, key=lambda o: o.due_at, default=None)
        text, overdue = countdown(nearest.due_at, now) if nearest else ("—", False)
        rows.append(
            BoardRow(
                case_id=case.id,
                title=case.title,
                grade=case.grade,
                grade_label=policy.scheme.level(case.grade).label,
                stage_label=STAGE_LABELS[case.stage],
                nearest_title=nearest.title if nearest else "—",
                nearest_due=nearest.due_at if nearest else None,
                countdown=text,
                overdue=overdue,
                open_count=len(open_ones),
                units=tuple(sorted(unit_names.get(u, u) for u in units)),
            )
        )
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(rows, key=lambda r: (r.nearest_due or far, r.case_id))


def case_page(session: Session, policy: Policy, case_id: int, *, now: datetime) -> CasePage:
    case = get_case(session, case_id)
    timeline = case_timeline(session, case_id)
    names = {p.id: p.name for p in session.exec(select(Person)).all()}
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
    return CasePage(
        case=case,
        grade_label=policy.scheme.level(case.grade).label,
        stage_label=STAGE_LABELS[case.stage],
        items=case_items(session, case_id),
        metrics=session.exec(
            select(MetricSnapshot)
            .where(MetricSnapshot.case_id == case_id)
            .order_by(col(MetricSnapshot.at))
        ).all(),
        grade_history=[e for e in timeline if e.kind == EventKind.GRADE_CHANGED],
        stage_history=[e for e in timeline if e.kind == EventKind.STAGE_CHANGED],
        deadlines=deadlines,
        deliveries=_deliveries(session, case_id, names),
        actions=[e for e in timeline if e.actor != "system"],
        timeline=timeline,
        approvals=_approvals(session, case_id, policy),
        units=[_unit_name(session, u) for u in case.units],
        outcome_label=OUTCOME_LABELS.get(Outcome(case.outcome), "") if case.outcome else "",
        names=names,
    )


def _unit_name(session: Session, unit_id: str) -> str:
    unit = session.get(Unit, unit_id)
    return unit.name if unit else unit_id


def _deliveries(session: Session, case_id: int, names: dict[str, str]) -> list[dict[str, Any]]:
    notes = session.exec(
        select(Notification)
        .where(Notification.case_id == case_id)
        .order_by(col(Notification.created_at), col(Notification.id))
    ).all()
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


def _approvals(session: Session, case_id: int, policy: Policy) -> list[dict[str, Any]]:
    """The case's requests (statements, downgrades, extensions) with what each asks for."""
    rows = session.exec(
        select(ApprovalRequest)
        .where(ApprovalRequest.case_id == case_id)
        .order_by(col(ApprovalRequest.requested_at), col(ApprovalRequest.id))
    ).all()
    tz = ZoneInfo(policy.timezone)
    out = []
    for r in rows:
        asked = r.payload.get("text", "")
        if r.kind == ApprovalKind.DOWNGRADE:
            asked = f"降至{policy.scheme.level(r.payload['grade']).label}"
        elif r.kind == ApprovalKind.EXTENSION:
            obligation = session.get(Obligation, r.obligation_id) if r.obligation_id else None
            until = datetime.fromisoformat(r.payload["until"]).astimezone(tz)
            asked = f"{obligation.title if obligation else ''} 延至 {until:%Y-%m-%d %H:%M}"
        out.append(
            {
                "r": r,
                "label": APPROVAL_LABELS[r.kind],
                "asked": asked,
                "pending": r.status == ApprovalStatus.PENDING,
                "status": DECISION_LABELS[r.status],
            }
        )
    return out
