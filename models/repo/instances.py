"""Further instances of an obligation's rule on the same case, each a row of its own with its own
deadline and chain (`quick_report@2`: a 续报 after an upgrade; `verification@2`: a unit added
after the contact sheet went out): the next free key, and the settling of the open ones an
action meets (`ObligationRule.met_by`: 批示, an approved 处置方案, the case file exported, any
快报, a referral to the body named). Keyword-only functions over a Session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from models.policy import ObligationRule, Policy, PolicyError, StageEvent, WorkCalendar
from models.policy.policy import INSTANCE, base_key
from models.policy.states import EventKind, ObligationStatus
from models.repo.cases import add_event, get_case, who
from models.repo.opening import open_rule
from models.store.tables import Obligation


def next_key(session: Session, *, case_id: int, base: str) -> str:
    """`base@N`: one more than the instances the case has of the rule (the first is `base`)."""
    taken = session.exec(
        select(Obligation.key).where(
            Obligation.case_id == case_id,
            or_(col(Obligation.key) == base, col(Obligation.key).startswith(base + INSTANCE)),
        )
    ).all()
    return f"{base}{INSTANCE}{len(taken) + 1}"


def open_instance(
    session: Session,
    *,
    case_id: int,
    rule: ObligationRule,
    title: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    assignee: str | None = None,
) -> Obligation:
    """A further instance of `rule`, counted from `at` on the rule's clock."""
    case = get_case(session, case_id)
    obligation = open_rule(
        session,
        case=case,
        rule=rule,
        policy=policy,
        anchor_at=at,
        calendar=calendar,
        tz=ZoneInfo(policy.timezone),
        key=next_key(session, case_id=case_id, base=rule.key),
        title=title,
        assignee=assignee,
    )
    session.flush()
    return obligation


def meets(rule: ObligationRule, action: str, detail: str = "") -> bool:
    """Whether `action` (with `detail`: a referral's body) meets obligations of `rule`."""
    wanted = f"{action}:{detail}" if detail else action
    return (
        action in rule.met_by
        or wanted in rule.met_by
        or (action == "report" and rule.closed_by is StageEvent.report)
    )


def meet(
    session: Session,
    *,
    case_id: int,
    action: str,
    actor: str,
    at: datetime,
    policy: Policy,
    detail: str = "",
) -> list[str]:
    """Complete the case's open obligations that `action` meets, each on the timeline; their
    titles."""
    grade, done = get_case(session, case_id).grade, []
    query = select(Obligation).where(
        Obligation.case_id == case_id, Obligation.status == ObligationStatus.OPEN
    )
    for obligation in session.exec(query).all():
        try:
            rule = policy.rule_any_grade(grade, obligation.key)
        except PolicyError:
            continue
        if not meets(rule, action, detail):
            continue
        obligation.status, obligation.next_check_at = ObligationStatus.COMPLETED, None
        obligation.completed_at, obligation.completed_by = at, actor
        session.add(obligation)
        add_event(
            session,
            case_id=case_id,
            kind=EventKind.COMPLETED,
            at=at,
            actor=actor,
            message=f"完成：{obligation.title}（{who(session, actor)}）",
            data={"obligation": obligation.key, "status": "completed", "by": action},
        )
        done.append(obligation.title)
    return done


def is_instance(key: str) -> bool:
    return base_key(key) != key
