"""A person's actions that carry a case through its stages (DESIGN §2), as one table of verbs:
快报 report, 研判 assess (grade, category, responsible units), 下发联系单 dispatch, 核查 verify,
回应发布 respond, 跟踪 track, 重新打开 reopen, 总结评估 review (filing the case in the case
library). Each verb checks what the person gave (refusals name the field) and says what the move
says; `move` applies its stage event and returns a `Change` with the notices the policy names for
it. 办结 close is `models.repo.closing`, 移送 refer (an outcome, not a stage)
`models.repo.referral`, 升级 upgrade `models.repo.upgrade`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.policy import Policy, StageEvent, WorkCalendar
from models.policy.catalogue import spec
from models.policy.forms import validated
from models.policy.notices import Notice
from models.policy.stages import STAGE_LABELS
from models.policy.states import Category, EventKind
from models.repo.cases import CaseError, NextStep, add_event, get_case, who
from models.repo.changes import Change
from models.repo.directory import internal_unit
from models.repo.lifecycle import advance
from models.repo.regrade import regrade
from models.repo.stage_notices import stage_notices
from models.store.tables import CaseReview


@dataclass(frozen=True)
class Move:
    """Who moves which case, when, under which rules: what every stage verb is given."""

    session: Session
    case_id: int
    actor: str
    at: datetime
    policy: Policy
    calendar: WorkCalendar


@dataclass(frozen=True)
class Said:
    """What a verb says with its move: the notice's lines, the change's data, notices told
    before the move's own (an upgrade at 研判), and what is recorded after the move."""

    lines: Sequence[str] = ()
    data: dict[str, object] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    then: Callable[[], None] | None = None


@dataclass(frozen=True)
class Verb:
    event: StageEvent
    say: Callable[..., Said]  # (Move, the form's values by name) → what the move says


def move(
    session: Session,
    verb: str,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    **form: Any,
) -> Change:
    """Carry out the stage verb `verb` (a key of `VERBS`) with the form's values by name."""
    m = Move(session, case_id, actor, at, policy, calendar)
    said = VERBS[verb].say(m, **form)
    change = stage_change(m, VERBS[verb].event, lines=said.lines, data=said.data)
    if said.then is not None:
        said.then()
    return Change(change.case_id, change.message, change.data, (*said.notices, *change.notices))


def stage_change(
    m: Move, event: StageEvent, *, lines: Sequence[str] = (), data: dict[str, object] | None = None
) -> Change:
    """Apply `event` and answer with the change and its notices."""
    session, case_id, actor = m.session, m.case_id, m.actor
    transition, entry = advance(
        session,
        case_id=case_id,
        event=event,
        actor=actor,
        at=m.at,
        policy=m.policy,
        calendar=m.calendar,
    )
    notices = stage_notices(
        session,
        case_id=case_id,
        transition=transition,
        event_id=entry,
        actor=actor,
        policy=m.policy,
        lines=lines,
    )
    old, new = STAGE_LABELS[transition.from_stage], STAGE_LABELS[transition.to_stage]
    return Change(
        case_id,
        f"案件 {case_id}：{old} → {new}（{who(session, actor)}）",
        {"case_id": case_id, "stage": transition.to_stage.value, **(data or {})},
        tuple(notices),
    )


def _report(m: Move, *, text: str = "", units: Sequence[str] = ()) -> Said:
    """快报: the quick report goes to the grade's report targets, with its mandated fields; the
    unit where it happened, when named, is told too where the policy says so (S1-18)."""
    if units:
        case = get_case(m.session, m.case_id)
        case.units = _units(m.session, units, None)
        case.lead_unit_id = case.units[0]
        m.session.add(case)
    return Said(lines=(f"报送说明：{text.strip()}",) if text.strip() else ())


def _assess(
    m: Move,
    *,
    grade: str,
    category: str,
    units: Sequence[str],
    lead: str | None = None,
    note: str = "",
) -> Said:
    """研判: confirm the grade (an upgrade moves the deadlines; a lower grade is a downgrade and
    needs an approver), the content category, and the responsible units (the lead unit first)."""
    case = get_case(m.session, m.case_id)
    _known_category(category)
    wanted, current = m.policy.scheme.level(grade), m.policy.scheme.level(case.grade)
    if wanted.rank > current.rank:
        raise CaseError(
            f"字段 grade（确认等级）：{wanted.label} 低于当前等级 {current.label}；"
            f"降级须经审批：请申请降级至{wanted.label}",
            next_step=NextStep("downgrade", m.case_id, (("grade", wanted.label),)),
        )
    chosen = _units(m.session, units, lead)
    upgraded = _confirm_upgrade(m, wanted.id, wanted.label) if wanted.rank < current.rank else []
    case = get_case(m.session, m.case_id)
    case.category, case.units, case.lead_unit_id = category, chosen, chosen[0]
    m.session.add(case)
    lines = [f"确认等级：{wanted.label}", f"类别：{category}", f"责任单位：{'、'.join(chosen)}"]
    if note.strip():
        lines.append(f"研判意见：{note.strip()}")
    data: dict[str, object] = {"grade": wanted.id, "category": category}
    return Said(lines, {**data, "units": chosen, "lead": chosen[0]}, tuple(upgraded))


