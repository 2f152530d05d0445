"""上报 in the database: a person climbs an obligation's no-completion chain one level now, on
the record; later levels keep their scheduled times, and the level's people are told (the
notice is returned with the change). The sweep's chains are `models.repo.lapses` (no
completion) and `models.repo.unacked` (no acknowledgement)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.policy import Policy
from models.policy.escalation import LapseStep, escalation_times
from models.policy.policy import ChainLevel
from models.policy.routing import Routing
from models.policy.states import EventKind
from models.repo.cases import CaseError, add_event, find_obligation, get_case, require_open, who
from models.repo.changes import Change
from models.repo.directory import load_directory
from models.repo.lapse_records import lapse_notice
from models.repo.levels import Move, advance_levels, chain_people, level_roles
from models.store.tables import Obligation


def escalate_now(
    session: Session,
    *,
    case_id: int,
    obligation_key: str,
    actor: str,
    reason: str,
    at: datetime,
    policy: Policy,
    routing: Routing,
) -> Change:
    """上报: the obligation's chain climbs one level now, on the record; later levels keep their
    scheduled times; the level's people are told."""
    case = get_case(session, case_id)
    obligation = find_obligation(session, case_id=case_id, key=obligation_key)
    require_open(obligation)
    grade = policy.scheme.level(case.grade).id
    level, rung = _climb(session, policy, grade, obligation, at=at)
    roles = level_roles(policy, routing, case, obligation, level)
    people = chain_people(load_directory(session), roles, case, obligation, routing, at)
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.ESCALATED,
        at=at,
        actor=actor,
        message=f"{who(session, actor)} 上报：{obligation.title} 第{level}级（{rung.label}），"
        f"理由：{reason}，通知 {len(people)} 人",
        data={"obligation": obligation_key, "level": level, "recipients": people},
    )
    headline = f"{rung.label}（{who(session, actor)} 上报）"
    step = LapseStep(level, obligation.due_at, at - obligation.due_at)
    notice = lapse_notice(obligation, step, roles, headline, policy.escalation_for(grade))
    return Change(
        case_id,
        f"已上报：案件 {case_id} · {obligation.title} 第{level}级（{rung.label}）",
        {"case_id": case_id, "obligation": obligation_key, "level": level, "recipients": people},
        (notice,),
        obligation_key,
    )


def _climb(
    session: Session, policy: Policy, grade: str, obligation: Obligation, *, at: datetime
) -> tuple[int, ChainLevel]:
    """One level up now (compare-and-set), the later levels at their scheduled times; refuses
    past the chain's top and a race with another climb."""
    chain = policy.chain_for(grade, obligation.key)
    level = obligation.level + 1
    if level > max(rung.level for rung in chain):
        raise CaseError(f"事项 {obligation.key!r} 已到督办链最高级（第{obligation.level}级）")
    rung = policy.chain_level(level, chain)
    times = escalation_times(obligation.due_at, policy.escalation_for(grade), chain)
    next_check = next((t for r, t in times if r.level > level), None)
    marked = at if obligation.reminded_at is None else None  # the chain is past the reminder
    move = Move(obligation, to_level=level, next_check_at=next_check, reminded_at=marked)
    if not advance_levels(session, [move]):
        raise CaseError(f"事项 {obligation.key!r} 刚被他人催办或上报，请刷新后重试")
    return level, rung
