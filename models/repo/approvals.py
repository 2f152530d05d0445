"""Requests that need an approver's decision (seeds-spec §4.3; DESIGN §3–§4): a statement to
approve (通稿审定), a downgrade (降级), an extension (申请延期) — each checked now as the decision
will check it — and what an approved extension does (the later due time, the chain re-armed).
The requester is a real person in the directory; the change happens only on approval
(`models.repo.decisions`), by someone other than the requester."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.policy import DueTime, Policy, StageEvent, WorkCalendar, extend_due, extension_cap
from models.policy.escalation import escalation_times, reminder_at
from models.policy.notices import Notice
from models.policy.states import ApprovalKind
from models.policy.wording import deadline_text
from models.repo.cases import CaseError, find_obligation, get_case, require_open
from models.repo.changes import Change
from models.repo.requests import no_pending, open_request, person_of
from models.repo.upgrade import regrade_target
from models.store.tables import ApprovalRequest, Case, Obligation


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
    correction: bool = False,
) -> Change:
    """降级 requested (None: one grade down): only a person, with a reason; decided by another.
    A grade `correction` (更正) is recorded as one when approved."""
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
        payload={"grade": target, **({"correction": "yes"} if correction else {})},
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
    obligation = _extendable(session, case_id, obligation_key, at=at, until=until, policy=policy)
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
    data = {**change.data, "obligation": obligation_key, "until": until}
    return replace(change, data=data, obligation_key=obligation_key)


def _extendable(
    session: Session, case_id: int, key: str, *, at: datetime, until: datetime, policy: Policy
) -> Obligation:
    """The open obligation to extend, to a time after now."""
    obligation = find_obligation(session, case_id=case_id, key=key)
    require_open(obligation)
    if until <= at:
        raise CaseError(f"字段 until（延至）须晚于现在：{_local(until, policy)}")
    return obligation


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


def extension_granted(
    session: Session,
    request: ApprovalRequest,
    *,
    decider: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """The later due time, with the no-completion chain re-armed against it."""
    obligation = session.get(Obligation, request.obligation_id)
    assert obligation is not None
    require_open(obligation)
    case = get_case(session, request.case_id)
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
