"""The quick reports a case has had (快报, then 第N次续报), as its timeline records them: each
one's ordinal, time and targets; the record of a new one; and what a grade rise owes once a
report has gone out (F7; S1-8: a 一般 case that grows is reported to the town party committee,
S0-7 五: each tier has its own targets): a further report to the new grade's targets within the
new grade's quick-report limit, as an obligation of its own. Keyword-only functions over a
Session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.policy import Policy, StageEvent, WorkCalendar
from models.policy.policy import base_key
from models.policy.states import EventKind, ObligationStatus
from models.repo.cases import add_event
from models.repo.instances import open_instance
from models.store.tables import CaseEvent, Obligation


@dataclass(frozen=True)
class Reported:
    ordinal: int  # 1: the first report (快报); 2: 第1次续报 …
    at: datetime
    roles: tuple[str, ...]


def reports_made(session: Session, case_id: int) -> list[Reported]:
    """The case's reports, oldest first (a first report made before reports were numbered is
    its `report` stage change)."""
    events = session.exec(
        select(CaseEvent)
        .where(
            CaseEvent.case_id == case_id,
            col(CaseEvent.kind).in_([EventKind.REPORTED, EventKind.STAGE_CHANGED]),
        )
        .order_by(col(CaseEvent.at), col(CaseEvent.id))
    ).all()
    numbered = [
        Reported(int(e.data["ordinal"]), e.at, tuple(e.data.get("roles", ())))
        for e in events
        if e.kind == EventKind.REPORTED
    ]
    if numbered:
        return numbered
    first = next((e for e in events if e.data.get("event") == StageEvent.report.value), None)
    return [Reported(1, first.at, ())] if first is not None else []


def record_report(
    session: Session,
    *,
    case_id: int,
    ordinal: int,
    roles: Sequence[str],
    actor: str,
    at: datetime,
    message: str,
) -> int:
    """The report on the timeline (its ordinal and targets); the entry's id."""
    entry = add_event(
        session,
        case_id=case_id,
        kind=EventKind.REPORTED,
        at=at,
        actor=actor,
        message=message,
        data={"ordinal": ordinal, "roles": list(roles)},
    )
    session.flush()
    assert entry is not None and entry.id is not None
    return entry.id


def report_rules_open(
    session: Session,
    *,
    case_id: int,
    old_label: str,
    new_grade: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[str]:
    """After a grade rise on a case already reported: each quick-report rule of the new grade
    opens again as a further report (`KEY@N`) counted from now, unless one is still open (the
    regrade shortened it); their titles."""
    if not reports_made(session, case_id):
        return []
    open_keys = _open_rules(session, case_id)
    new_label = policy.scheme.level(new_grade).label
    opened = []
    for rule in policy.obligations_for(new_grade):
        reporting = rule.closed_by is StageEvent.report or "report" in rule.met_by
        if not reporting or rule.key in open_keys:
            continue
        title = f"{rule.title}（{old_label}升为{new_label}，续报）"
        open_instance(
            session,
            case_id=case_id,
            rule=rule,
            title=title,
            at=at,
            policy=policy,
            calendar=calendar,
        )
        opened.append(title)
    return opened


def _open_rules(session: Session, case_id: int) -> set[str]:
    """The rules the case's open obligations are of (a further instance counts as its rule)."""
    query = select(Obligation).where(
        Obligation.case_id == case_id, Obligation.status == ObligationStatus.OPEN
    )
    return {base_key(o.key) for o in session.exec(query)}
