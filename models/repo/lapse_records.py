"""What a sweep batch writes and tells besides the levels (`models.repo.lapses` moves them):
the timeline entries and accountability records, gathered in order and inserted together once
the batch is planned (`LapseRecords`), and the notices — the reminder before a deadline, a
chain level that fired (with the lapse's accountability record at level 1) — and the entry of a
reminder held through quiet hours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session

from models.policy import Policy
from models.policy.catalogue import ALERT_LINKS
from models.policy.escalation import LapseStep, reminder_at
from models.policy.notices import Notice, NoticeKind
from models.policy.policy import EscalationRule
from models.policy.routing import Routing
from models.policy.states import Chain, EventKind
from models.policy.wording import late_text
from models.repo.directory import Directory
from models.repo.levels import chain_people, level_roles
from models.repo.reports.accountability import lapse_record
from models.store.tables import AccountabilityRecord, Case, CaseEvent, Obligation


@dataclass
class LapseRecords:
    """What a sweep batch writes besides the levels: timeline entries and accountability
    records, in order, inserted together once the batch is planned."""

    events: list[dict[str, Any]] = field(default_factory=list)
    accountability: list[dict[str, Any]] = field(default_factory=list)

    def event(
        self, case_id: int | None, kind: EventKind, at: datetime, message: str, data: dict[str, Any]
    ) -> None:
        self.events.append(
            {
                "case_id": case_id,
                "at": at,
                "kind": kind,
                "actor": "system",
                "message": message,
                "data": data,
            }
        )

    def insert(self, session: Session) -> None:
        session.flush()  # whatever the session holds comes first on the timeline
        if self.events:
            session.execute(insert(CaseEvent.__table__), self.events)  # type: ignore[attr-defined]
        if self.accountability:
            table = AccountabilityRecord.__table__  # type: ignore[attr-defined]
            session.execute(insert(table), self.accountability)


def reminder(
    records: LapseRecords, case: Case, obligation: Obligation, now: datetime, rule: EscalationRule
) -> Notice:
    assert case.id is not None
    records.event(
        case.id,
        EventKind.REMINDER_DUE,
        now,
        f"{obligation.title}即将到期（截止前提醒）",
        {
            "obligation": obligation.key,
            "reminder_at": reminder_at(obligation.anchor_at, obligation.due_at, rule).isoformat(),
        },
    )
    return Notice(
        kind=NoticeKind.REMINDER,
        occasion=f"{Chain.REMINDER.value}0",
        headline="到期前提醒：责任人",
        case_id=case.id,
        roles=(obligation.owner_role,),
        obligation_id=obligation.id,
        chain=Chain.REMINDER,
        level=0,
        late_by=now - obligation.due_at,
        ack_window=rule.ack_window,
        links=ALERT_LINKS,
        link_subject=obligation.key,
        sort_at=obligation.due_at.isoformat(),
    )


def hold(
    records: LapseRecords,
    case: Case,
    obligation: Obligation,
    *,
    until: datetime,
    now: datetime,
    tz: str,
) -> None:
    obligation.next_check_at = until
    local = until.astimezone(ZoneInfo(tz)).strftime("%H:%M")
    records.event(
        case.id,
        EventKind.ESCALATION_HELD,
        now,
        f"{obligation.title}：静默时段，提醒延至 {local} 发出",
        {"obligation": obligation.key, "until": until.isoformat()},
    )


def fire_level(
    records: LapseRecords,
    case: Case,
    obligation: Obligation,
    step: LapseStep,
    now: datetime,
    policy: Policy,
    routing: Routing,
    directory: Directory,
) -> Notice:
    assert case.id is not None and obligation.id is not None
    grade = policy.scheme.level(case.grade).id
    rung = policy.chain_level(step.level, policy.chain_for(grade, obligation.key))
    roles = level_roles(policy, routing, case, obligation, step.level)
    people = chain_people(directory, roles, case, obligation, routing, now)
    dual = "（双重报告）" if routing.second_roles(grade, step.level) else ""
    records.event(
        case.id,
        EventKind.DEADLINE_LAPSED,
        now,
        f"{obligation.title}{late_text(step.late_by)}：第{step.level}级催办"
        f"（{rung.label}）{dual}，通知 {len(people)} 人",
        {
            "obligation": obligation.key,
            "level": step.level,
            "late_seconds": int(step.late_by.total_seconds()),
            "recipients": people,
        },
    )
    if step.level == 1:
        owners = chain_people(directory, (obligation.owner_role,), case, obligation, routing, now)
        account(records, case.id, obligation, step, owners, now)
    return lapse_notice(obligation, step, roles, rung.label, policy.escalation_for(case.grade))


def lapse_notice(
    obligation: Obligation,
    step: LapseStep,
    roles: tuple[str, ...],
    headline: str,
    rule: EscalationRule,
) -> Notice:
    return Notice(
        kind=NoticeKind.LAPSE,
        occasion=f"{Chain.NO_COMPLETION.value}{step.level}",
        headline=headline,
        case_id=obligation.case_id,
        roles=roles,
        obligation_id=obligation.id,
        chain=Chain.NO_COMPLETION,
        level=step.level,
        late_by=step.late_by,
        ack_window=rule.ack_window,
        links=ALERT_LINKS,
        link_subject=obligation.key,
        sort_at=step.due_at.isoformat(),
    )


def account(
    records: LapseRecords,
    case_id: int,
    obligation: Obligation,
    step: LapseStep,
    responsible: list[str],
    now: datetime,
) -> None:
    """The accountability record of a lapse (evidence for people to judge), and its entry."""
    row, message = lapse_record(case_id, obligation, step.level, step.late_by, responsible, now)
    records.accountability.append(row)
    data = {"obligation": obligation.key, "responsible": responsible}
    records.event(case_id, EventKind.ACCOUNTABILITY, now, message, data)
