"""Escalation in the database: what the sweep does to each due obligation and to each alert left
unacknowledged, and 上报 (a person climbing the chain now). Each records the lapse on the case
timeline, writes the accountability record of a lapse (evidence for people to judge, never a
verdict), moves the obligation's level with compare-and-set (two sweepers never fire a level
twice; PostgreSQL also skips rows another sweeper holds locked), and returns the notices the
change causes; it never queues or sends. When a level fires and who is on it is pure policy
(`models.policy.escalation`, `models.policy.routing`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, insert, literal, or_, true, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.catalogue import ALERT_LINKS
from models.policy.escalation import (
    LapseStep,
    ObligationPlan,
    QuietHours,
    escalation_times,
    plan_obligation,
    quiet_until,
    reminder_at,
)
from models.policy.notices import Notice, NoticeKind
from models.policy.policy import EscalationRule
from models.policy.routing import NoAckStep, Routing, plan_no_ack
from models.policy.states import Chain, EventKind, ObligationStatus
from models.policy.wording import late_text
from models.repo.cases import CaseError, add_event, find_obligation, get_case, require_open, who
from models.repo.changes import Change
from models.repo.directory import Directory, load_directory
from models.store.tables import (
    AccountabilityRecord,
    Case,
    CaseEvent,
    Notification,
    Obligation,
    Person,
)

OBLIGATIONS = Obligation.__table__  # type: ignore[attr-defined]

NO_ACK_LABELS = {1: "未签收：改用下一渠道", 2: "未签收：转代理人或值班领导"}


@dataclass
class Sweep:
    """What one sweep batch did, and what must be told (in the batch's own transaction)."""

    claimed: int = 0
    levels_fired: int = 0
    reminders: int = 0
    held: int = 0
    followed_up: int = 0  # unacknowledged alerts followed up
    notices: list[Notice] = field(default_factory=list)


def claim_due(session: Session, *, now: datetime, limit: int) -> Sequence[Obligation]:
    """Open obligations whose next check time has come, oldest first, locked for this sweep."""
    query = (
        select(Obligation)
        .where(Obligation.status == ObligationStatus.OPEN, col(Obligation.next_check_at) <= now)
        .order_by(col(Obligation.next_check_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


@dataclass(frozen=True)
class Move:
    """An obligation's chain moving from its current level to `to_level`, marking its reminder
    done at `reminded_at` when given."""

    obligation: Obligation
    to_level: int
    next_check_at: datetime | None
    reminded_at: datetime | None = None


MOVE_CHUNK = 300  # obligations per statement: well under both backends' parameter limits


def advance_levels(session: Session, moves: Sequence[Move]) -> set[int]:
    """Apply the moves with compare-and-set (the level it was read at, still open, the reminder
    not done yet when marking it), one statement per chunk; the ids of those moved. Someone else
    moved the rest first. The session's objects get the new values without another read."""
    moved: set[int] = set()
    for start in range(0, len(moves), MOVE_CHUNK):
        moved |= _advance_chunk(session, moves[start : start + MOVE_CHUNK])
    for move in moves:
        if move.obligation.id in moved:
            set_committed_value(move.obligation, "level", move.to_level)
            set_committed_value(move.obligation, "next_check_at", move.next_check_at)
            if move.reminded_at is not None:
                set_committed_value(move.obligation, "reminded_at", move.reminded_at)
    return moved


def _advance_chunk(session: Session, moves: Sequence[Move]) -> set[int]:
    by_id = {m.obligation.id: m for m in moves}
    marking = [i for i, m in by_id.items() if m.reminded_at is not None]
    o, stamp = OBLIGATIONS.c, OBLIGATIONS.c.next_check_at.type

    def per_row(values: dict[int | None, Any], otherwise: Any = None) -> Any:
        whens = {
            i: literal(v, stamp) if isinstance(v, datetime) or v is None else v
            for i, v in values.items()
        }
        return case(whens, value=o.id, else_=otherwise)

    reminder_free = or_(o.id.not_in(marking), o.reminded_at.is_(None)) if marking else true()
    statement = (
        update(OBLIGATIONS)
        .where(
            o.id.in_(list(by_id)),
            o.status == ObligationStatus.OPEN,
            o.level == case({i: m.obligation.level for i, m in by_id.items()}, value=o.id),
            reminder_free,
        )
        .values(
            level=case({i: m.to_level for i, m in by_id.items()}, value=o.id),
            next_check_at=per_row({i: m.next_check_at for i, m in by_id.items()}),
            reminded_at=per_row({i: by_id[i].reminded_at for i in marking}, o.reminded_at)
            if marking
            else o.reminded_at,
        )
        .returning(o.id)
    )
    return set(session.execute(statement).scalars())


# --- the no-completion chain -----------------------------------------------------------------


def escalate_due(
    session: Session,
    *,
    now: datetime,
    policy: Policy,
    routing: Routing,
    quiet: QuietHours | None,
    batch_size: int,
) -> Sweep:
    """Claim up to `batch_size` due obligations: fire their reminders and the chain levels that
    came due (a late sweep catches up on every one), or hold them through quiet hours.
    Set-based: the levels move in one statement, the timeline entries and the accountability
    records are inserted in one each."""
    sweep = Sweep()
    obligations = claim_due(session, now=now, limit=batch_size)
    sweep.claimed = len(obligations)
    if not obligations:
        return sweep
    case_ids = {o.case_id for o in obligations}
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(case_ids)))}
    directory = load_directory(session)
    planned: list[tuple[Case, Obligation, ObligationPlan]] = []
    records = _Records()
    for obligation in obligations:
        case = cases[obligation.case_id]
        plan = _plan(case, obligation, now, policy, quiet)
        if plan.held_until is not None:
            sweep.held += 1
            _hold(records, case, obligation, until=plan.held_until, now=now, tz=policy.timezone)
        elif not (plan.remind or plan.reminder_superseded or plan.steps):
            obligation.next_check_at = plan.next_check_at  # woken early: look again later
            session.add(obligation)
        else:
            planned.append((case, obligation, plan))
    moves = [
        Move(
            obligation,
            to_level=plan.steps[-1].level if plan.steps else obligation.level,
            next_check_at=plan.next_check_at,
            reminded_at=now if (plan.remind or plan.reminder_superseded) else None,
        )
        for _, obligation, plan in planned
    ]
    moved = advance_levels(session, moves)
    for case, obligation, plan in planned:
        if obligation.id not in moved:
            continue  # another sweeper fired it
        rule = policy.escalation_for(case.grade)
        if plan.remind:
            sweep.reminders += 1
            sweep.notices.append(_reminder(records, case, obligation, now, rule))
        for step in plan.steps:
            sweep.levels_fired += 1
            notice = _fire_level(records, case, obligation, step, now, policy, routing, directory)
            sweep.notices.append(notice)
    records.insert(session)
    return sweep


def _plan(
    case: Case, obligation: Obligation, now: datetime, policy: Policy, quiet: QuietHours | None
) -> ObligationPlan:
    grade = policy.scheme.level(case.grade).id
    return plan_obligation(
        anchor_at=obligation.anchor_at,
        due_at=obligation.due_at,
        fired_level=obligation.level,
        reminded=obligation.reminded_at is not None,
        rule=policy.escalation_for(case.grade),
        chain=policy.chain_for(grade, obligation.key),
        now=now,
        held_until=quiet_until(now, quiet, grade=grade, tz=ZoneInfo(policy.timezone)),
    )


@dataclass
class _Records:
    """What a sweep batch writes besides the levels: timeline entries and accountability
    records, in order, inserted together once the batch is planned."""

    events: list[dict[str, Any]] = field(default_factory=list)
    accountability: list[dict[str, Any]] = field(default_factory=list)

    def event(
        self, case_id: int | None, kind: EventKind, at: datetime, message: str, data: dict[str, Any]
    ) -> None:
        self.events.append(
            {
                "case_id": case_id,
                "at": at,
                "kind": kind,
                "actor": "system",
                "message": message,
                "data": data,
            }
        )

    def insert(self, session: Session) -> None:
        session.flush()  # whatever the session holds comes first on the timeline
        if self.events:
            session.execute(insert(CaseEvent.__table__), self.events)  # type: ignore[attr-defined]
        if self.accountability:
            table = AccountabilityRecord.__table__  # type: ignore[attr-defined]
            session.execute(insert(table), self.accountability)


def _reminder(
    records: _Records, case: Case, obligation: Obligation, now: datetime, rule: EscalationRule
) -> Notice:
    assert case.id is not None
    records.event(
        case.id,
        EventKind.REMINDER_DUE,
        now,
        f"{obligation.title}即将到期（截止前提醒）",
        {
            "obligation": obligation.key,
            "reminder_at": reminder_at(obligation.anchor_at, obligation.due_at, rule).isoformat(),
        },
    )
    return Notice(
        kind=NoticeKind.REMINDER,
        occasion=f"{Chain.REMINDER.value}0",
        headline="到期前提醒：责任人",
        case_id=case.id,
        roles=(obligation.owner_role,),
        obligation_id=obligation.id,
        chain=Chain.REMINDER,
        level=0,
        late_by=now - obligation.due_at,
        ack_window=rule.ack_window,
        links=ALERT_LINKS,
        link_subject=obligation.key,
        sort_at=obligation.due_at.isoformat(),
    )


def _hold(
    records: _Records,
    case: Case,
    obligation: Obligation,
    *,
    until: datetime,
    now: datetime,
    tz: str,
) -> None:
    obligation.next_check_at = until
    local = until.astimezone(ZoneInfo(tz)).strftime("%H:%M")
    records.event(
        case.id,
        EventKind.ESCALATION_HELD,
        now,
        f"{obligation.title}：静默时段，提醒延至 {local} 发出",
        {"obligation": obligation.key, "until": until.isoformat()},
    )


def level_roles(
    policy: Policy, routing: Routing, case: Case, obligation: Obligation, level: int
) -> tuple[str, ...]:
    """The roles a level of the obligation's chain reaches: the rung's (its owner in place of
    `owner`) and, for a dual-reporting grade, the second line's."""
    grade = policy.scheme.level(case.grade).id
    rung = policy.chain_level(level, policy.chain_for(grade, obligation.key))
    roles = rung.recipients(obligation.owner_role) + routing.second_roles(grade, level)
    return tuple(dict.fromkeys(roles))


def _fire_level(
    records: _Records,
    case: Case,
    obligation: Obligation,
    step: LapseStep,
    now: datetime,
    policy: Policy,
    routing: Routing,
    directory: Directory,
) -> Notice:
    assert case.id is not None and obligation.id is not None
    grade = policy.scheme.level(case.grade).id
    rung = policy.chain_level(step.level, policy.chain_for(grade, obligation.key))
    roles = level_roles(policy, routing, case, obligation, step.level)
    people = _people(directory, roles, case, obligation, routing, now)
    dual = "（双重报告）" if routing.second_roles(grade, step.level) else ""
    records.event(
        case.id,
        EventKind.DEADLINE_LAPSED,
        now,
        f"{obligation.title}{late_text(step.late_by)}：第{step.level}级催办"
        f"（{rung.label}）{dual}，通知 {len(people)} 人",
        {
            "obligation": obligation.key,
            "level": step.level,
            "late_seconds": int(step.late_by.total_seconds()),
            "recipients": people,
        },
    )
    if step.level == 1:
        owners = _people(directory, (obligation.owner_role,), case, obligation, routing, now)
        _account(records, case.id, obligation, step, owners, now)
    return Notice(
        kind=NoticeKind.LAPSE,
        occasion=f"{Chain.NO_COMPLETION.value}{step.level}",
        headline=rung.label,
        case_id=case.id,
        roles=roles,
        obligation_id=obligation.id,
        chain=Chain.NO_COMPLETION,
        level=step.level,
        late_by=step.late_by,
        ack_window=policy.escalation_for(case.grade).ack_window,
        links=ALERT_LINKS,
        link_subject=obligation.key,
        sort_at=step.due_at.isoformat(),
    )


def _people(
    directory: Directory,
    roles: Sequence[str],
    case: Case,
    obligation: Obligation,
    routing: Routing,
    now: datetime,
) -> list[str]:
    return directory.people(
        roles,
        units=case.units,
        shifts=routing.shifts,
        at=now,
        owner_role=obligation.owner_role,
        assignee=obligation.assignee_id,
    )


def _account(
    records: _Records,
    case_id: int,
    obligation: Obligation,
    step: LapseStep,
    responsible: list[str],
    now: datetime,
) -> None:
    """The accountability record of a lapse: evidence for people to judge, never a verdict."""
    assert obligation.id is not None
    records.accountability.append(
        {
            "case_id": case_id,
            "obligation_id": obligation.id,
            "obligation_title": obligation.title,
            "owner_role": obligation.owner_role,
            "responsible": responsible,
            "level": step.level,
            "due_at": obligation.due_at,
            "recorded_at": now,
            "late_seconds": int(step.late_by.total_seconds()),
        }
    )
    who = "、".join(responsible) or "未配置"
    records.event(
        case_id,
        EventKind.ACCOUNTABILITY,
        now,
        f"逾期记录（待人工研判）：{obligation.title}，责任人 {who}",
        {"obligation": obligation.key, "responsible": responsible},
    )


def accountability(
    session: Session, case_id: int
) -> list[tuple[AccountabilityRecord, datetime | None]]:
    """A case's accountability records, each with when the obligation was done (if it was)."""
    query = (
        select(AccountabilityRecord, Obligation.completed_at)
        .join(Obligation, col(Obligation.id) == AccountabilityRecord.obligation_id)
        .where(AccountabilityRecord.case_id == case_id)
        .order_by(col(AccountabilityRecord.id))
    )
    return [(record, done) for record, done in session.exec(query).all()]


# --- the no-acknowledgement chain --------------------------------------------------------------


def claim_unacked(session: Session, *, now: datetime, limit: int) -> Sequence[Notification]:
    query = (
        select(Notification)
        .where(col(Notification.ack_due_at) <= now)
        .order_by(col(Notification.ack_due_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


def _take(session: Session, notification_id: str) -> bool:
    result = session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.ack_due_at).is_not(None))
        .values(ack_due_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def escalate_unacked(
    session: Session, *, now: datetime, policy: Policy, routing: Routing, batch_size: int
) -> Sweep:
    """Follow up the alerts whose ack window has passed (DESIGN §5): the same person's next
    channel, then their deputy or the duty officer on duty. Claiming an alert clears its check
    with compare-and-set, so two sweepers never follow one up twice."""
    sweep = Sweep()
    rows = claim_unacked(session, now=now, limit=batch_size)
    sweep.claimed = len(rows)
    if not rows:
        return sweep
    duty = load_directory(session).holders(shifts=routing.shifts, at=now).get("duty_officer", [])
    channels_of = {p.id: list(p.channels) for p in session.exec(select(Person)).all()}
    for row in rows:
        alert = (row.id, row.recipient_id, row.channel, row.level, row.chain)
        if not _take(session, row.id) or row.obligation_id is None:
            continue
        obligation = session.get(Obligation, row.obligation_id)
        if obligation is None or obligation.acked_at is not None:
            continue
        if obligation.status != ObligationStatus.OPEN:
            continue
        person = session.get(Person, alert[1])
        steps = plan_no_ack(
            step_done=alert[3] if alert[4] == Chain.NO_ACK else 0,
            recipient=alert[1],
            channel=alert[2],
            channels_of=channels_of,
            deputy=person.deputy_id if person else None,
            duty=duty,
        )
        sweep.followed_up += 1
        sweep.notices += _follow_up(session, obligation, alert[0], steps, now=now, policy=policy)
    return sweep


def _follow_up(
    session: Session,
    obligation: Obligation,
    notification_id: str,
    steps: list[NoAckStep],
    *,
    now: datetime,
    policy: Policy,
) -> list[Notice]:
    case = get_case(session, obligation.case_id)
    assert case.id is not None
    rule = policy.escalation_for(case.grade)
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.ACK_OVERDUE,
        at=now,
        message=f"{obligation.title}：提醒超过签收时限未签收，"
        + ("转送 " + "、".join(s.recipient for s in steps) if steps else "已无可转送对象"),
        data={"notification": notification_id, "to": [s.recipient for s in steps]},
    )
    return [
        Notice(
            kind=NoticeKind.NO_ACK,
            occasion=f"{Chain.NO_ACK.value}{step.step}",
            headline=NO_ACK_LABELS[step.step],
            case_id=case.id,
            people=(step.recipient,),
            channel=step.channel,
            obligation_id=obligation.id,
            chain=Chain.NO_ACK,
            level=step.step,
            late_by=now - obligation.due_at,
            ack_window=rule.ack_window if step.step < 2 else None,
            links=ALERT_LINKS,
            link_subject=obligation.key,
            sort_at=obligation.due_at.isoformat(),
        )
        for step in steps
    ]


# --- 上报: a person climbs the chain now ------------------------------------------------------


def escalate_now(
    session: Session,
    *,
    case_id: int,
    obligation_key: str,
    actor: str,
    reason: str,
    at: datetime,
    policy: Policy,
    routing: Routing,
) -> Change:
    """上报: the obligation's chain climbs one level now, on the record; later levels keep their
    scheduled times; the level's people are told."""
    case = get_case(session, case_id)
    obligation = find_obligation(session, case_id=case_id, key=obligation_key)
    require_open(obligation)
    grade = policy.scheme.level(case.grade).id
    chain = policy.chain_for(grade, obligation.key)
    level = obligation.level + 1
    if level > max(rung.level for rung in chain):
        raise CaseError(f"事项 {obligation_key!r} 已到督办链最高级（第{obligation.level}级）")
    rung = policy.chain_level(level, chain)
    times = escalation_times(obligation.due_at, policy.escalation_for(grade), chain)
    next_check = next((t for r, t in times if r.level > level), None)
    marked = at if obligation.reminded_at is None else None  # the chain is past the reminder
    move = Move(obligation, to_level=level, next_check_at=next_check, reminded_at=marked)
    if not advance_levels(session, [move]):
        raise CaseError(f"事项 {obligation_key!r} 刚被他人催办或上报，请刷新后重试")
    roles = level_roles(policy, routing, case, obligation, level)
    people = _people(load_directory(session), roles, case, obligation, routing, at)
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.ESCALATED,
        at=at,
        actor=actor,
        message=f"{who(session, actor)} 上报：{obligation.title} 第{level}级（{rung.label}），"
        f"理由：{reason}，通知 {len(people)} 人",
        data={"obligation": obligation_key, "level": level, "recipients": people},
    )
    notice = Notice(
        kind=NoticeKind.LAPSE,
        occasion=f"{Chain.NO_COMPLETION.value}{level}",
        headline=f"{rung.label}（{who(session, actor)} 上报）",
        case_id=case_id,
        roles=roles,
        obligation_id=obligation.id,
        chain=Chain.NO_COMPLETION,
        level=level,
        late_by=at - obligation.due_at,
        ack_window=policy.escalation_for(grade).ack_window,
        links=ALERT_LINKS,
        link_subject=obligation.key,
        sort_at=obligation.due_at.isoformat(),
    )
    return Change(
        case_id,
        f"已上报：案件 {case_id} · {obligation.title} 第{level}级（{rung.label}）",
        {"case_id": case_id, "obligation": obligation_key, "level": level, "recipients": people},
        (notice,),
        obligation_key,
    )
