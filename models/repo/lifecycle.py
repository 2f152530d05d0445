"""Moving a case through its lifecycle in the database, and what each move must tell.

`advance` applies a stage event (the policy engine's `apply_event` says what it means; this
performs it with compare-and-set on the stage): the new stage on the record, the obligations it
satisfies completed, those it cancels cancelled, those it starts opened from their anchor.
`stage_notices` says who must hear of it: the quick report (快报, with its mandated fields) to the
grade's report targets, the contact sheet (联系单) to each responsible unit's person and liaison
with their deadline and links, any other stage to the watchers the policy names. `regrade`
changes the grade: open deadlines only ever shorten, the old → new diff goes on the timeline,
rules new to the grade open from their own anchor, and an upgrade tells the chain's first level.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.policy import (
    DueTime,
    IllegalTransition,
    OpenObligation,
    Policy,
    StageEvent,
    Transition,
    WorkCalendar,
    apply_event,
    decide_regrade,
    plan_regrade,
)
from models.policy.catalogue import ALERT_LINKS
from models.policy.notices import Notice, NoticeKind
from models.policy.policy import base_key
from models.policy.stages import STAGE_LABELS, Stage
from models.policy.states import CATEGORY_LABELS, Category, EventKind, ObligationStatus
from models.policy.wording import deadline_text
from models.repo.cases import CaseError, add_event, case_items, get_case, open_obligation, who
from models.repo.reported import report_rules_open
from models.repo.rerun import open_missing
from models.repo.stuck import load_states
from models.store.tables import Case, Obligation, Unit


def advance(
    session: Session,
    *,
    case_id: int,
    event: StageEvent | str,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> tuple[Transition, int]:
    """Apply a stage event: new stage, obligations opened, satisfied and cancelled, on record.
    Returns the transition and the id of its timeline entry (what its notices are keyed by)."""
    case = get_case(session, case_id)
    transition = apply_event(
        case.stage, event, at=at, policy=policy, grade=case.grade, closed_at=case.closed_at
    )
    moved = session.execute(
        update(Case)
        .where(col(Case.id) == case_id, col(Case.stage) == case.stage.value)
        .values(
            stage=transition.to_stage.value,
            updated_at=at,
            closed_at=_closed_at(transition, case.closed_at),
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise CaseError(f"案件 {case_id} 的阶段已被他人更改，请刷新后重试 (stage changed)")
    session.expire(case)
    old, new = STAGE_LABELS[transition.from_stage], STAGE_LABELS[transition.to_stage]
    entry = add_event(
        session,
        case_id=case_id,
        kind=EventKind.STAGE_CHANGED,
        at=at,
        actor=actor,
        message=f"{who(session, actor)}：阶段 {old} → {new}",
        data={
            "from": transition.from_stage.value,
            "to": transition.to_stage.value,
            "event": transition.event.value,
        },
    )
    settle(
        session,
        case_id=case_id,
        keys=transition.obligations_to_close,
        status=ObligationStatus.COMPLETED,
        actor=actor,
        at=at,
    )
    settle(
        session,
        case_id=case_id,
        keys=transition.obligations_to_cancel,
        status=ObligationStatus.CANCELLED,
        actor=actor,
        at=at,
    )
    existing = {o.key for o in _obligations(session, case_id)}
    tz = ZoneInfo(policy.timezone)
    for key in transition.obligations_to_open:
        if key not in existing:
            open_obligation(
                session,
                case=get_case(session, case_id),
                rule_key=key,
                policy=policy,
                anchor_at=at,
                calendar=calendar,
                tz=tz,
            )
    session.flush()
    assert entry is not None and entry.id is not None
    return transition, entry.id


def is_legal(policy: Policy, case: Case, event: StageEvent) -> bool:
    """Whether the case's template lets `event` happen in its current stage."""
    try:
        policy.template.target(case.stage, event)
    except IllegalTransition:
        return False
    return True


