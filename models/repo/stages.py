"""A person's actions that carry a case through its stages (DESIGN §2): 快报 report,
研判 assess (grade, category, responsible units), 下发联系单 dispatch, 核查 verify,
回应发布 respond, 跟踪 track, 办结 close (with an outcome, opening aftercare), 重新打开 reopen,
总结评估 review (filing the case in the case library), 移送 refer (an outcome, not a stage), and
升级 upgrade. Each checks what the
person gave (refusals name the field), applies the stage event, and returns a `Change` with the
notices the policy names for it. Statements go through `models.repo.approvals`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from models.policy import Policy, StageEvent, WorkCalendar
from models.policy.catalogue import spec
from models.policy.forms import validated
from models.policy.notices import Notice, NoticeKind
from models.policy.stages import STAGE_LABELS
from models.policy.states import (
    OUTCOME_LABELS,
    REFERRAL_LABELS,
    Category,
    EventKind,
    Outcome,
    ReferralBody,
)
from models.repo.cases import CaseError, add_event, get_case, who
from models.repo.changes import Change
from models.repo.directory import internal_unit
from models.repo.lifecycle import advance, cancel_open
from models.repo.regrade import regrade
from models.repo.stage_notices import stage_notices
from models.store.tables import CaseReview, Referral

REFERRAL_WATCHERS = ("office_head", "leader_in_charge")


def _stage_change(
    session: Session,
    case_id: int,
    event: StageEvent,
    *,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    lines: Sequence[str] = (),
    data: dict[str, object] | None = None,
) -> Change:
    """Apply `event` and answer with the change and its notices."""
    transition, entry = advance(
        session, case_id=case_id, event=event, actor=actor, at=at, policy=policy, calendar=calendar
    )
    notices = stage_notices(
        session,
        case_id=case_id,
        transition=transition,
        event_id=entry,
        actor=actor,
        policy=policy,
        lines=lines,
    )
    old, new = STAGE_LABELS[transition.from_stage], STAGE_LABELS[transition.to_stage]
    return Change(
        case_id,
        f"案件 {case_id}：{old} → {new}（{who(session, actor)}）",
        {"case_id": case_id, "stage": transition.to_stage.value, **(data or {})},
        tuple(notices),
    )


def report(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    text: str = "",
    units: Sequence[str] = (),
) -> Change:
    """快报: the quick report goes to the grade's report targets, with its mandated fields; the
    unit where it happened, when named, is told too where the policy says so (S1-18)."""
    if units:
        case = get_case(session, case_id)
        case.units = _units(session, units, None)
        case.lead_unit_id = case.units[0]
        session.add(case)
    lines = (f"报送说明：{text.strip()}",) if text.strip() else ()
    return _stage_change(
        session,
        case_id,
        StageEvent.report,
        actor=actor,
        at=at,
        policy=policy,
        calendar=calendar,
        lines=lines,
    )


def _units(session: Session, units: Sequence[str], lead: str | None) -> list[str]:
    """The responsible units, the lead unit first; each must be a unit of the organisation."""
    chosen = list(dict.fromkeys(u.strip() for u in units if u.strip()))
    if not chosen:
        raise CaseError("缺少字段 units（责任单位）：至少指定一个责任单位")
    for unit in chosen:
        if internal_unit(session, unit) is None:
            raise CaseError(f"字段 units（责任单位）：{unit!r} 不是本系统登记的单位")
    if lead:
        if lead not in chosen:
            raise CaseError(f"字段 lead（牵头单位）：{lead!r} 须是责任单位之一")
        chosen.remove(lead)
        chosen.insert(0, lead)
    return chosen


def assess(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    grade: str,
    category: str,
    units: Sequence[str],
    lead: str | None = None,
    note: str = "",
) -> Change:
    """研判: confirm the grade (an upgrade moves the deadlines; a lower grade is a downgrade and
    needs an approver), the content category, and the responsible units (the lead unit first)."""
    case = get_case(session, case_id)
    try:
        Category(category)
    except ValueError:
        allowed = "、".join(c.value for c in Category)
        raise CaseError(f"字段 category（类别）：未知类别 {category!r}，可用：{allowed}") from None
    wanted, current = policy.scheme.level(grade), policy.scheme.level(case.grade)
    if wanted.rank > current.rank:
        raise CaseError(
            f"字段 grade（确认等级）：{wanted.label} 低于当前等级 {current.label}；"
            f"降级须申请并经审批：yuqing case downgrade {case_id} --grade {wanted.label}"
        )
    chosen = _units(session, units, lead)
    notices: list[Notice] = []
    if wanted.rank < current.rank:
        _, upgraded = regrade(
            session,
            case_id=case_id,
            grade=wanted.id,
            actor=actor,
            reason=f"研判确认为{wanted.label}",
            at=at,
            policy=policy,
            calendar=calendar,
        )
        notices += upgraded
    case = get_case(session, case_id)
    case.category, case.units, case.lead_unit_id = category, chosen, chosen[0]
    session.add(case)
    lines = [f"确认等级：{wanted.label}", f"类别：{category}", f"责任单位：{'、'.join(chosen)}"]
    if note.strip():
        lines.append(f"研判意见：{note.strip()}")
    change = _stage_change(
        session,
        case_id,
        StageEvent.assess,
        actor=actor,
        at=at,
        policy=policy,
        calendar=calendar,
        lines=lines,
        data={"grade": wanted.id, "category": category, "units": chosen, "lead": chosen[0]},
    )
    return Change(change.case_id, change.message, change.data, (*notices, *change.notices))


def dispatch(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    units: Sequence[str] = (),
    lead: str | None = None,
) -> Change:
    """下发联系单: the contact sheet goes to each responsible unit's person and liaison; their
    deadlines start (the sheet counts as received when yuqing delivers it)."""
    case = get_case(session, case_id)
    if units:
        chosen = _units(session, units, lead)
        case.units, case.lead_unit_id = chosen, chosen[0]
        session.add(case)
    elif not case.units:
        raise CaseError("缺少字段 units（责任单位）：研判时未指定责任单位，请用 --unit 指定")
    return _stage_change(
        session,
        case_id,
        StageEvent.dispatch,
        actor=actor,
        at=at,
        policy=policy,
        calendar=calendar,
        data={"units": list(case.units)},
    )


def verify(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    result: str,
) -> Change:
    """核查: the unit's verification result, on the record; what it satisfies completes."""
    values = validated(spec("verify").fields, {"result": result})
    _note(session, case_id, actor, at, f"核查结果：{values['result']}", values)
    return _stage_change(
        session,
        case_id,
        StageEvent.verify,
        actor=actor,
        at=at,
        policy=policy,
        calendar=calendar,
        lines=(f"核查结果：{values['result']}",),
    )


