"""Requests that need an approver's decision (seeds-spec §4.3; DESIGN §3–§4): a statement to
approve (通稿审定), a downgrade (降级), an extension (申请延期). The requester is a real person in
the directory; the decider holds a role the policy names for the kind and the case's grade, and
is never the requester; a request is decided once (compare-and-set from pending); the change
happens only on approval; every request and decision is on the timeline and told: the approvers
get the request with their 同意/退回 links, the requester gets the decision."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.policy import DueTime, Policy, StageEvent, WorkCalendar, extend_due, extension_cap
from models.policy.escalation import escalation_times, reminder_at
from models.policy.notices import Notice, NoticeKind
from models.policy.states import APPROVAL_LABELS, ApprovalKind, ApprovalStatus, EventKind
from models.policy.wording import deadline_text
from models.repo.cases import CaseError, add_event, find_obligation, get_case, require_open
from models.repo.changes import Change
from models.repo.lifecycle import advance, regrade, stage_notices
from models.repo.requests import decide_once, no_pending, open_request, pending_request, person_of
from models.repo.stages import regrade_target
from models.store.tables import ApprovalRequest, Case, Obligation, Person


def _local(at: datetime, policy: Policy) -> str:
    return deadline_text(at, ZoneInfo(policy.timezone))


def draft_statement(
    session: Session, *, case_id: int, actor: str, at: datetime, policy: Policy, text: str
) -> Change:
    """通稿 drafted: a request for the grade's approver; the stage moves only on approval."""
    if not text.strip():
        raise CaseError("缺少字段 text（通稿内容）")
    requester = person_of(session, actor, field="申请人")
    case = get_case(session, case_id)
    policy.template.target(case.stage, StageEvent.approve_statement)  # refuses an early draft
    no_pending(session, case_id, ApprovalKind.STATEMENT)
    return open_request(
        session,
        case,
        kind=ApprovalKind.STATEMENT,
        requester=requester,
        at=at,
        policy=policy,
        reason="",
        payload={"text": text.strip()},
        summary=f"通稿：{text.strip()[:500]}",
    )


def request_downgrade(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    reason: str,
    grade: str | None = None,
) -> Change:
    """降级 requested (None: one grade down): only a person, with a reason; decided by another."""
    if not reason.strip():
        raise CaseError("缺少字段 reason（降级理由）")
    requester = person_of(session, actor, field="申请人")
    case = get_case(session, case_id)
    target = regrade_target(policy, case.grade, grade, up=False)
    no_pending(session, case_id, ApprovalKind.DOWNGRADE)
    old, new = policy.scheme.level(case.grade).label, policy.scheme.level(target).label
    return open_request(
        session,
        case,
        kind=ApprovalKind.DOWNGRADE,
        requester=requester,
        at=at,
        policy=policy,
        reason=reason.strip(),
        payload={"grade": target},
        summary=f"降级：{old} → {new}",
    )


def request_extension(
    session: Session,
    *,
    case_id: int,
    obligation_key: str,
    actor: str,
    at: datetime,
    until: datetime,
    reason: str,
    policy: Policy,
    calendar: WorkCalendar,
) -> Change:
    """申请延期: checked now as the approval will check it, so a request that cannot pass is not
    sent on; the due time moves only when an approver consents."""
    if not reason.strip():
        raise CaseError("缺少字段 reason（延期理由）")
    requester = person_of(session, actor, field="申请人")
    case = get_case(session, case_id)
    obligation = find_obligation(session, case_id=case_id, key=obligation_key)
    require_open(obligation)
    if until <= at:
        raise CaseError(f"字段 until（延至）须晚于现在：{_local(until, policy)}")
    _extended(policy, calendar, case, obligation, until, requester.id, reason, approver="?")
    was = _local(obligation.due_at, policy)
    summary = f"{obligation.title} 延至 {_local(until, policy)}（原截止 {was}）"
    change = open_request(
        session,
        case,
        kind=ApprovalKind.EXTENSION,
        requester=requester,
        at=at,
        policy=policy,
        reason=reason.strip(),
        payload={"until": until.isoformat()},
        summary=summary,
        obligation_id=obligation.id,
    )
    return Change(
        change.case_id,
        change.message,
        {**change.data, "obligation": obligation_key, "until": until},
        change.notices,
        obligation_key,
    )


