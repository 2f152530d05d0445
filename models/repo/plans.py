"""处置方案 (F9; S1-2, S1-5 四(二): the unit concerned investigates, draws up a handling plan or
implementation plan, and its leader in charge approves it before the basic material goes to
the office): the responsible unit submits it as a request, decided by the roles the policy
names for plans (`[approvers.plan]`, default the leader in charge) through the same gate as a
statement; once approved it meets what the plan says a handling plan meets. Keyword-only
functions over a Session."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.policy import Policy, WorkCalendar
from models.policy.catalogue import spec
from models.policy.forms import validated
from models.policy.notices import Notice
from models.policy.states import ApprovalKind, EventKind
from models.repo.cases import CaseError, add_event, get_case, who
from models.repo.changes import Change
from models.repo.instances import meet
from models.repo.requests import no_pending, open_request, person_of
from models.store.tables import ApprovalRequest


def submit_plan(
    session: Session, *, case_id: int, actor: str, at: datetime, policy: Policy, text: str
) -> Change:
    """提交处置方案: a request for the plan's approvers; nothing is met until one approves."""
    values = validated(spec("plan").fields, {"text": text})
    requester = person_of(session, actor, field="申请人")
    case = get_case(session, case_id)
    if not case.units:
        raise CaseError(f"案件 {case_id} 尚未指定责任单位：先研判或下发联系单")
    if case.closed_at is not None:
        raise CaseError(f"案件 {case_id} 已办结")
    no_pending(session, case_id, ApprovalKind.PLAN)
    return open_request(
        session,
        case,
        kind=ApprovalKind.PLAN,
        requester=requester,
        at=at,
        policy=policy,
        reason="",
        payload={"text": values["text"]},
        summary=f"处置方案：{values['text'][:500]}",
    )


def plan_approved(
    session: Session,
    request: ApprovalRequest,
    *,
    decider: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """The approved plan meets the obligations a plan meets; on the timeline."""
    met = meet(session, case_id=request.case_id, action="plan", actor=decider, at=at, policy=policy)
    add_event(
        session,
        case_id=request.case_id,
        kind=EventKind.NOTE,
        at=at,
        actor=decider,
        message=f"{who(session, decider)} 批准 {who(session, request.requested_by)} 的处置方案"
        + (f"（完成：{'、'.join(met)}）" if met else ""),
        data={"request": request.id, "met": met},
    )
    return []
