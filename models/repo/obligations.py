"""A person's actions on one obligation: 签收 (acknowledge: stops the no-acknowledgement chain
only), 完成 (complete: stops both chains, with the proof its rule needs; when the rule's stage
event is legal now the case moves on too), and 转办 (hand it to another person; its clock does
not restart). Each returns a `Change` with the notices it causes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import ObligationRule, Policy, StageEvent, WorkCalendar
from models.policy.catalogue import ALERT_LINKS
from models.policy.forms import completion_fields, validated
from models.policy.notices import Notice, NoticeKind
from models.policy.stages import STAGE_LABELS, Stage
from models.policy.states import Chain, EventKind, ObligationStatus
from models.policy.wording import deadline_text
from models.repo.cases import (
    CaseError,
    NextStep,
    add_event,
    find_obligation,
    get_case,
    require_open,
    who,
)
from models.repo.changes import Change
from models.repo.directory import find_person
from models.repo.instances import is_instance
from models.repo.lifecycle import is_legal, settle
from models.repo.stages import Move, stage_change
from models.store.tables import Case, Obligation, Person


def acknowledge(
    session: Session, *, case_id: int, actor: str, at: datetime, obligation_key: str | None = None
) -> Change:
    """Acknowledge an open obligation (by default the unacknowledged one due first). 签收 stops
    only the no-acknowledgement chain (DESIGN §5): the obligation stays open and its
    no-completion chain goes on until it is completed."""
    case = get_case(session, case_id)
    obligation = _to_acknowledge(session, case_id, obligation_key)
    obligation.acked_at, obligation.acked_by = at, actor
    name = who(session, actor)
    case.updated_at = at
    session.add_all([obligation, case])
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.ACKNOWLEDGED,
        at=at,
        actor=actor,
        message=f"{name} 签收：{obligation.title}（不再发未签收提醒；完成前仍按时限催办）",
        data={"obligation": obligation.key},
    )
    return Change(
        case_id,
        f"已签收：案件 {case_id} · {obligation.title}（{name}），完成前仍按时限催办",
        {"case_id": case_id, "obligation": obligation.key, "acked_by": actor, "acked_at": at},
        obligation_key=obligation.key,
    )


def _to_acknowledge(session: Session, case_id: int, key: str | None) -> Obligation:
    """The obligation named (open, not yet acknowledged), else the unacknowledged one due first."""
    if key is not None:
        obligation = find_obligation(session, case_id=case_id, key=key)
        require_open(obligation)
        if obligation.acked_at is not None:
            raise CaseError(
                f"事项“{obligation.title}”已由 {who(session, obligation.acked_by)} 签收"
            )
        return obligation
    query = select(Obligation).where(
        Obligation.case_id == case_id,
        Obligation.status == ObligationStatus.OPEN,
        col(Obligation.acked_at).is_(None),
    )
    found = session.exec(query.order_by(col(Obligation.due_at))).first()
    if found is None:
        raise CaseError(f"案件 {case_id} 没有待签收的事项")
    return found


def complete(
    session: Session,
    *,
    case_id: int,
    obligation_key: str,
    actor: str,
    at: datetime,
    form: Mapping[str, str],
    policy: Policy,
    calendar: WorkCalendar,
) -> Change:
    """完成: stops both chains. When the rule's `closed_by` event is legal from the case's stage
    it is applied (the stage moves, the next obligations open, the people it concerns are told);
    else only this one completes. A statement is approved, never completed by hand."""
    case = get_case(session, case_id)
    obligation = find_obligation(session, case_id=case_id, key=obligation_key)
    require_open(obligation)
    rule = _completable(policy, case, obligation)
    fields = completion_fields(rule)
    values = validated(fields, form)
    title, old_stage, name = obligation.title, case.stage, who(session, actor)
    shown = "；".join(f"{f.label}：{values[f.name]}" for f in fields if f.name in values)
    if values:
        _record_result(
            session, obligation, values, f"{name} 提交{title}结果：{shown}", actor=actor, at=at
        )
    m = Move(session, case_id, actor, at, policy, calendar)
    notices = _move_on(m, case, obligation, rule.closed_by, (f"{title}：{shown}",) if shown else ())
    settle(
        session,
        case_id=case_id,
        keys=[obligation_key],
        status=ObligationStatus.COMPLETED,
        actor=actor,
        at=at,
    )
    return _completed(m, obligation_key, f"{title}（{name}）", old_stage, values, notices)


def _completable(policy: Policy, case: Case, obligation: Obligation) -> ObligationRule:
    """The obligation's rule; a statement is approved, never completed by hand."""
    rule = policy.rule_any_grade(case.grade, obligation.key)
    if rule.closed_by is StageEvent.approve_statement:
        raise CaseError(
            f"{obligation.title}须经审定：先提交通稿，再由审批人同意",
            next_step=NextStep("draft", case.id),
        )
    return rule


