"""The decision on a request, whatever it asks: by someone holding a role the policy names for
its kind and the case's grade (the action's permission, checked before), never its requester,
once (compare-and-set from pending); on approval what its kind asks is carried out
(`CARRY_OUT`: the statement's stage, the lower grade, the later due time, the handling plan's
obligations met, the stage moved back, the held notices or the reply released); either way the
requester is told. Keyword-only functions over a Session."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from models.policy import Policy, StageEvent, WorkCalendar
from models.policy.notices import Notice, NoticeKind
from models.policy.states import APPROVAL_LABELS, ApprovalKind, ApprovalStatus, EventKind
from models.repo.approvals import extension_granted
from models.repo.blackout import release_approved
from models.repo.cases import CaseError, add_event, get_case
from models.repo.changes import Change
from models.repo.corrected import record_correction
from models.repo.lifecycle import advance
from models.repo.plans import plan_approved
from models.repo.regrade import regrade
from models.repo.requests import decide_once, pending_request, person_of
from models.repo.rewind import rewind_approved
from models.repo.stage_notices import stage_notices
from models.store.tables import ApprovalRequest, Person


def decide(
    session: Session,
    *,
    case_id: int,
    request_id: int | None,
    decider: str,
    approve: bool,
    note: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    kind: ApprovalKind | None = None,
) -> Change:
    """The decision on a pending request, never by its requester (that the decider holds an
    approving role for its kind and the case's grade is the action's permission, checked by
    `models.repo.acting` before); on approval the change it asks for happens."""
    request = pending_request(session, case_id=case_id, request_id=request_id, kind=kind)
    assert request.id is not None
    person = _decider(session, request, decider, approve=approve, note=note)
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    decide_once(session, request.id, status=status, decider=person.id, at=at, note=note.strip())
    notices: list[Notice] = []
    if approve:
        notices += _carry_out(
            session, request, decider=person.id, at=at, policy=policy, calendar=calendar
        )
    notices.append(_recorded(session, request, person, status, note=note.strip(), at=at))
    result = "批准" if approve else "退回"
    return Change(
        case_id,
        f"已{result}{APPROVAL_LABELS[request.kind]}申请 {request.id}：案件 {case_id}",
        {
            "case_id": case_id,
            "request_id": request.id,
            "kind": request.kind.value,
            "status": status.value,
            "stage": get_case(session, case_id).stage.value,
        },
        tuple(notices),
    )


def _decider(
    session: Session, request: ApprovalRequest, decider: str, *, approve: bool, note: str
) -> Person:
    """Who decides: a request still pending, never decided by its requester; a rejection says
    why."""
    label = APPROVAL_LABELS[request.kind]
    if request.status != ApprovalStatus.PENDING:
        done = "批准" if request.status == ApprovalStatus.APPROVED else "退回"
        by = session.get(Person, request.decided_by or "")
        raise CaseError(f"申请 {request.id} 已由 {by.name if by else request.decided_by} {done}")
    person = person_of(session, decider, field="审批人")
    if person.id == request.requested_by:
        raise CaseError(f"{label}申请 {request.id} 不能由申请人 {person.name} 本人审批")
    if not approve and not note.strip():
        raise CaseError("缺少字段 reason（退回理由）")
    return person


def _recorded(
    session: Session,
    request: ApprovalRequest,
    person: Person,
    status: ApprovalStatus,
    *,
    note: str,
    at: datetime,
) -> Notice:
    """The decision on the timeline, and the notice telling the requester."""
    label = APPROVAL_LABELS[request.kind]
    result = "批准" if status == ApprovalStatus.APPROVED else "退回"
    entry = add_event(
        session,
        case_id=request.case_id,
        kind=EventKind.APPROVAL_DECIDED,
        at=at,
        actor=person.id,
        message=f"{person.name} {result}{label}申请 {request.id}" + (f"：{note}" if note else ""),
        data={"request": request.id, "kind": request.kind.value, "status": status.value},
    )
    session.flush()
    assert entry is not None and entry.id is not None
    return Notice(
        kind=NoticeKind.DECISION,
        occasion=f"decision{request.id}",
        headline=f"{label}申请 {request.id} 已{result}（{person.name}）",
        case_id=request.case_id,
        people=(request.requested_by,),
        lines=(f"意见：{note}",) if note else (),
    )


class CarryOut(Protocol):
    def __call__(
        self,
        session: Session,
        request: ApprovalRequest,
        *,
        decider: str,
        at: datetime,
        policy: Policy,
        calendar: WorkCalendar,
    ) -> list[Notice]: ...


def _carry_out(
    session: Session,
    request: ApprovalRequest,
    *,
    decider: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """What an approved request asks for (by its kind: `CARRY_OUT`)."""
    carry = CARRY_OUT[request.kind]
    return carry(session, request, decider=decider, at=at, policy=policy, calendar=calendar)


def _statement(
    session: Session,
    request: ApprovalRequest,
    *,
    decider: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """The approved statement moves the case to 通稿审定 and is told."""
    transition, entry = advance(
        session,
        case_id=request.case_id,
        event=StageEvent.approve_statement,
        actor=decider,
        at=at,
        policy=policy,
        calendar=calendar,
    )
    return stage_notices(
        session,
        case_id=request.case_id,
        transition=transition,
        event_id=entry,
        actor=decider,
        policy=policy,
        lines=(f"审定通稿：{request.payload.get('text', '')[:500]}",),
    )


def _downgrade(
    session: Session,
    request: ApprovalRequest,
    *,
    decider: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """The lower grade (a correction's, recorded as one)."""
    old = get_case(session, request.case_id).grade
    regrade(
        session,
        case_id=request.case_id,
        grade=request.payload["grade"],
        actor=request.requested_by,
        reason=request.reason,
        at=at,
        policy=policy,
        calendar=calendar,
        approver=decider,
    )
    if request.payload.get("correction"):
        labels = [policy.scheme.level(g).label for g in (old, request.payload["grade"])]
        record_correction(
            session,
            case_id=request.case_id,
            kind="grade",
            change=(labels[0], labels[1]),
            reason=request.reason,
            by=request.requested_by,
            at=at,
            approved_by=decider,
        )
    return []


CARRY_OUT: Mapping[ApprovalKind, CarryOut] = {
    ApprovalKind.STATEMENT: _statement,
    ApprovalKind.DOWNGRADE: _downgrade,
    ApprovalKind.EXTENSION: extension_granted,
    ApprovalKind.PLAN: plan_approved,
    ApprovalKind.REWIND: rewind_approved,
    ApprovalKind.RELEASE: release_approved,
}
