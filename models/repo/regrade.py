"""Changing a case's grade in the database: open deadlines only ever shorten, the old → new diff
goes on the timeline, open obligations take the new grade's titles and owners, rules new to the
grade open from their own anchor, and an upgrade tells the chain's first level (with the reports
the new grade's bodies are now owed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import (
    DueTime,
    OpenObligation,
    Policy,
    WorkCalendar,
    decide_regrade,
    plan_regrade,
)
from models.policy.notices import Notice, NoticeKind
from models.policy.regrade import RegradePlan
from models.policy.states import EventKind, ObligationStatus
from models.repo.case_state import load_states
from models.repo.cases import add_event, get_case, who
from models.repo.lifecycle import obligations_of
from models.repo.reported import report_rules_open
from models.repo.rerun import open_missing
from models.store.tables import CaseEvent, Obligation


def regrade(
    session: Session,
    *,
    case_id: int,
    grade: str,
    actor: str | None,
    reason: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    approver: str | None = None,
) -> tuple[list[str], list[Notice]]:
    """Change the grade: upgrades freely (automatic when `actor` is None), downgrades only with
    an actor, a reason and an approver. Deadlines become min(current, anchor + new duration).
    Returns the keys of the deadlines that moved, and for an upgrade the notice to the chain's
    first level."""
    case = get_case(session, case_id)
    decision = decide_regrade(
        policy.scheme, case.grade, grade, actor=actor, reason=reason, approver=approver
    )
    obligations = obligations_of(session, case_id)
    plan = _plan(obligations, case.grade, grade, policy=policy, calendar=calendar)
    moved, diff = _shorten(session, obligations, plan, ZoneInfo(policy.timezone))
    renamed = retitle(obligations, policy, grade)
    old_label, new_label = (policy.scheme.level(g).label for g in (case.grade, grade))
    upgraded = policy.scheme.level(grade).rank < policy.scheme.level(case.grade).rank
    case.grade, case.updated_at = decision.to_grade, at
    session.add(case)
    name = who(session, actor) if actor else "系统（指标越档自动升级）"
    change = _Change(old_label, new_label, name, reason, tuple(diff))
    message = f"{name}：等级 {old_label} → {new_label}，理由：{reason}{_shift(diff, renamed)}"
    entry = _record(session, case_id, plan, message, actor=actor, at=at, why=(reason, approver))
    _open_new_rules(session, case_id, policy=policy, calendar=calendar)
    if not upgraded:
        return moved, []
    notice = _upgrade_notice(
        session, case_id, entry, change, grade=grade, at=at, policy=policy, calendar=calendar
    )
    return moved, [notice]


@dataclass(frozen=True)
class _Change:
    """The grade change as people read it: labels, who made it, why, and the deadlines moved."""

    old_label: str
    new_label: str
    name: str
    reason: str
    diff: tuple[str, ...]


def _plan(
    obligations: Sequence[Obligation],
    from_grade: str,
    to_grade: str,
    *,
    policy: Policy,
    calendar: WorkCalendar,
) -> RegradePlan:
    """What the policy makes of the open deadlines under the new grade."""
    open_ones = tuple(
        OpenObligation(key=o.key, anchor_at=o.anchor_at, due=DueTime(o.due_at, o.provisional))
        for o in obligations
        if o.status == ObligationStatus.OPEN
    )
    return plan_regrade(
        policy,
        from_grade,
        to_grade,
        open_ones,
        calendar=calendar,
        known_keys=frozenset(o.key for o in obligations),
    )


def _shorten(
    session: Session, obligations: Sequence[Obligation], plan: RegradePlan, tz: ZoneInfo
) -> tuple[list[str], list[str]]:
    """Move the deadlines the plan brings forward (never later); their keys, and the diff lines."""
    by_key = {o.key: o for o in obligations}
    diff, moved = [], []
    for change in plan.changes:
        if change.new.at < change.old.at:
            obligation = by_key[change.key]
            obligation.due_at, obligation.provisional = change.new.at, change.new.provisional
            if obligation.level == 0:  # not yet lapsed: the next check is the new due time
                obligation.next_check_at = change.new.at
            session.add(obligation)
            moved.append(change.key)
            diff.append(
                f"{obligation.title} {change.old.at.astimezone(tz):%m-%d %H:%M} → "
                f"{change.new.at.astimezone(tz):%m-%d %H:%M}"
            )
    return moved, diff


def _shift(diff: Sequence[str], renamed: Sequence[str]) -> str:
    """The timeline's tail: what the deadlines and the obligations' titles became."""
    shift = "；时限调整：" + "，".join(diff) if diff else "；时限无需调整"
    shift += "；事项按新等级：" + "，".join(renamed) if renamed else ""
    return shift


def _record(
    session: Session,
    case_id: int,
    plan: RegradePlan,
    message: str,
    *,
    actor: str | None,
    at: datetime,
    why: tuple[str, str | None],
) -> CaseEvent | None:
    """The change on the timeline: old → new, the reason and approver (`why`), what moved."""
    reason, approver = why
    return add_event(
        session,
        case_id=case_id,
        kind=EventKind.GRADE_CHANGED,
        at=at,
        actor=actor or "system",
        message=message,
        data={
            "from": plan.from_grade,
            "to": plan.to_grade,
            "reason": reason,
            "approver": approver,
            "moved": [
                {"obligation": c.key, "old": c.old.at.isoformat(), "new": c.new.at.isoformat()}
                for c in plan.changes
                if c.new.at < c.old.at
            ],
        },
    )


def _open_new_rules(
    session: Session, case_id: int, *, policy: Policy, calendar: WorkCalendar
) -> None:
    """Rules new to the grade count from their own anchor when it has already happened
    (registration, or the stage event that sets it); later anchors open them when they come."""
    session.flush()
    (state,) = load_states(session, [case_id])
    open_missing(session, state, policy=policy, calendar=calendar)


def _upgrade_notice(
    session: Session,
    case_id: int,
    entry: CaseEvent | None,
    change: _Change,
    *,
    grade: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> Notice:
    """等级上调, to the chain's first level for the owner of the nearest open deadline, with
    the reports now owed to the new grade's bodies (their rules opened here)."""
    owed = report_rules_open(
        session,
        case_id=case_id,
        old_label=change.old_label,
        new_grade=grade,
        at=at,
        policy=policy,
        calendar=calendar,
    )
    assert entry is not None and entry.id is not None
    owner = next(
        (o.owner_role for o in sorted(open_ones_of(session, case_id), key=lambda o: o.due_at)),
        "office_staff",
    )
    diff = change.diff
    return Notice(
        kind=NoticeKind.STAGE,
        occasion=f"upgrade@{entry.id}",
        headline="等级上调",
        case_id=case_id,
        roles=policy.chain[0].recipients(owner) if policy.chain else (),
        lines=(
            f"{change.old_label} → {change.new_label}（{change.name}），理由：{change.reason}",
            "相关时限已按新等级缩短" + (f"：{'，'.join(diff)}" if diff else ""),
            *(f"须向新等级的报送对象续报：{title}" for title in owed),
        ),
    )


def retitle(obligations: Sequence[Obligation], policy: Policy, grade: str) -> list[str]:
    """Open obligations take the new grade's title and owner where its rule differs (S1-18:
    a 一般 case's 报分管领导 becomes 通知发生责任单位 at 重特大); the changes, for the timeline."""
    rules = {rule.key: rule for rule in policy.obligations_for(grade)}
    changed = []
    for obligation in obligations:
        rule = rules.get(obligation.key)
        if obligation.status != ObligationStatus.OPEN or rule is None:
            continue
        if (obligation.title, obligation.owner_role) != (rule.title, rule.owner_role):
            changed.append(f"“{obligation.title}”改为“{rule.title}”")
            obligation.title, obligation.owner_role = rule.title, rule.owner_role
    return changed


def open_ones_of(session: Session, case_id: int) -> list[Obligation]:
    query = select(Obligation).where(
        Obligation.case_id == case_id, Obligation.status == ObligationStatus.OPEN
    )
    return list(session.exec(query.order_by(col(Obligation.due_at))).all())