def _closed_at(transition: Transition, current: datetime | None) -> datetime | None:
    """Closing stamps the time; reopening clears it, so the case is listed as open again."""
    if transition.to_stage is Stage.closed:
        return transition.at
    return None if transition.event is StageEvent.reopen else current


def _obligations(session: Session, case_id: int) -> Sequence[Obligation]:
    return session.exec(select(Obligation).where(Obligation.case_id == case_id)).all()


def settle(
    session: Session,
    *,
    case_id: int,
    keys: Sequence[str],
    status: ObligationStatus,
    actor: str,
    at: datetime,
) -> None:
    """Complete or cancel the open ones among `keys`, each on the timeline."""
    verb = "完成" if status == ObligationStatus.COMPLETED else "取消"
    for obligation in _obligations(session, case_id):
        if not _among(obligation, keys) or obligation.status != ObligationStatus.OPEN:
            continue
        obligation.status, obligation.next_check_at = status, None
        if status == ObligationStatus.COMPLETED:
            obligation.completed_at, obligation.completed_by = at, actor
        session.add(obligation)
        add_event(
            session,
            case_id=case_id,
            kind=EventKind.COMPLETED,
            at=at,
            actor=actor,
            message=f"{verb}：{obligation.title}",
            data={"obligation": obligation.key, "status": status.value},
        )


def _among(obligation: Obligation, keys: Sequence[str]) -> bool:
    """`keys` name it, or its rule when it is a further instance no unit holds of its own (a
    redo after a stage moved back: met by the same event; an added unit's is its own)."""
    if obligation.key in keys:
        return True
    return obligation.assignee_id is None and base_key(obligation.key) in keys


def cancel_open(
    session: Session, *, case_id: int, actor: str, at: datetime, keep: Sequence[str] = ()
) -> list[str]:
    """Cancel every still-open obligation of the case except `keep` (closing a case ends the
    chase of what was left undone); returns the cancelled keys."""
    keys = [
        o.key
        for o in _obligations(session, case_id)
        if o.status == ObligationStatus.OPEN and o.key not in keep
    ]
    settle(
        session, case_id=case_id, keys=keys, status=ObligationStatus.CANCELLED, actor=actor, at=at
    )
    return keys


# --- who hears of a stage change ------------------------------------------------------------


def stage_notices(
    session: Session,
    *,
    case_id: int,
    transition: Transition,
    event_id: int,
    actor: str,
    policy: Policy,
    lines: Sequence[str] = (),
) -> list[Notice]:
    """The notice a stage change causes, to the roles the policy names for the event and grade:
    the quick report's fields for `report`, the contact sheet (deadlines and links) for
    `dispatch`, the change itself otherwise."""
    case = get_case(session, case_id)
    event, occasion = transition.event, f"{transition.event.value}@{event_id}"
    roles = transition.notifications
    if event is StageEvent.report:
        return [
            Notice(
                kind=NoticeKind.QUICK_REPORT,
                occasion=occasion,
                headline=f"舆情快报（{who(session, actor)} 报送）",
                case_id=case_id,
                roles=roles,
                lines=(*quick_report_lines(session, case, policy), *lines),
                extra={"reporter": actor},  # the quick-report document's 报送人
            )
        ]
    if event is StageEvent.dispatch:
        tz = ZoneInfo(policy.timezone)
        return [contact_sheet(session, case, roles=roles, occasion=occasion, lines=lines, tz=tz)]
    old, new = STAGE_LABELS[transition.from_stage], STAGE_LABELS[transition.to_stage]
    return [
        Notice(
            kind=NoticeKind.STAGE,
            occasion=occasion,
            headline=f"阶段变更：{old} → {new}（{who(session, actor)}）",
            case_id=case_id,
            roles=roles,
            lines=tuple(lines),
        )
    ]