def respond(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    url: str,
    text: str = "",
) -> Change:
    """回应发布: the public reply's link (and text), on the record."""
    values = validated(spec("respond").fields, {"url": url, "text": text})
    lines = [f"回应链接：{values['url']}"] + (
        [f"回应内容：{values['text']}"] if "text" in values else []
    )
    _note(session, case_id, actor, at, "；".join(lines), values)
    return _stage_change(
        session,
        case_id,
        StageEvent.respond,
        actor=actor,
        at=at,
        policy=policy,
        calendar=calendar,
        lines=lines,
        data={"url": values["url"]},
    )


def track(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    note: str = "",
) -> Change:
    """跟踪: monitoring goes on (metrics keep snapshotting; an upgrade still works)."""
    lines = (f"跟踪说明：{note.strip()}",) if note.strip() else ()
    return _stage_change(
        session,
        case_id,
        StageEvent.track,
        actor=actor,
        at=at,
        policy=policy,
        calendar=calendar,
        lines=lines,
    )


def close(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    outcome: str,
    reason: str,
) -> Change:
    """办结: with an outcome (平息, 消除, 趋于平稳, 按期办结) and a reason; what is still open is
    cancelled (a closed case is chased no more), the review starts counting, and aftercare
    opens: new matching items reopen the case within the window."""
    values = validated(spec("close").fields, {"outcome": outcome, "reason": reason})
    case = get_case(session, case_id)
    if case.closed_at is not None:
        raise CaseError(f"案件 {case_id} 已办结")
    label = OUTCOME_LABELS[Outcome(values["outcome"])]
    transition, entry = advance(
        session,
        case_id=case_id,
        event=StageEvent.close,
        actor=actor,
        at=at,
        policy=policy,
        calendar=calendar,
    )
    cancelled = cancel_open(
        session, case_id=case_id, actor=actor, at=at, keep=transition.obligations_to_open
    )
    case = get_case(session, case_id)
    case.outcome = values["outcome"]
    session.add(case)
    _note(session, case_id, actor, at, f"办结（{label}）：{values['reason']}", values)
    notices = stage_notices(
        session,
        case_id=case_id,
        transition=transition,
        event_id=entry,
        actor=actor,
        policy=policy,
        lines=(f"办结结果：{label}", f"办结说明：{values['reason']}"),
    )
    return Change(
        case_id,
        f"已办结：案件 {case_id}（{label}）",
        {
            "case_id": case_id,
            "stage": transition.to_stage.value,
            "outcome": values["outcome"],
            "cancelled": cancelled,
        },
        tuple(notices),
    )


