"""办结 close, a person's action (DESIGN §2): with an outcome (平息, 消除, 趋于平稳, 按期办结) and a
reason; what is still open is cancelled (a closed case is chased no more), the review starts
counting, and aftercare opens: new matching items reopen the case within the window (重新打开
is a verb of `models.repo.stages`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.policy import Policy, StageEvent, Transition, WorkCalendar
from models.policy.catalogue import spec
from models.policy.forms import validated
from models.policy.notices import Notice
from models.policy.states import OUTCOME_LABELS, Outcome
from models.repo.cases import CaseError, get_case
from models.repo.changes import Change
from models.repo.lifecycle import advance, cancel_open
from models.repo.stage_notices import stage_notices
from models.repo.stages import Move, note


def close(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    outcome: str,
    reason: str,
) -> Change:
    """办结 with an outcome and a reason: the stage moves, what is open is cancelled, the outcome
    is on the case and the timeline, and the watchers are told."""
    values = validated(spec("close").fields, {"outcome": outcome, "reason": reason})
    if get_case(session, case_id).closed_at is not None:
        raise CaseError(f"案件 {case_id} 已办结")
    label = OUTCOME_LABELS[Outcome(values["outcome"])]
    m = Move(session, case_id, actor, at, policy, calendar)
    transition, entry = advance(
        session,
        case_id=case_id,
        event=StageEvent.close,
        actor=actor,
        at=at,
        policy=policy,
        calendar=calendar,
    )
    cancelled = _end_the_chase(m, transition, values)
    notices = _told(m, transition, entry, (f"办结结果：{label}", f"办结说明：{values['reason']}"))
    data = {"case_id": case_id, "stage": transition.to_stage.value}
    return Change(
        case_id,
        f"已办结：案件 {case_id}（{label}）",
        {**data, "outcome": values["outcome"], "cancelled": cancelled},
        tuple(notices),
    )


def _end_the_chase(m: Move, transition: Transition, values: dict[str, str]) -> list[str]:
    """Cancel what is still open (but what closing itself starts), and put the outcome on the
    case and its timeline; returns the cancelled keys."""
    keep = transition.obligations_to_open
    cancelled = cancel_open(m.session, case_id=m.case_id, actor=m.actor, at=m.at, keep=keep)
    case = get_case(m.session, m.case_id)
    case.outcome = values["outcome"]
    m.session.add(case)
    label = OUTCOME_LABELS[Outcome(values["outcome"])]
    note(m, f"办结（{label}）：{values['reason']}", values)
    return cancelled


def _told(m: Move, transition: Transition, entry: int, lines: tuple[str, ...]) -> list[Notice]:
    return stage_notices(
        m.session,
        case_id=m.case_id,
        transition=transition,
        event_id=entry,
        actor=m.actor,
        policy=m.policy,
        lines=lines,
    )