def _completed(
    m: Move,
    key: str,
    what: str,
    old_stage: Stage,
    values: dict[str, str],
    notices: list[Notice],
) -> Change:
    """The change: what was completed by whom (`what`), and the stage it moved the case to."""
    stage = get_case(m.session, m.case_id).stage
    moved = ""
    if stage != old_stage:
        moved = f"，阶段 {STAGE_LABELS[old_stage]} → {STAGE_LABELS[stage]}"
    data = {"case_id": m.case_id, "obligation": key, "status": "completed"}
    return Change(
        m.case_id,
        f"已完成：案件 {m.case_id} · {what}{moved}",
        {**data, "stage": stage.value, "result": values},
        tuple(notices),
        key,
    )


def _record_result(
    session: Session,
    obligation: Obligation,
    values: dict[str, str],
    message: str,
    *,
    actor: str,
    at: datetime,
) -> None:
    """What the person submitted as the obligation's proof, on the timeline."""
    add_event(
        session,
        case_id=obligation.case_id,
        kind=EventKind.NOTE,
        at=at,
        actor=actor,
        message=message,
        data={"obligation": obligation.key, "result": values},
    )


def _move_on(
    m: Move, case: Case, obligation: Obligation, event: StageEvent | None, lines: tuple[str, ...]
) -> list[Notice]:
    """The rule's stage event, when it is legal now, with the notices the move causes. An added
    unit's own deadline never moves the case: the case's own one does."""
    own = is_instance(obligation.key) and obligation.assignee_id is not None
    if own or event is None or not is_legal(m.policy, case, event):
        return []
    return list(stage_change(m, event, lines=lines).notices)


def reassign(
    session: Session,
    *,
    case_id: int,
    obligation_key: str,
    actor: str,
    at: datetime,
    to_person: str,
    reason: str,
    tz_name: str,
) -> Change:
    """转办: the obligation goes to another person (who is told); its clock does not restart."""
    obligation = find_obligation(session, case_id=case_id, key=obligation_key)
    require_open(obligation)
    person = _new_assignee(session, obligation, to_person)
    previous, obligation.assignee_id = obligation.assignee_id, person.id
    session.add(obligation)
    due = deadline_text(obligation.due_at, ZoneInfo(tz_name))
    entry = add_event(
        session,
        case_id=case_id,
        kind=EventKind.REASSIGNED,
        at=at,
        actor=actor,
        message=f"{who(session, actor)} 转办：{obligation.title} → {person.name}，理由：{reason}"
        f"（时限不变，截止 {due}）",
        data={"obligation": obligation_key, "from": previous, "to": person.id},
    )
    session.flush()
    assert entry is not None and entry.id is not None
    headline = f"转办：{who(session, actor)} 转给 {person.name}，理由：{reason}"
    return Change(
        case_id,
        f"已转办：案件 {case_id} · {obligation.title} → {person.name}（截止 {due} 不变）",
        {"case_id": case_id, "obligation": obligation_key, "assignee": person.id},
        (_handed_over(obligation, person.id, entry.id, headline, at=at),),
        obligation_key,
    )


def _new_assignee(session: Session, obligation: Obligation, to_person: str) -> Person:
    person = find_person(session, to_person)
    if person is None:
        raise CaseError(f"字段 to_person（转办给）：未知人员 {to_person!r}，请填写人员编号")
    if obligation.assignee_id == person.id:
        raise CaseError(f"事项 {obligation.key!r} 已转办给 {person.name}，无需重复转办")
    return person


def _handed_over(
    obligation: Obligation, person_id: str, entry_id: int, headline: str, *, at: datetime
) -> Notice:
    """The new holder's alert: a reminder before the deadline, the lapse after it."""
    return Notice(
        kind=NoticeKind.REMINDER if at < obligation.due_at else NoticeKind.LAPSE,
        occasion=f"reassign@{entry_id}",
        headline=headline,
        case_id=obligation.case_id,
        people=(person_id,),
        obligation_id=obligation.id,
        chain=Chain.REMINDER if at < obligation.due_at else Chain.NO_COMPLETION,
        level=obligation.level,
        late_by=at - obligation.due_at,
        links=ALERT_LINKS,
        link_subject=obligation.key,
        sort_at=obligation.due_at.isoformat(),
    )
