"""The things a person does to a case, one function each, shared by the CLI (`yuqing case ...`),
the web console and the signed one-click links (DESIGN §6): 签收, 完成, 申请延期 and its decision,
转办, 上报, 升级/降级, 办结, 重新打开. Each opens one transaction, changes state, writes the case
timeline (actor = who) and queues the notifications it causes in the same transaction (the
outbox). A refusal raises `CaseError` with a Chinese message naming the field or the reason;
`perform` turns a form (field name → text) into one of these calls."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import IllegalTransition, ObligationRule, Policy, StageEvent
from models.policy.escalation import recipients
from models.policy.stages import STAGE_LABELS
from models.policy.states import EventKind, ObligationStatus
from models.repo.cases import CaseError, add_event, find_obligation, get_case, require_open
from models.repo.cases import acknowledge as acknowledge_obligation
from models.repo.lifecycle import advance, cancel_open, regrade, settle
from models.store.tables import Case, Obligation
from notifications.context import build_context
from tasks.runtime import Runtime
from yuqing.action_deadlines import decide_extension, escalate_now, reassign, request_extension
from yuqing.action_support import (
    ActionResult,
    FormField,
    holders_at,
    need,
    queue_notice,
    rule_for,
    transaction,
)

__all__ = [
    "ACTION_LABELS",
    "APPROVER_ROLES",
    "Action",
    "ActionResult",
    "FormField",
    "acknowledge",
    "allowed_actions",
    "close",
    "complete",
    "completion_fields",
    "decide_extension",
    "downgrade",
    "escalate_now",
    "form_fields",
    "parse_time",
    "perform",
    "reassign",
    "reopen",
    "request_extension",
    "upgrade",
    "validated",
]


class Action(StrEnum):
    """The actions a signed link can carry (DESIGN §6)."""

    ACK = "ack"
    COMPLETE = "complete"
    EXTEND = "extend"
    REASSIGN = "reassign"
    ESCALATE = "escalate"
    UPGRADE = "upgrade"


ACTION_LABELS: Mapping[Action, str] = {
    Action.ACK: "签收",
    Action.COMPLETE: "完成",
    Action.EXTEND: "申请延期",
    Action.REASSIGN: "转办",
    Action.ESCALATE: "上报",
    Action.UPGRADE: "升级",
}


# ── who may do what (the console asks; the CLI is run by operators of the machine) ──────────
APPROVER_ROLES = frozenset({"approver", "leader_in_charge", "principal_leader", "group_head"})
_ROLE_ACTIONS: Mapping[str, frozenset[str]] = {
    "monitor": frozenset({"register", "upgrade"}),
    "office_staff": frozenset(
        {"ack", "complete", "extend", "reassign", "escalate", "upgrade", "close", "reopen"}
        | {"register"}
    ),
    "office_head": frozenset(
        {"ack", "complete", "extend", "reassign", "escalate", "upgrade", "close", "reopen"}
        | {"register"}
    ),
    "duty_officer": frozenset({"ack", "complete", "reassign", "escalate", "upgrade", "register"}),
    "unit_responsible": frozenset({"ack", "complete", "extend", "reassign", "escalate"}),
    "unit_liaison": frozenset({"ack", "complete", "extend", "escalate"}),
    "leader_in_charge": frozenset({"ack", "complete", "reassign", "escalate", "upgrade"}),
    "principal_leader": frozenset({"ack", "complete", "reassign", "escalate", "upgrade"}),
    "group_head": frozenset({"ack", "complete", "reassign", "escalate", "upgrade"}),
    "approver": frozenset({"ack"}),
    "operator": frozenset(),
}


def allowed_actions(runtime: Runtime, roles: Collection[str]) -> frozenset[str]:
    """What a person with `roles` may do in the console; approving an extension and a
    downgrade needs an approver role (APPROVER_ROLES). Unknown role names grant nothing."""
    allowed: set[str] = set()
    for role in roles:
        allowed |= _ROLE_ACTIONS.get(role, frozenset())
        if role in APPROVER_ROLES:
            allowed |= {"decide_extension", "downgrade"}
    return frozenset(allowed)


# ── forms ───────────────────────────────────────────────────────────────────────────────────
_FIELDS: Mapping[Action, tuple[FormField, ...]] = {
    Action.ACK: (),
    Action.EXTEND: (
        FormField("until", "延至", "datetime"),
        FormField("reason", "延期理由", "textarea"),
    ),
    Action.REASSIGN: (
        FormField("to_person", "转办给", "person"),
        FormField("reason", "转办理由", "textarea"),
    ),
    Action.ESCALATE: (FormField("reason", "上报理由", "textarea"),),
    Action.UPGRADE: (
        FormField("grade", "升至等级（默认升一级）", "grade", required=False),
        FormField("reason", "升级理由", "textarea"),
    ),
}
_URL_KEYS = frozenset({"authoritative_info"})  # published information: its link is the proof


def completion_fields(rule: ObligationRule) -> tuple[FormField, ...]:
    """What completing the obligation needs: the verification text, the reply's URL, the
    statement text, or (otherwise) an optional note."""
    if rule.closed_by is StageEvent.verify:
        return (FormField("result", "核查结果", "textarea"),)
    if rule.closed_by is StageEvent.approve_statement:
        return (FormField("result", "通稿内容", "textarea"),)
    if rule.closed_by is StageEvent.respond or rule.key in _URL_KEYS:
        return (FormField("url", "回应链接", "url"),)
    return (FormField("note", "办理说明", "textarea", required=False),)


def form_fields(
    runtime: Runtime, action: Action, *, case_id: int, obligation_key: str | None
) -> tuple[FormField, ...]:
    if action is not Action.COMPLETE:
        return _FIELDS[action]
    key = need(obligation_key, FormField("obligation", "事项", "text"))
    with transaction(runtime) as session:
        case = get_case(session, case_id)
        find_obligation(session, case_id=case_id, key=key)
        return completion_fields(rule_for(runtime.policy, case.grade, key))


def perform(
    runtime: Runtime,
    action: Action,
    *,
    case_id: int,
    obligation_key: str | None,
    actor: str,
    at: datetime,
    form: Mapping[str, str],
) -> ActionResult:
    """Validate `form` against the action's fields and carry the action out."""
    fields = form_fields(runtime, action, case_id=case_id, obligation_key=obligation_key)
    values = validated(fields, form)
    reason = values.get("reason", "")
    if action is Action.ACK:
        return acknowledge(
            runtime, case_id=case_id, actor=actor, at=at, obligation_key=obligation_key
        )
    if action is Action.UPGRADE:
        grade = values.get("grade")
        return upgrade(runtime, case_id=case_id, actor=actor, at=at, reason=reason, grade=grade)
    key = need(obligation_key, FormField("obligation", "事项", "text"))
    if action is Action.COMPLETE:
        return complete(
            runtime, case_id=case_id, obligation_key=key, actor=actor, at=at, result=values
        )
    if action is Action.EXTEND:
        until = parse_time(values["until"], runtime.settings.tz, field=fields[0])
        return request_extension(
            runtime,
            case_id=case_id,
            obligation_key=key,
            actor=actor,
            at=at,
            until=until,
            reason=reason,
        )
    if action is Action.REASSIGN:
        return reassign(
            runtime,
            case_id=case_id,
            obligation_key=key,
            actor=actor,
            at=at,
            to_person=values["to_person"],
            reason=reason,
        )
    return escalate_now(
        runtime, case_id=case_id, obligation_key=key, actor=actor, at=at, reason=reason
    )


