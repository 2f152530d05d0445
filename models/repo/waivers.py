"""不需要: the office resolves an obligation the plan asks for only when needed (需要时: a press
conference, a formal answer only quick problems get) — or one no action of its own meets — as
not needed, with the reason. It is then no longer open: the sweep never sees it, it lapses
nowhere, writes no accountability record and counts in no on-time rate; the decision is on the
timeline. Keyword-only functions over a Session."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.policy import Policy
from models.policy.catalogue import spec
from models.policy.forms import validated
from models.policy.stages import EVENT_LABELS
from models.policy.states import EventKind, ObligationStatus
from models.repo.cases import CaseError, add_event, find_obligation, get_case, require_open, who
from models.repo.changes import Change


def waive(
    session: Session,
    *,
    case_id: int,
    obligation_key: str,
    actor: str,
    at: datetime,
    policy: Policy,
    reason: str,
) -> Change:
    """Resolve the obligation as 不需要; refused for one the plan requires and an action meets."""
    values = validated(spec("waive").fields, {"reason": reason})
    case = get_case(session, case_id)
    obligation = find_obligation(session, case_id=case_id, key=obligation_key)
    require_open(obligation)
    rule = policy.rule_any_grade(case.grade, obligation.key)
    if not rule.waivable:
        how = EVENT_LABELS[rule.closed_by] if rule.closed_by else "、".join(rule.met_by)
        raise CaseError(
            f"事项“{obligation.title}”是预案要求必办的事项（由“{how}”完成），不能确认为不需要"
        )
    obligation.status, obligation.next_check_at = ObligationStatus.WAIVED, None
    session.add(obligation)
    name = who(session, actor)
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.WAIVED,
        at=at,
        actor=actor,
        message=f"{name} 确认不需要：{obligation.title}，理由：{values['reason']}"
        "（不再催办，不计逾期）",
        data={"obligation": obligation.key, "reason": values["reason"]},
    )
    return Change(
        case_id,
        f"已确认不需要：案件 {case_id} · {obligation.title}（{name}）",
        {"case_id": case_id, "obligation": obligation.key, "status": "waived"},
        obligation_key=obligation.key,
    )