def _extended(
    policy: Policy,
    calendar: WorkCalendar,
    case: Case,
    obligation: Obligation,
    until: datetime,
    requested_by: str,
    reason: str,
    *,
    approver: str,
) -> datetime:
    cap = extension_cap(
        policy.rule_any_grade(case.grade, obligation.key),
        obligation.anchor_at,
        calendar=calendar,
        tz=ZoneInfo(policy.timezone),
        closing_time=policy.closing_time,
    )
    return extend_due(
        obligation.key,
        DueTime(obligation.due_at, obligation.provisional),
        until,
        requested_by=requested_by,
        reason=reason,
        approver=approver,
        cap=cap,
    ).new_due


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
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    decide_once(session, request.id, status=status, decider=person.id, at=at, note=note.strip())
    notices: list[Notice] = []
    result = "批准" if approve else "退回"
    if approve:
        notices += _carry_out(
            session, request, decider=person.id, at=at, policy=policy, calendar=calendar
        )
    entry = add_event(
        session,
        case_id=case_id,
        kind=EventKind.APPROVAL_DECIDED,
        at=at,
        actor=person.id,
        message=f"{person.name} {result}{label}申请 {request.id}"
        + (f"：{note.strip()}" if note.strip() else ""),
        data={"request": request.id, "kind": request.kind.value, "status": status.value},
    )
    session.flush()
    assert entry is not None and entry.id is not None
    notices.append(
        Notice(
            kind=NoticeKind.DECISION,
            occasion=f"decision{request.id}",
            headline=f"{label}申请 {request.id} 已{result}（{person.name}）",
            case_id=case_id,
            people=(request.requested_by,),
            lines=(f"意见：{note.strip()}",) if note.strip() else (),
        )
    )
    return Change(
        case_id,
        f"已{result}{label}申请 {request.id}：案件 {case_id}",
        {
            "case_id": case_id,
            "request_id": request.id,
            "kind": request.kind.value,
            "status": status.value,
            "stage": get_case(session, case_id).stage.value,
        },
        tuple(notices),
    )


def _carry_out(
    session: Session,
    request: ApprovalRequest,
    *,
    decider: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """What an approved request asks for: the statement's stage, the lower grade, the later
    due time (with the no-completion chain re-armed against it)."""
    case_id = request.case_id
    if request.kind is ApprovalKind.STATEMENT:
        transition, entry = advance(
            session,
            case_id=case_id,
            event=StageEvent.approve_statement,
            actor=decider,
            at=at,
            policy=policy,
            calendar=calendar,
        )
        return stage_notices(
            session,
            case_id=case_id,
            transition=transition,
            event_id=entry,
            actor=decider,
            policy=policy,
            lines=(f"审定通稿：{request.payload.get('text', '')[:500]}",),
        )
    if request.kind is ApprovalKind.DOWNGRADE:
        regrade(
            session,
            case_id=case_id,
            grade=request.payload["grade"],
            actor=request.requested_by,
            reason=request.reason,
            at=at,
            policy=policy,
            calendar=calendar,
            approver=decider,
        )
        return []
    obligation = session.get(Obligation, request.obligation_id)
    assert obligation is not None
    require_open(obligation)
    case = get_case(session, case_id)
    until = datetime.fromisoformat(request.payload["until"])
    obligation.due_at = _extended(
        policy,
        calendar,
        case,
        obligation,
        until,
        request.requested_by,
        request.reason,
        approver=decider,
    )
    obligation.next_check_at = _rearmed(policy, case, obligation)
    session.add(obligation)
    return []


def _rearmed(policy: Policy, case: Case, obligation: Obligation) -> datetime | None:
    """The next check against a moved due time: the reminder if not yet sent, else the next
    chain level not yet fired (levels already fired keep their outbox keys)."""
    rule = policy.escalation_for(case.grade)
    if obligation.level == 0:
        if obligation.reminded_at is None:
            return reminder_at(obligation.anchor_at, obligation.due_at, rule)
        return obligation.due_at
    chain = policy.chain_for(case.grade, obligation.key)
    times = escalation_times(obligation.due_at, rule, chain)
    return next((t for r, t in times if r.level > obligation.level), None)