def validated(fields: Sequence[FormField], form: Mapping[str, str]) -> dict[str, str]:
    """The form's values for `fields`, stripped; a missing required one or a bad URL refused."""
    values: dict[str, str] = {}
    for field in fields:
        value = (form.get(field.name) or "").strip()
        if not value:
            if field.required:
                raise CaseError(f"缺少字段 {field.name}（{field.label}）")
            continue
        if field.kind == "url" and not value.startswith(("http://", "https://")):
            raise CaseError(f"字段 {field.name}（{field.label}）须是 http(s) 链接：{value!r}")
        values[field.name] = value
    return values


def parse_time(text: str, tz: ZoneInfo, *, field: FormField) -> datetime:
    """An ISO time (`2026-11-22 18:00`, `2026-11-22T18:00+08:00`); no zone means `tz`."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CaseError(
            f"字段 {field.name}（{field.label}）不是有效时间：{text!r}，例：2026-11-22 18:00"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


# ── the actions ─────────────────────────────────────────────────────────────────────────────


def acknowledge(
    runtime: Runtime,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    obligation_key: str | None = None,
) -> ActionResult:
    """签收: records who and when; stops only the no-acknowledgement chain (DESIGN §5)."""
    with transaction(runtime) as session:
        obligation = acknowledge_obligation(
            session, case_id=case_id, actor=actor, at=at, obligation_key=obligation_key
        )
        key, title = obligation.key, obligation.title
    return ActionResult(
        case_id,
        key,
        f"已签收：案件 {case_id} · {title}（{actor}），完成前仍按时限催办",
        {"case_id": case_id, "obligation": key, "acked_by": actor, "acked_at": at},
    )


def complete(
    runtime: Runtime,
    *,
    case_id: int,
    obligation_key: str,
    actor: str,
    at: datetime,
    result: Mapping[str, str],
) -> ActionResult:
    """完成: stops both chains. When the rule's `closed_by` event is legal from the case's stage
    it is applied (the stage moves, the next obligations open); else only this one completes."""
    policy = runtime.policy
    with transaction(runtime) as session:
        case = get_case(session, case_id)
        obligation = find_obligation(session, case_id=case_id, key=obligation_key)
        require_open(obligation)
        rule = rule_for(policy, case.grade, obligation.key)
        fields = completion_fields(rule)
        values = validated(fields, result)
        title, old_stage = obligation.title, case.stage
        if values:
            shown = "；".join(f"{f.label}：{values[f.name]}" for f in fields if f.name in values)
            add_event(
                session,
                case_id=case_id,
                kind=EventKind.NOTE,
                at=at,
                actor=actor,
                message=f"{actor} 提交{title}结果：{shown}",
                data={"obligation": obligation.key, "result": values},
            )
        event = rule.closed_by
        if event is not None and _legal(policy, case, event):
            advance(
                session,
                case_id=case_id,
                event=event,
                actor=actor,
                at=at,
                policy=policy,
                calendar=runtime.calendar,
            )
        keys = [obligation_key]
        settle(
            session,
            case_id=case_id,
            keys=keys,
            status=ObligationStatus.COMPLETED,
            actor=actor,
            at=at,
        )
        stage = get_case(session, case_id).stage
    moved = (
        f"，阶段 {STAGE_LABELS[old_stage]} → {STAGE_LABELS[stage]}" if stage != old_stage else ""
    )
    return ActionResult(
        case_id,
        obligation_key,
        f"已完成：案件 {case_id} · {title}（{actor}）{moved}",
        {
            "case_id": case_id,
            "obligation": obligation_key,
            "status": "completed",
            "stage": stage.value,
            "result": values,
        },
    )


def upgrade(
    runtime: Runtime,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    reason: str,
    grade: str | None = None,
) -> ActionResult:
    """升级 (None: one grade up): open deadlines shorten (`models.repo.lifecycle.regrade`) and the
    chain's first level hears of it."""
    reason = need(reason, FormField("reason", "升级理由", "textarea"))
    with transaction(runtime) as session:
        case = get_case(session, case_id)
        target = _regrade_target(runtime.policy, case.grade, grade, up=True)
        return _regrade(runtime, session, case, target, actor=actor, at=at, reason=reason)