def quick_report_lines(session: Session, case: Case, policy: Policy) -> tuple[str, ...]:
    """The quick report's mandated fields (seeds-spec §7.1; S1-4 §13): site, item, gist of the
    comments, source and link, category, grade, when it was found."""
    assert case.id is not None
    items = case_items(session, case.id)
    first = items[0] if items else None
    tz = ZoneInfo(policy.timezone)
    category = CATEGORY_LABELS.get(Category(case.category), case.category) if case.category else ""
    return (
        f"网站：{first.site or '（人工登记）' if first else '（人工登记）'}",
        f"舆情信息：{first.title if first else case.title}",
        f"网友留言要点：{(first.summary if first else '')[:200] or '（无）'}",
        f"来源链接：{first.url if first else '（无）'}",
        f"类别：{category or '待研判'}",
        f"等级：{policy.scheme.level(case.grade).label}",
        f"发现时间：{case.discovered_at.astimezone(tz):%Y-%m-%d %H:%M}",
        f"相关信息 {len(items)} 条",
    )


def contact_sheet(
    session: Session,
    case: Case,
    *,
    roles: Sequence[str],
    occasion: str,
    lines: Sequence[str],
    tz: ZoneInfo,
) -> Notice:
    """联系单: the case, its items and gist, the unit's deadlines, and links bound to the unit's
    first obligation (签收, 完成 its verification, 申请延期…)."""
    assert case.id is not None
    units = [session.get(Unit, u) for u in case.units]
    names = "、".join(u.name for u in units if u is not None)
    lead = session.get(Unit, case.lead_unit_id) if case.lead_unit_id else None
    items = case_items(session, case.id)
    owned = [
        o
        for o in _obligations(session, case.id)
        if o.status == ObligationStatus.OPEN and o.owner_role == "unit_responsible"
    ]
    owned.sort(key=lambda o: o.due_at)
    deadlines = [f"{o.title}：截止 {deadline_text(o.due_at, tz)}" for o in owned]
    return Notice(
        kind=NoticeKind.CONTACT_SHEET,
        occasion=occasion,
        headline="网络舆情联系单：请核查并按时反馈",
        case_id=case.id,
        roles=tuple(roles),
        lines=(
            f"责任单位：{names or '（未指定）'}"
            + (f"（牵头：{lead.name}）" if lead and len(units) > 1 else ""),
            *(f"舆情信息：{i.title} {i.url}" for i in items[:5]),
            f"要点：{(items[0].summary if items else case.title)[:200]}",
            *deadlines,
            *lines,
        ),
        links=ALERT_LINKS if owned else (),
        link_subject=owned[0].key if owned else None,
        obligation_id=owned[0].id if owned else None,
        extra={
            "command": f"yuqing case complete {case.id} --obligation "
            + (owned[0].key if owned else "verification")
            + " --result 核查结果 --by {person}"
        },
    )


# --- grade ---------------------------------------------------------------------------------


