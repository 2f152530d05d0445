"""阶段回退: a stage moved back to be done again (a verification found wrong, a reply withdrawn),
with the reason and the consent of the roles the policy names for it (`[approvers.rewind]`,
default the office head): asked as a request, carried out on approval — the stage set back
(compare-and-set), the move on the timeline and in the corrections, and each deadline met by the
stages now undone opened again, counted from the consent (`KEY@N`), so the redone stages are
chased like the first time. A closed case is reopened instead (重新打开). Keyword-only
functions over a Session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.policy import Policy, Stage, StageEvent, WorkCalendar
from models.policy.catalogue import spec
from models.policy.forms import validated
from models.policy.notices import Notice
from models.policy.stages import EVENT_TARGET, STAGE_LABELS
from models.policy.states import ApprovalKind, EventKind, ObligationStatus
from models.repo.cases import CaseError, NextStep, add_event, get_case, who
from models.repo.changes import Change
from models.repo.corrected import record_correction
from models.repo.instances import open_instance
from models.repo.requests import no_pending, open_request, person_of
from models.store.tables import ApprovalRequest, Case, Obligation


def request_rewind(
    session: Session, *, case_id: int, actor: str, at: datetime, policy: Policy, stage: str,
    reason: str,
) -> Change:  # fmt: skip
    """阶段回退 asked: to an earlier stage of the case's template, with a reason."""
    values = validated(spec("rewind").fields, {"stage": stage, "reason": reason})
    requester = person_of(session, actor, field="申请人")
    case = get_case(session, case_id)
    if case.closed_at is not None:
        raise CaseError(
            f"案件 {case_id} 已办结：请先重新打开", next_step=NextStep("reopen", case_id)
        )
    target, stages = Stage(values["stage"]), policy.template.stages
    if target not in stages or stages.index(target) >= stages.index(case.stage):
        raise CaseError(
            f"字段 stage（退回到）：须是“{STAGE_LABELS[case.stage]}”之前的阶段，"
            f"{STAGE_LABELS[target]} 不是"
        )
    no_pending(session, case_id, ApprovalKind.REWIND)
    return open_request(
        session,
        case,
        kind=ApprovalKind.REWIND,
        requester=requester,
        at=at,
        policy=policy,
        reason=values["reason"],
        payload={"stage": target.value, "from": case.stage.value},
        summary=f"阶段回退：{STAGE_LABELS[case.stage]} → {STAGE_LABELS[target]}",
    )


def rewind_approved(
    session: Session,
    request: ApprovalRequest,
    *,
    decider: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """The stage set back, on the record; the undone stages' deadlines opened again."""
    case_id, target = request.case_id, Stage(request.payload["stage"])
    was = Stage(request.payload["from"])
    _set_back(session, case_id, was, target, at=at)
    labels = (STAGE_LABELS[was], STAGE_LABELS[target])
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.STAGE_CHANGED,
        at=at,
        actor=request.requested_by,
        message=f"{who(session, request.requested_by)}：阶段回退 {labels[0]} → {labels[1]}"
        f"（{who(session, decider)} 同意）",
        data={"from": was.value, "to": target.value, "event": "rewind"},
    )
    record_correction(
        session,
        case_id=case_id,
        kind="stage",
        change=labels,
        reason=request.reason,
        by=request.requested_by,
        at=at,
        approved_by=decider,
    )
    _redo(session, case_id, target, was, at, policy, calendar)
    return []


def _set_back(session: Session, case_id: int, was: Stage, target: Stage, *, at: datetime) -> None:
    """The stage set back, compare-and-set on the stage the request was made at."""
    case = get_case(session, case_id)
    moved = session.execute(
        update(Case)
        .where(col(Case.id) == case_id, col(Case.stage) == was.value)
        .values(stage=target.value, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise CaseError(f"案件 {case_id} 的阶段已不是“{STAGE_LABELS[was]}”，回退申请不再适用")
    session.expire(case)


def _redo(
    session: Session,
    case_id: int,
    target: Stage,
    was: Stage,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> None:
    """Each deadline met by a stage now undone (after `target`, up to `was`) opens again."""
    stages = policy.template.stages
    undone = set(stages[stages.index(target) + 1 : stages.index(was) + 1])
    events = {e for e, s in EVENT_TARGET.items() if s in undone and e is not StageEvent.reopen}
    case = get_case(session, case_id)
    done = {
        o.key
        for o in session.exec(select(Obligation).where(Obligation.case_id == case_id))
        if o.status == ObligationStatus.COMPLETED
    }
    for rule in policy.obligations_for(case.grade):
        if rule.closed_by in events and rule.key in done:
            title = f"{rule.title}（阶段回退后重新办理）"
            open_instance(
                session,
                case_id=case_id,
                rule=rule,
                title=title,
                at=at,
                policy=policy,
                calendar=calendar,
            )
