"""A request for an approver's decision, whatever it asks (a statement, a downgrade, an
extension, a handling plan, a stage moved back, a release in a blackout): the requester is a
person of the directory, the request is on the timeline and the approvers the policy names for
its kind and the case's grade are asked with their 同意/退回 links; a pending one is found by
number (or as the case's only one); it is decided once (compare-and-set from pending).
`models.repo.approvals` decides and carries out what each kind asks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.catalogue import DECISION_LINKS
from models.policy.notices import Notice, NoticeKind
from models.policy.permissions import role_names
from models.policy.states import APPROVAL_LABELS, ApprovalKind, ApprovalStatus, EventKind
from models.repo.cases import CaseError, NextStep, add_event
from models.repo.changes import Change
from models.repo.directory import find_person
from models.store.tables import ApprovalRequest, Case, Person


def person_of(session: Session, ref: str, *, field: str) -> Person:
    person = find_person(session, ref)
    if person is None:
        raise CaseError(f"{field}：{ref!r} 不是系统中登记的人员（请用人员编号）")
    return person


def open_request(
    session: Session,
    case: Case,
    *,
    kind: ApprovalKind,
    requester: Person,
    at: datetime,
    policy: Policy,
    reason: str,
    payload: dict[str, Any],
    summary: str,
    obligation_id: int | None = None,
) -> Change:
    """A request of `kind` on the case, on the timeline, and the notice asking the approvers
    the policy names for its kind and the case's grade (with their 同意/退回 links)."""
    assert case.id is not None
    request = ApprovalRequest(
        case_id=case.id,
        kind=kind,
        obligation_id=obligation_id,
        grade=case.grade,
        requested_by=requester.id,
        requested_at=at,
        reason=reason,
        payload=payload,
    )
    session.add(request)
    session.flush()
    assert request.id is not None
    label = APPROVAL_LABELS[kind]
    _on_timeline(session, request, requester, summary=summary, at=at)
    roles = policy.approver_roles(kind.value, case.grade)
    return Change(
        case.id,
        f"已提交{label}申请 {request.id}，待审批（审批：{role_names(roles)}）",
        {"case_id": case.id, "request_id": request.id, "kind": kind.value, "status": "pending"},
        (_asking(request, requester, roles, summary=summary),),
    )


def _on_timeline(
    session: Session, request: ApprovalRequest, requester: Person, *, summary: str, at: datetime
) -> None:
    label = APPROVAL_LABELS[request.kind]
    add_event(
        session,
        case_id=request.case_id,
        kind=EventKind.APPROVAL_REQUESTED,
        at=at,
        actor=requester.id,
        message=f"{requester.name} 申请{label}：{summary}（申请编号 {request.id}，待审批）",
        data={"request": request.id, "kind": request.kind.value, **request.payload},
    )


def _asking(
    request: ApprovalRequest, requester: Person, roles: tuple[str, ...], *, summary: str
) -> Notice:
    """The notice asking the approvers, with their 同意/退回 links."""
    label, reason = APPROVAL_LABELS[request.kind], request.reason
    approve = f"--request {request.id} --by {{person}}"
    return Notice(
        kind=NoticeKind.APPROVAL,
        occasion=f"request{request.id}",
        headline=f"待审批：{label}（申请编号 {request.id}，{requester.name} 申请）",
        case_id=request.case_id,
        roles=roles,
        lines=(summary, *([f"理由：{reason}"] if reason else [])),
        links=DECISION_LINKS,
        link_subject=f"req{request.id}",
        extra={"command": f"yuqing case approve {request.case_id} {approve}"},
    )


def no_pending(session: Session, case_id: int, kind: ApprovalKind) -> None:
    pending = session.exec(
        select(ApprovalRequest.id).where(
            ApprovalRequest.case_id == case_id,
            ApprovalRequest.kind == kind,
            ApprovalRequest.status == ApprovalStatus.PENDING,
        )
    ).first()
    if pending is not None:
        raise CaseError(f"已有待审批的{APPROVAL_LABELS[kind]}申请（编号 {pending}），请先审批")


def pending_request(
    session: Session, *, case_id: int, request_id: int | None, kind: ApprovalKind | None = None
) -> ApprovalRequest:
    """The request named, or the case's only pending one (of `kind`)."""
    if request_id is not None:
        request = session.get(ApprovalRequest, request_id)
        if request is None or request.case_id != case_id:
            raise CaseError(f"案件 {case_id} 没有申请 {request_id}")
        return request
    query = select(ApprovalRequest).where(
        ApprovalRequest.case_id == case_id, ApprovalRequest.status == ApprovalStatus.PENDING
    )
    if kind is not None:
        query = query.where(ApprovalRequest.kind == kind)
    found = session.exec(query.order_by(col(ApprovalRequest.id))).all()
    if not found:
        raise CaseError(f"案件 {case_id} 没有待审批的申请")
    if len(found) > 1:
        ids = "、".join(str(r.id) for r in found)
        raise CaseError(
            f"案件 {case_id} 有多个待审批申请（{ids}），请指明申请编号",
            next_step=NextStep(fields=(("request", None),)),
        )
    return found[0]


def decide_once(
    session: Session,
    request_id: int,
    *,
    status: ApprovalStatus,
    decider: str,
    at: datetime,
    note: str,
) -> None:
    """Compare-and-set from pending, so two approvers never both decide one request."""
    result = session.execute(
        update(ApprovalRequest)
        .where(
            col(ApprovalRequest.id) == request_id,
            col(ApprovalRequest.status) == ApprovalStatus.PENDING.value,
        )
        .values(status=status.value, decided_by=decider, decided_at=at, note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise CaseError(f"申请 {request_id} 刚被他人处理，请刷新后查看")
