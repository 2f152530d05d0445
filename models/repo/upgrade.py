"""升级 upgrade, a person's action: one grade up, or to the grade asked for; open deadlines
shorten and the chain's first level is told (`models.repo.regrade`). `regrade_target` is the
grade an upgrade or a downgrade request moves to, refusing the wrong direction and the ends."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.policy import Policy, WorkCalendar
from models.policy.catalogue import spec
from models.policy.forms import validated
from models.repo.cases import CaseError, get_case
from models.repo.changes import Change
from models.repo.regrade import regrade


def upgrade(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    reason: str,
    grade: str | None = None,
) -> Change:
    """升级 (None: one grade up): open deadlines shorten and the chain's first level is told."""
    values = validated(spec("upgrade").fields, {"reason": reason, "grade": grade or ""})
    case = get_case(session, case_id)
    target = regrade_target(policy, case.grade, values.get("grade"), up=True)
    old = policy.scheme.level(case.grade).label
    moved, notices = regrade(
        session,
        case_id=case_id,
        grade=target,
        actor=actor,
        reason=values["reason"],
        at=at,
        policy=policy,
        calendar=calendar,
    )
    new = policy.scheme.level(target).label
    return Change(
        case_id,
        f"已调整等级：案件 {case_id} {old} → {new}（{len(moved)} 项时限缩短）",
        {
            "case_id": case_id,
            "from": policy.scheme.level(old).id,
            "to": target,
            "grade_label": new,
            "moved": moved,
        },
        tuple(notices),
    )


def regrade_target(policy: Policy, current: str, grade: str | None, *, up: bool) -> str:
    """The grade asked for, or one step up/down; refuses the wrong direction and the ends."""
    ranked = policy.scheme.by_rank()  # most severe first
    now = policy.scheme.level(current)
    if grade is None:
        index = ranked.index(now) + (-1 if up else 1)
        if not 0 <= index < len(ranked):
            end = "最高" if up else "最低"
            raise CaseError(f"案件已是{end}等级（{now.label}），无法再{'升' if up else '降'}级")
        return ranked[index].id
    wanted = policy.scheme.level(grade)
    if (wanted.rank >= now.rank) if up else (wanted.rank <= now.rank):
        verb = "升级须高于" if up else "降级须低于"
        raise CaseError(f"字段 grade（等级）：{verb}当前等级 {now.label}，而 {wanted.label} 不是")
    return wanted.id