def downgrade(
    runtime: Runtime,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    reason: str,
    approver: str,
    grade: str | None = None,
) -> ActionResult:
    """降级 (None: one grade down): only by a person, with a reason and another person's
    consent (DESIGN §3); deadlines never lengthen."""
    reason = need(reason, FormField("reason", "降级理由", "textarea"))
    approver = need(approver, FormField("approver", "审批人", "person"))
    if approver == actor:
        raise CaseError(f"降级须经他人审批：审批人不能是申请人 {actor} 本人")
    with transaction(runtime) as session:
        case = get_case(session, case_id)
        target = _regrade_target(runtime.policy, case.grade, grade, up=False)
        return _regrade(
            runtime, session, case, target, actor=actor, at=at, reason=reason, approver=approver
        )


def close(
    runtime: Runtime, *, case_id: int, actor: str, at: datetime, reason: str = ""
) -> ActionResult:
    """办结: the close event (legal only where the template allows it); what is still open is
    cancelled, since a closed case is chased no more, and the review starts counting."""
    with transaction(runtime) as session:
        case = get_case(session, case_id)
        if case.closed_at is not None:
            raise CaseError(f"案件 {case_id} 已办结 (already closed)")
        old = case.stage
        transition = advance(
            session,
            case_id=case_id,
            event=StageEvent.close,
            actor=actor,
            at=at,
            policy=runtime.policy,
            calendar=runtime.calendar,
        )
        keep = transition.obligations_to_open
        cancelled = cancel_open(session, case_id=case_id, actor=actor, at=at, keep=keep)
        if reason.strip():
            add_event(
                session,
                case_id=case_id,
                kind=EventKind.NOTE,
                at=at,
                actor=actor,
                message=f"{actor} 办结说明：{reason.strip()}",
                data={"reason": reason.strip()},
            )
    return ActionResult(
        case_id,
        None,
        f"已办结：案件 {case_id}（{STAGE_LABELS[old]} → {STAGE_LABELS[transition.to_stage]}）",
        {"case_id": case_id, "stage": transition.to_stage.value, "cancelled": cancelled},
    )