def reopen(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    reason: str,
) -> Change:
    """重新打开: a closed case returns to tracking within the aftercare window."""
    values = validated(spec("reopen").fields, {"reason": reason})
    if get_case(session, case_id).closed_at is None:
        raise CaseError(f"案件 {case_id} 未办结，无需重新打开")
    change = _stage_change(
        session,
        case_id,
        StageEvent.reopen,
        actor=actor,
        at=at,
        policy=policy,
        calendar=calendar,
        lines=(f"理由：{values['reason']}",),
    )
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.REOPENED,
        at=at,
        actor=actor,
        message=f"{who(session, actor)} 重新打开案件，理由：{values['reason']}",
        data={"reason": values["reason"]},
    )
    return change


def review(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    summary: str,
    cause: str,
    lessons: str,
) -> Change:
    """总结评估: the summary, the cause and the lessons file the case in the case library."""
    form = {"summary": summary, "cause": cause, "lessons": lessons}
    values = validated(spec("review").fields, form)
    change = _stage_change(
        session,
        case_id,
        StageEvent.review,
        actor=actor,
        at=at,
        policy=policy,
        calendar=calendar,
        lines=(f"总结：{values['summary'][:200]}",),
    )
    session.add(
        CaseReview(
            case_id=case_id,
            summary=values["summary"],
            cause=values["cause"],
            lessons=values["lessons"],
            reviewed_by=actor,
            at=at,
        )
    )
    _note(session, case_id, actor, at, "总结评估已归入案例库", values)
    return change


def refer(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    to: str,
    note: str,
) -> Change:
    """移送: the case referred to an outside body, recorded as an outcome (seeds-spec §5)."""
    values = validated(spec("refer").fields, {"to": to, "note": note})
    case = get_case(session, case_id)
    label = REFERRAL_LABELS[ReferralBody(values["to"])]
    session.add(
        Referral(case_id=case_id, body=values["to"], note=values["note"], referred_by=actor, at=at)
    )
    entry = add_event(
        session,
        case_id=case_id,
        kind=EventKind.REFERRED,
        at=at,
        actor=actor,
        message=f"{who(session, actor)} 移送{label}：{values['note']}",
        data={"to": values["to"], "note": values["note"]},
    )
    session.flush()
    assert entry is not None and entry.id is not None
    notice = Notice(
        kind=NoticeKind.REFERRAL,
        occasion=f"refer@{entry.id}",
        headline=f"案件已移送{label}（{who(session, actor)}）",
        case_id=case_id,
        roles=REFERRAL_WATCHERS,
        lines=(f"移送说明：{values['note']}",),
    )
    return Change(
        case_id,
        f"已移送：案件 {case_id} → {label}",
        {"case_id": case_id, "to": values["to"], "stage": case.stage.value},
        (notice,),
    )


def upgrade(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    reason: str,
    grade: str | None = None,
) -> Change:
    """升级 (None: one grade up): open deadlines shorten and the chain's first level is told."""
    values = validated(spec("upgrade").fields, {"reason": reason, "grade": grade or ""})
    case = get_case(session, case_id)
    target = regrade_target(policy, case.grade, values.get("grade"), up=True)
    old = policy.scheme.level(case.grade).label
    moved, notices = regrade(
        session,
        case_id=case_id,
        grade=target,
        actor=actor,
        reason=values["reason"],
        at=at,
        policy=policy,
        calendar=calendar,
    )
    new = policy.scheme.level(target).label
    return Change(
        case_id,
        f"已调整等级：案件 {case_id} {old} → {new}（{len(moved)} 项时限缩短）",
        {
            "case_id": case_id,
            "from": policy.scheme.level(old).id,
            "to": target,
            "grade_label": new,
            "moved": moved,
        },
        tuple(notices),
    )


def regrade_target(policy: Policy, current: str, grade: str | None, *, up: bool) -> str:
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


def _note(
    session: Session, case_id: int, actor: str, at: datetime, text: str, data: dict[str, str]
) -> None:
    get_case(session, case_id)  # an unknown case is refused, not noted
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.NOTE,
        at=at,
        actor=actor,
        message=f"{who(session, actor)} {text}",
        data=dict(data),
    )
