"""The contact sheet (联系单) of a unit added after the case's sheet went out (S1-2/S1-5 四(二),
S2-4.3 二.2: the sheet to each unit concerned, a lead unit named): the unit's own deadlines —
each rule of the grade a unit holds from the sheet's receipt (核查反馈, 处置方案, 书面报送…),
counted from now and held by the unit's responsible person — and the sheet itself to the unit's
responsible person and liaison, its links bound to the first of them. Keyword-only functions
over a Session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from models.policy import UNIT_ROLES, Anchor, Policy, StageEvent, WorkCalendar
from models.policy.catalogue import ALERT_LINKS
from models.policy.notices import Notice, NoticeKind
from models.policy.states import EventKind, ObligationStatus
from models.policy.wording import deadline_text
from models.repo.cases import CaseError, case_items, get_case
from models.repo.directory import load_directory
from models.repo.instances import is_instance, open_instance
from models.repo.lifecycle import settle
from models.store.tables import CaseEvent, Obligation, Unit


def dispatched(session: Session, case_id: int) -> bool:
    """Whether the case's contact sheet has gone out (a `dispatch` on its timeline)."""
    events = session.exec(
        select(CaseEvent.data).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == EventKind.STAGE_CHANGED
        )
    ).all()
    return any(data.get("event") == StageEvent.dispatch.value for data in events)


def added_unit_sheets(
    session: Session,
    *,
    case_id: int,
    units: Sequence[str],
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """Each added unit's deadlines opened and its contact sheet; refused for a unit without a
    responsible person in the directory (nobody could hold its deadlines)."""
    directory = load_directory(session)
    notices = []
    for unit in units:
        holders = directory.holders(units=[unit], at=at)
        responsible = holders.get("unit_responsible", [])
        if not responsible:
            raise CaseError(f"单位 {unit!r} 没有登记责任单位负责人，无法下发联系单")
        owed = _open_for(session, case_id, unit, responsible[0], at, policy, calendar)
        people = tuple(dict.fromkeys([*responsible, *holders.get("unit_liaison", [])]))
        notices.append(_sheet(session, case_id, unit, owed, people, ZoneInfo(policy.timezone)))
    return notices


def _open_for(
    session: Session,
    case_id: int,
    unit: str,
    holder: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Obligation]:
    name = _name(session, unit)
    rules = [
        r
        for r in policy.obligations_for(get_case(session, case_id).grade)
        if r.anchor is Anchor.contact_sheet_received
        and r.owner_role in UNIT_ROLES
        and r.closed_by is not StageEvent.close
    ]
    return [
        open_instance(
            session,
            case_id=case_id,
            rule=rule,
            title=f"{rule.title}（{name}）",
            at=at,
            policy=policy,
            calendar=calendar,
            assignee=holder,
        )
        for rule in rules
    ]


def _name(session: Session, unit: str) -> str:
    found = session.get(Unit, unit)
    return found.name if found else unit


def _sheet(
    session: Session,
    case_id: int,
    unit: str,
    owed: list[Obligation],
    people: tuple[str, ...],
    tz: ZoneInfo,
) -> Notice:
    items = case_items(session, case_id)
    owed.sort(key=lambda o: o.due_at)
    first = owed[0] if owed else None
    return Notice(
        kind=NoticeKind.CONTACT_SHEET,
        occasion=f"sheet-{unit}@{first.id if first else 0}",
        headline="网络舆情联系单：请核查并按时反馈（新增责任单位）",
        case_id=case_id,
        people=people,
        lines=(
            f"责任单位：{_name(session, unit)}（研判后新增）",
            *(f"舆情信息：{i.title} {i.url}" for i in items[:5]),
            f"要点：{(items[0].summary if items else get_case(session, case_id).title)[:200]}",
            *(f"{o.title}：截止 {deadline_text(o.due_at, tz)}" for o in owed),
        ),
        links=ALERT_LINKS if first else (),
        link_subject=first.key if first else None,
        obligation_id=first.id if first else None,
        extra={
            "command": f"yuqing case complete {case_id} --obligation "
            + (first.key if first else "verification")
            + " --result 核查结果 --by {person}"
        },
    )


def retire_replaced(session: Session, *, case_id: int, actor: str, at: datetime) -> list[str]:
    """When every unit the contact sheet went to is replaced, their open deadlines end
    (cancelled: the added units hold deadlines of their own); the keys cancelled."""
    keys = [
        o.key
        for o in session.exec(
            select(Obligation).where(
                Obligation.case_id == case_id, Obligation.status == ObligationStatus.OPEN
            )
        )
        if o.owner_role in UNIT_ROLES and o.assignee_id is None and not is_instance(o.key)
    ]
    status = ObligationStatus.CANCELLED
    settle(session, case_id=case_id, keys=keys, status=status, actor=actor, at=at)
    return keys