def reopen(
    runtime: Runtime, *, case_id: int, actor: str, at: datetime, reason: str
) -> ActionResult:
    """重新打开: a closed case returns to tracking within the aftercare window."""
    reason = need(reason, FormField("reason", "重新打开理由", "textarea"))
    with transaction(runtime) as session:
        case = get_case(session, case_id)
        if case.closed_at is None:
            raise CaseError(f"案件 {case_id} 未办结，无需重新打开")
        transition = advance(
            session,
            case_id=case_id,
            event=StageEvent.reopen,
            actor=actor,
            at=at,
            policy=runtime.policy,
            calendar=runtime.calendar,
        )
        add_event(
            session,
            case_id=case_id,
            kind=EventKind.REOPENED,
            at=at,
            actor=actor,
            message=f"{actor} 重新打开案件，理由：{reason}",
            data={"reason": reason},
        )
    stage = transition.to_stage
    return ActionResult(
        case_id,
        None,
        f"已重新打开：案件 {case_id}，阶段 → {STAGE_LABELS[stage]}",
        {"case_id": case_id, "stage": stage.value},
    )


def _legal(policy: Policy, case: Case, event: StageEvent) -> bool:
    try:
        policy.template.target(case.stage, event)
    except IllegalTransition:
        return False
    return True


def _regrade_target(policy: Policy, current: str, grade: str | None, *, up: bool) -> str:
    """The grade asked for, or one step up/down; refuses the wrong direction and the ends."""
    ranked = policy.scheme.by_rank()  # most severe first
    now = policy.scheme.level(current)
    if grade is None:
        index = ranked.index(now) + (-1 if up else 1)
        if not 0 <= index < len(ranked):
            end = "最高" if up else "最低"
            raise CaseError(f"案件已是{end}等级（{now.label}），无法再{'升' if up else '降'}级")
        return ranked[index].id
    wanted = policy.scheme.level(grade)
    if (wanted.rank >= now.rank) if up else (wanted.rank <= now.rank):
        verb = "升级须高于" if up else "降级须低于"
        raise CaseError(f"字段 grade（等级）：{verb}当前等级 {now.label}，而 {wanted.label} 不是")
    return wanted.id


def _regrade(
    runtime: Runtime,
    session: Session,
    case: Case,
    target: str,
    *,
    actor: str,
    at: datetime,
    reason: str,
    approver: str | None = None,
) -> ActionResult:
    assert case.id is not None
    policy, case_id = runtime.policy, case.id
    old_label = policy.scheme.level(case.grade).label
    before = {o.key: o.due_at for o in _open(session, case_id)}
    regrade(
        session,
        case_id=case_id,
        grade=target,
        actor=actor,
        reason=reason,
        at=at,
        policy=policy,
        calendar=runtime.calendar,
        approver=approver,
    )
    now_open = _open(session, case_id)
    moved = [o.key for o in now_open if o.key in before and o.due_at < before[o.key]]
    new_label = policy.scheme.level(target).label
    queued = 0
    if approver is None and now_open:  # an upgrade: the first level of the chain hears of it
        ctx = build_context(runtime.settings, policy)
        first = now_open[0]
        roles = policy.chain[0].recipients(first.owner_role)
        people = recipients(roles, holders=holders_at(session, ctx, at, first))
        label = f"案件升级：{old_label} → {new_label}，时限已按新等级调整"
        queued = queue_notice(
            session,
            case,
            first,
            people,
            occasion=f"upgrade{target}@{int(at.timestamp())}",
            label=label,
            ctx=ctx,
            at=at,
        )
    return ActionResult(
        case_id,
        None,
        f"已调整等级：案件 {case_id} {old_label} → {new_label}（{len(moved)} 项时限缩短）",
        {
            "case_id": case_id,
            "from": policy.scheme.level(old_label).id,
            "to": target,
            "grade_label": new_label,
            "moved": moved,
            "queued": queued,
        },
    )


def _open(session: Session, case_id: int) -> list[Obligation]:
    query = select(Obligation).where(
        Obligation.case_id == case_id, Obligation.status == ObligationStatus.OPEN
    )
    return list(session.exec(query.order_by(col(Obligation.due_at))).all())