def _known_category(category: str) -> None:
    try:
        Category(category)
    except ValueError:
        allowed = "、".join(c.value for c in Category)
        raise CaseError(f"字段 category（类别）：未知类别 {category!r}，可用：{allowed}") from None


def _confirm_upgrade(m: Move, grade: str, label: str) -> list[Notice]:
    """研判 confirming a higher grade: the deadlines shorten; the chain's first level is told."""
    _, told = regrade(
        m.session,
        case_id=m.case_id,
        grade=grade,
        actor=m.actor,
        reason=f"研判确认为{label}",
        at=m.at,
        policy=m.policy,
        calendar=m.calendar,
    )
    return told


def _dispatch(m: Move, *, units: Sequence[str] = (), lead: str | None = None) -> Said:
    """下发联系单: the contact sheet goes to each responsible unit's person and liaison; their
    deadlines start (the sheet counts as received when yuqing delivers it)."""
    case = get_case(m.session, m.case_id)
    if units:
        chosen = _units(m.session, units, lead)
        case.units, case.lead_unit_id = chosen, chosen[0]
        m.session.add(case)
    elif not case.units:
        raise CaseError(
            "缺少字段 units（责任单位）：研判时未指定责任单位，请指定责任单位",
            next_step=NextStep(fields=(("units", None),)),
        )
    return Said(data={"units": list(case.units)})


def _verify(m: Move, *, result: str) -> Said:
    """核查: the unit's verification result, on the record; what it satisfies completes."""
    values = validated(spec("verify").fields, {"result": result})
    note(m, f"核查结果：{values['result']}", values)
    return Said(lines=(f"核查结果：{values['result']}",))


def _respond(m: Move, *, url: str, text: str = "") -> Said:
    """回应发布: the public reply's link (and text), on the record."""
    values = validated(spec("respond").fields, {"url": url, "text": text})
    lines = [f"回应链接：{values['url']}"] + (
        [f"回应内容：{values['text']}"] if "text" in values else []
    )
    note(m, "；".join(lines), values)
    return Said(lines, {"url": values["url"]})


def _track(m: Move, *, note: str = "") -> Said:
    """跟踪: monitoring goes on (metrics keep snapshotting; an upgrade still works)."""
    return Said(lines=(f"跟踪说明：{note.strip()}",) if note.strip() else ())


def _reopen(m: Move, *, reason: str) -> Said:
    """重新打开: a closed case returns to tracking within the aftercare window."""
    values = validated(spec("reopen").fields, {"reason": reason})
    if get_case(m.session, m.case_id).closed_at is None:
        raise CaseError(f"案件 {m.case_id} 未办结，无需重新打开")

    def reopened() -> None:
        add_event(
            m.session,
            case_id=m.case_id,
            kind=EventKind.REOPENED,
            at=m.at,
            actor=m.actor,
            message=f"{who(m.session, m.actor)} 重新打开案件，理由：{values['reason']}",
            data={"reason": values["reason"]},
        )

    return Said(lines=(f"理由：{values['reason']}",), then=reopened)


def _review(m: Move, *, summary: str, cause: str, lessons: str) -> Said:
    """总结评估: the summary, the cause and the lessons file the case in the case library."""
    form = {"summary": summary, "cause": cause, "lessons": lessons}
    values = validated(spec("review").fields, form)

    def filed() -> None:
        m.session.add(
            CaseReview(
                case_id=m.case_id,
                summary=values["summary"],
                cause=values["cause"],
                lessons=values["lessons"],
                reviewed_by=m.actor,
                at=m.at,
            )
        )
        note(m, "总结评估已归入案例库", values)

    return Said(lines=(f"总结：{values['summary'][:200]}",), then=filed)


VERBS: Mapping[str, Verb] = {
    "report": Verb(StageEvent.report, _report),
    "assess": Verb(StageEvent.assess, _assess),
    "dispatch": Verb(StageEvent.dispatch, _dispatch),
    "verify": Verb(StageEvent.verify, _verify),
    "respond": Verb(StageEvent.respond, _respond),
    "track": Verb(StageEvent.track, _track),
    "reopen": Verb(StageEvent.reopen, _reopen),
    "review": Verb(StageEvent.review, _review),
}


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


def note(m: Move, text: str, data: dict[str, str]) -> None:
    """A note on the case's timeline, in the actor's name, with the values it records."""
    get_case(m.session, m.case_id)  # an unknown case is refused, not noted
    add_event(
        m.session,
        case_id=m.case_id,
        kind=EventKind.NOTE,
        at=m.at,
        actor=m.actor,
        message=f"{who(m.session, m.actor)} {text}",
        data=dict(data),
    )