def regrade(
    session: Session,
    *,
    case_id: int,
    grade: str,
    actor: str | None,
    reason: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    approver: str | None = None,
) -> tuple[list[str], list[Notice]]:
    """Change the grade: upgrades freely (automatic when `actor` is None), downgrades only with
    an actor, a reason and an approver. Deadlines become min(current, anchor + new duration).
    Returns the keys of the deadlines that moved, and for an upgrade the notice to the chain's
    first level."""
    case = get_case(session, case_id)
    decision = decide_regrade(
        policy.scheme, case.grade, grade, actor=actor, reason=reason, approver=approver
    )
    obligations = _obligations(session, case_id)
    open_ones = tuple(
        OpenObligation(key=o.key, anchor_at=o.anchor_at, due=DueTime(o.due_at, o.provisional))
        for o in obligations
        if o.status == ObligationStatus.OPEN
    )
    plan = plan_regrade(
        policy,
        case.grade,
        grade,
        open_ones,
        calendar=calendar,
        known_keys=frozenset(o.key for o in obligations),
    )
    by_key = {o.key: o for o in obligations}
    tz = ZoneInfo(policy.timezone)
    diff, moved = [], []
    for change in plan.changes:
        if change.new.at < change.old.at:
            obligation = by_key[change.key]
            obligation.due_at, obligation.provisional = change.new.at, change.new.provisional
            if obligation.level == 0:  # not yet lapsed: the next check is the new due time
                obligation.next_check_at = change.new.at
            session.add(obligation)
            moved.append(change.key)
            diff.append(
                f"{obligation.title} {change.old.at.astimezone(tz):%m-%d %H:%M} → "
                f"{change.new.at.astimezone(tz):%m-%d %H:%M}"
            )
    renamed = retitle(obligations, policy, grade)
    old_label, new_label = (policy.scheme.level(g).label for g in (case.grade, grade))
    upgraded = policy.scheme.level(grade).rank < policy.scheme.level(case.grade).rank
    case.grade, case.updated_at = decision.to_grade, at
    session.add(case)
    name = who(session, actor) if actor else "系统（指标越档自动升级）"
    shift = "；时限调整：" + "，".join(diff) if diff else "；时限无需调整"
    shift += "；事项按新等级：" + "，".join(renamed) if renamed else ""
    entry = add_event(
        session,
        case_id=case_id,
        kind=EventKind.GRADE_CHANGED,
        at=at,
        actor=actor or "system",
        message=f"{name}：等级 {old_label} → {new_label}，理由：{reason}{shift}",
        data={
            "from": plan.from_grade,
            "to": plan.to_grade,
            "reason": reason,
            "approver": approver,
            "moved": [
                {"obligation": c.key, "old": c.old.at.isoformat(), "new": c.new.at.isoformat()}
                for c in plan.changes
                if c.new.at < c.old.at
            ],
        },
    )
    # Rules new to the grade count from their own anchor when it has already happened
    # (registration, or the stage event that sets it); later anchors open them when they come.
    session.flush()
    (state,) = load_states(session, [case_id])
    open_missing(session, state, policy=policy, calendar=calendar)
    if not upgraded:
        return moved, []
    owed = report_rules_open(
        session,
        case_id=case_id,
        old_label=old_label,
        new_grade=grade,
        at=at,
        policy=policy,
        calendar=calendar,
    )
    assert entry is not None and entry.id is not None
    owner = next(
        (o.owner_role for o in sorted(open_ones_of(session, case_id), key=lambda o: o.due_at)),
        "office_staff",
    )
    notice = Notice(
        kind=NoticeKind.STAGE,
        occasion=f"upgrade@{entry.id}",
        headline="等级上调",
        case_id=case_id,
        roles=policy.chain[0].recipients(owner) if policy.chain else (),
        lines=(
            f"{old_label} → {new_label}（{name}），理由：{reason}",
            "相关时限已按新等级缩短" + (f"：{'，'.join(diff)}" if diff else ""),
            *(f"须向新等级的报送对象续报：{title}" for title in owed),
        ),
    )
    return moved, [notice]


def retitle(obligations: Sequence[Obligation], policy: Policy, grade: str) -> list[str]:
    """Open obligations take the new grade's title and owner where its rule differs (S1-18:
    a 一般 case's 报分管领导 becomes 通知发生责任单位 at 重特大); the changes, for the timeline."""
    rules = {rule.key: rule for rule in policy.obligations_for(grade)}
    changed = []
    for obligation in obligations:
        rule = rules.get(obligation.key)
        if obligation.status != ObligationStatus.OPEN or rule is None:
            continue
        if (obligation.title, obligation.owner_role) != (rule.title, rule.owner_role):
            changed.append(f"“{obligation.title}”改为“{rule.title}”")
            obligation.title, obligation.owner_role = rule.title, rule.owner_role
    return changed


def open_ones_of(session: Session, case_id: int) -> list[Obligation]:
    query = select(Obligation).where(
        Obligation.case_id == case_id, Obligation.status == ObligationStatus.OPEN
    )
    return list(session.exec(query.order_by(col(Obligation.due_at))).all())
