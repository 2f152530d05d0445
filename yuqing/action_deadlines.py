"""The actions on one obligation's deadline and chain (re-exported by `yuqing.actions`):
申请延期 and the approver's decision, 转办 to another person, 上报 one chain level now."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col

from models.policy import DueTime, Policy, escalation_times, extend_due, extension_cap, reminder_at
from models.policy.escalation import recipients
from models.policy.states import ApprovalKind, ApprovalStatus, Chain, EventKind
from models.repo.cases import CaseError, add_event, find_obligation, get_case, require_open
from models.repo.escalation import advance_level
from models.store.tables import ApprovalRequest, Case, Obligation
from notifications.context import build_context
from notifications.queue import AlertSpec, queue_to_people
from tasks.runtime import Runtime
from yuqing.action_support import (
    ActionResult,
    FormField,
    approvers_at,
    find_person,
    holders_at,
    local_time,
    need,
    queue_notice,
    rule_for,
    transaction,
)


def request_extension(
    runtime: Runtime,
    *,
    case_id: int,
    obligation_key: str,
    actor: str,
    at: datetime,
    until: datetime,
    reason: str,
) -> ActionResult:
    """申请延期: a pending request (data has request_id), the approvers alerted; the due time
    moves only when an approver consents (`decide_extension`)."""
    reason = need(reason, FormField("reason", "延期理由", "textarea"))
    tz = runtime.settings.tz
    with transaction(runtime) as session:
        case = get_case(session, case_id)
        obligation = find_obligation(session, case_id=case_id, key=obligation_key)
        require_open(obligation)
        if until <= at:
            raise CaseError(f"字段 until（延至）须晚于现在：{local_time(until, tz)}")
        # Check now what the approval will check, so a request that cannot pass is not sent on.
        extend_due(
            obligation.key,
            DueTime(obligation.due_at, obligation.provisional),
            until,
            requested_by=actor,
            reason=reason,
            approver=actor,
            cap=_cap(runtime, case, obligation),
        )
        assert obligation.id is not None
        request = ApprovalRequest(
            case_id=case_id,
            kind=ApprovalKind.EXTENSION,
            obligation_id=obligation.id,
            grade=case.grade,
            requested_by=actor,
            requested_at=at,
            payload={"until": until.isoformat()},
            reason=reason,
        )
        session.add(request)
        session.flush()
        assert request.id is not None
        request_id, title = request.id, obligation.title
        ctx = build_context(runtime.settings, runtime.policy)
        approvers = approvers_at(session, ctx, at)
        add_event(
            session,
            case_id=case_id,
            kind=EventKind.APPROVAL_REQUESTED,
            at=at,
            actor=actor,
            message=f"{actor} 申请延期：{title} 延至 {local_time(until, tz)}，理由：{reason}"
            f"（申请编号 {request_id}，待审批）",
            data={"request": request_id, "obligation": obligation.key, "until": until.isoformat()},
        )
        label = f"延期申请待审批（编号 {request_id}）：{actor} 申请延至 {local_time(until, tz)}"
        queued = queue_notice(
            session,
            case,
            obligation,
            approvers,
            occasion=f"extension{request_id}",
            label=label,
            ctx=ctx,
            at=at,
        )
    return ActionResult(
        case_id,
        obligation_key,
        f"已提交延期申请 {request_id}：{title} 延至 {local_time(until, tz)}，"
        f"待审批（已通知 {queued} 人）",
        {
            "case_id": case_id,
            "obligation": obligation_key,
            "request_id": request_id,
            "until": until,
            "status": ApprovalStatus.PENDING.value,
            "approvers": approvers,
        },
    )


def decide_extension(
    runtime: Runtime,
    *,
    case_id: int,
    request_id: int,
    approver: str,
    at: datetime,
    approve: bool,
    note: str = "",
) -> ActionResult:
    """The approver's decision on a pending extension; on approval the due time moves and the
    no-completion chain is re-armed against it (levels already fired stay fired)."""
    approver = need(approver, FormField("approver", "审批人", "person"))
    tz = runtime.settings.tz
    with transaction(runtime) as session:
        case = get_case(session, case_id)
        request = session.get(ApprovalRequest, request_id)
        if request is None or request.case_id != case_id or request.kind != ApprovalKind.EXTENSION:
            raise CaseError(f"案件 {case_id} 没有延期申请 {request_id} (unknown request)")
        if request.status != ApprovalStatus.PENDING:
            done = "批准" if request.status == ApprovalStatus.APPROVED else "驳回"
            raise CaseError(f"延期申请 {request_id} 已由 {request.decided_by} {done}")
        if approver == request.requested_by:
            raise CaseError(f"延期申请 {request_id} 不能由申请人 {approver} 本人审批")
        obligation = session.get(Obligation, request.obligation_id)
        assert obligation is not None
        until = datetime.fromisoformat(request.payload["until"])
        key, title, old_due = obligation.key, obligation.title, obligation.due_at
        if approve:
            require_open(obligation)
            extension = extend_due(
                obligation.key,
                DueTime(obligation.due_at, obligation.provisional),
                until,
                requested_by=request.requested_by,
                reason=request.reason,
                approver=approver,
                cap=_cap(runtime, case, obligation),
            )
            obligation.due_at = extension.new_due
            obligation.next_check_at = _rearmed(runtime.policy, case, obligation)
            session.add(obligation)
        status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        _decide(session, request_id, status=status, approver=approver, at=at, note=note)
        verdict = (
            f"批准延期：{title} 截止 {local_time(old_due, tz)} → {local_time(until, tz)}"
            if approve
            else f"驳回延期申请：{title} 截止不变（{local_time(old_due, tz)}）"
        )
        add_event(
            session,
            case_id=case_id,
            kind=EventKind.APPROVAL_DECIDED,
            at=at,
            actor=approver,
            message=f"{approver} {verdict}（申请编号 {request_id}）"
            + (f"，{note}" if note else ""),
            data={"request": request_id, "obligation": key, "status": status.value},
        )
        due = obligation.due_at
    return ActionResult(
        case_id,
        key,
        f"已{verdict}",
        {
            "case_id": case_id,
            "obligation": key,
            "request_id": request_id,
            "status": status.value,
            "due_at": due,
        },
    )


def reassign(
    runtime: Runtime,
    *,
    case_id: int,
    obligation_key: str,
    actor: str,
    at: datetime,
    to_person: str,
    reason: str,
) -> ActionResult:
    """转办: the obligation goes to another person (who is alerted); its clock does not restart."""
    to_person = need(to_person, FormField("to_person", "转办给", "person"))
    reason = need(reason, FormField("reason", "转办理由", "textarea"))
    with transaction(runtime) as session:
        case = get_case(session, case_id)
        obligation = find_obligation(session, case_id=case_id, key=obligation_key)
        require_open(obligation)
        person = find_person(session, to_person)
        if obligation.assignee_id == person.id:
            raise CaseError(f"事项 {obligation_key!r} 已转办给 {person.name}，无需重复转办")
        previous = obligation.assignee_id
        obligation.assignee_id = person.id
        session.add(obligation)
        due = local_time(obligation.due_at, runtime.settings.tz)
        event = add_event(
            session,
            case_id=case_id,
            kind=EventKind.REASSIGNED,
            at=at,
            actor=actor,
            message=f"{actor} 转办：{obligation.title} → {person.name}，理由：{reason}"
            f"（时限不变，截止 {due}）",
            data={"obligation": obligation_key, "from": previous, "to": person.id},
        )
        session.flush()
        assert event is not None
        ctx = build_context(runtime.settings, runtime.policy)
        queued = queue_notice(
            session,
            case,
            obligation,
            [person.id],
            occasion=f"reassign{event.id}",
            label=f"转办：{actor} 转给 {person.name}，理由：{reason}",
            ctx=ctx,
            at=at,
        )
        title, name = obligation.title, person.name
    return ActionResult(
        case_id,
        obligation_key,
        f"已转办：案件 {case_id} · {title} → {name}（截止 {due} 不变，已通知 {queued} 人）",
        {"case_id": case_id, "obligation": obligation_key, "assignee": person.id, "queued": queued},
    )


def escalate_now(
    runtime: Runtime,
    *,
    case_id: int,
    obligation_key: str,
    actor: str,
    at: datetime,
    reason: str,
) -> ActionResult:
    """上报: the no-completion chain climbs one level now (its alerts queued), on the record;
    later levels keep their scheduled times."""
    reason = need(reason, FormField("reason", "上报理由", "textarea"))
    policy = runtime.policy
    with transaction(runtime) as session:
        case = get_case(session, case_id)
        obligation = find_obligation(session, case_id=case_id, key=obligation_key)
        require_open(obligation)
        level = obligation.level + 1
        if level > max(rung.level for rung in policy.chain):
            raise CaseError(f"事项 {obligation_key!r} 已到督办链最高级（第{obligation.level}级）")
        rung = policy.chain_level(level)
        rule = policy.escalation_for(case.grade)
        times = escalation_times(obligation.due_at, rule, policy.chain)
        next_check = next((t for r, t in times if r.level > level), None)
        marked = at if obligation.reminded_at is None else None  # the chain is past the reminder
        if not advance_level(
            session, obligation, to_level=level, next_check_at=next_check, reminded_at=marked
        ):
            raise CaseError(f"事项 {obligation_key!r} 刚被他人催办或上报，请刷新后重试")
        ctx = build_context(runtime.settings, policy)
        grade = policy.scheme.level(case.grade).id
        roles = rung.recipients(obligation.owner_role) + ctx.second_roles(grade, level)
        people = recipients(
            tuple(dict.fromkeys(roles)), holders=holders_at(session, ctx, at, obligation)
        )
        add_event(
            session,
            case_id=case_id,
            kind=EventKind.ESCALATED,
            at=at,
            actor=actor,
            message=f"{actor} 上报：{obligation.title} 第{level}级（{rung.label}），"
            f"理由：{reason}，通知 {len(people)} 人",
            data={"obligation": obligation_key, "level": level, "recipients": people},
        )
        spec = AlertSpec(
            Chain.NO_COMPLETION,
            level,
            f"{rung.label}（{actor} 上报）",
            at - obligation.due_at,
            rule.ack_window,
        )
        queued = queue_to_people(
            session, case=case, obligation=obligation, spec=spec, people=people, ctx=ctx, now=at
        )
        title = obligation.title
    return ActionResult(
        case_id,
        obligation_key,
        f"已上报：案件 {case_id} · {title} 第{level}级（{rung.label}），通知 {queued} 条",
        {"case_id": case_id, "obligation": obligation_key, "level": level, "recipients": people},
    )


def _cap(runtime: Runtime, case: Case, obligation: Obligation) -> DueTime | None:
    policy = runtime.policy
    return extension_cap(
        rule_for(policy, case.grade, obligation.key),
        obligation.anchor_at,
        calendar=runtime.calendar,
        tz=ZoneInfo(policy.timezone),
        closing_time=policy.closing_time,
    )


def _rearmed(policy: Policy, case: Case, obligation: Obligation) -> datetime | None:
    """The next check against a moved due time: the reminder if not yet sent, else the next
    chain level not yet fired (levels already fired keep their outbox keys)."""
    rule = policy.escalation_for(case.grade)
    if obligation.level == 0:
        if obligation.reminded_at is None:
            return reminder_at(obligation.anchor_at, obligation.due_at, rule)
        return obligation.due_at
    times = escalation_times(obligation.due_at, rule, policy.chain)
    return next((t for r, t in times if r.level > obligation.level), None)


def _decide(
    session: Session,
    request_id: int,
    *,
    status: ApprovalStatus,
    approver: str,
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
        .values(status=status.value, decided_by=approver, decided_at=at, note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise CaseError(f"延期申请 {request_id} 刚被他人处理，请刷新后查看")
