"""Corrections with reasons (更正), each on the timeline and in the accountability evidence
(`models.repo.corrected`): the responsible units after the fact (调整责任单位: a unit missed at
研判 is added — once the contact sheet has gone out, the added unit gets its own contact sheet
and its own deadlines, counted from then, held by its responsible person — or one is taken off,
the lead unit changed), and the category or the grade (更正: a category at once, its playbook
applying; a higher grade at once; a lower one only through the downgrade's approval). Moving a
stage back is `models.repo.rewind`. Keyword-only functions over a Session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from models.policy import Policy, WorkCalendar
from models.policy.catalogue import spec
from models.policy.forms import validated
from models.policy.notices import Notice
from models.policy.states import Category, category_label
from models.repo.approvals import request_downgrade
from models.repo.cases import CaseError, NextStep, get_case
from models.repo.changes import Change
from models.repo.corrected import record_correction
from models.repo.directory import internal_unit
from models.repo.playbooks import apply_category
from models.repo.regrade import regrade
from models.repo.stages import Move
from models.repo.unit_sheets import added_unit_sheets, dispatched, retire_replaced
from models.store.tables import Unit


def units(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    lead: str | None = None,
    reason: str = "",
) -> Change:
    """调整责任单位: the units added, taken off, the lead; the added ones told if dispatched."""
    values = validated(spec("units").fields, {"reason": reason})
    case = get_case(session, case_id)
    if case.closed_at is not None:
        raise CaseError(f"案件 {case_id} 已办结")
    before = list(case.units)
    after = _new_units(session, before, add, remove)
    lead = _lead_first(after, lead or (case.lead_unit_id if case.lead_unit_id in after else None))
    if after == before and lead == case.lead_unit_id:
        raise CaseError(
            "责任单位没有变化：请指明增加、撤下的责任单位或牵头单位",
            next_step=NextStep(fields=(("add", None), ("remove", None), ("lead", None))),
        )
    case.units, case.lead_unit_id = after, lead
    session.add(case)
    names = (_names(session, before), _names(session, after))
    why = values["reason"]
    record_correction(
        session, case_id=case_id, kind="units", change=names, reason=why, by=actor, at=at
    )
    added = [u for u in after if u not in before]
    m = Move(session, case_id, actor, at, policy, calendar)
    notices = _tell_added(m, added, replaced=not set(before) & set(after))
    data = {"case_id": case_id, "units": after, "lead": lead, "added": added, "told": len(notices)}
    return Change(
        case_id, f"已调整责任单位：案件 {case_id} {names[0]} → {names[1]}", data, tuple(notices)
    )


def _lead_first(after: list[str], lead: str | None) -> str:
    """The lead unit (by default the first) moved to the front; it must be one of `after`."""
    lead = lead or after[0]
    if lead not in after:
        raise CaseError(f"字段 lead（牵头单位）：{lead!r} 须是调整后的责任单位之一")
    after.remove(lead)
    after.insert(0, lead)
    return lead


def _tell_added(m: Move, added: list[str], *, replaced: bool) -> list[Notice]:
    """Once the contact sheet has gone out, the added units get their own (and on 更换 the
    replaced units' deadlines end)."""
    if not added or not dispatched(m.session, m.case_id):
        return []
    if replaced:
        retire_replaced(m.session, case_id=m.case_id, actor=m.actor, at=m.at)
    return added_unit_sheets(
        m.session, case_id=m.case_id, units=added, at=m.at, policy=m.policy, calendar=m.calendar
    )


def _new_units(
    session: Session, before: list[str], add: Sequence[str], remove: Sequence[str]
) -> list[str]:
    for unit in [*add, *remove]:
        if internal_unit(session, unit) is None:
            raise CaseError(f"字段 add/remove（责任单位）：{unit!r} 不是本系统登记的单位")
    missing = [u for u in remove if u not in before]
    if missing:
        raise CaseError(f"字段 remove（撤下的责任单位）：{'、'.join(missing)} 不是本案责任单位")
    after = [u for u in before if u not in remove]
    after += [u for u in dict.fromkeys(add) if u not in after]
    if not after:
        raise CaseError("至少保留一个责任单位")
    return after


def _names(session: Session, units: Sequence[str]) -> str:
    found = [session.get(Unit, u) for u in units]
    return "、".join(u.name if u else "?" for u in found)


def correct(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    reason: str,
    category: str | None = None,
    grade: str | None = None,
) -> Change:
    """更正 the category and/or the grade, with the reason."""
    form = {"reason": reason, "category": category or "", "grade": grade or ""}
    values = validated(spec("correct").fields, form)
    if "category" not in values and "grade" not in values:
        raise CaseError("缺少字段 category 或 grade：请指明更正的类别或等级")
    notices: list[Notice] = []
    done: list[str] = []
    asked: dict[str, object] = {}
    if "category" in values and values["category"] != get_case(session, case_id).category:
        notices += _category(session, case_id, values, actor, at, policy, calendar)
        done.append(f"类别 → {category_label(values['category'])}")
    if "grade" in values:
        more, said, asked = _grade(session, case_id, values, actor, at, policy, calendar)
        notices += more
        done.append(said)
    if not done:
        raise CaseError("没有需要更正的内容：类别与现在相同")
    case = get_case(session, case_id)
    data = {"case_id": case_id, "category": case.category, "done": done, **asked}
    return Change(case_id, f"已更正：案件 {case_id} " + "；".join(done), data, tuple(notices))


def _category(
    session: Session,
    case_id: int,
    values: dict[str, str],
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """The category corrected, its playbook applied."""
    case = get_case(session, case_id)
    old, new = case.category, Category(values["category"]).value
    case.category = new
    session.add(case)
    labels = (category_label(old), category_label(new))
    reason = values["reason"]
    record_correction(
        session, case_id=case_id, kind="category", change=labels, reason=reason, by=actor, at=at
    )
    return apply_category(
        session, case_id=case_id, actor=actor, at=at, policy=policy, calendar=calendar
    )


def _grade(
    session: Session,
    case_id: int,
    values: dict[str, str],
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> tuple[list[Notice], str, dict[str, object]]:
    """A higher grade at once; a lower one as a downgrade request (no seed defines one): the
    notices, what was done, and the request's number when one was asked."""
    case = get_case(session, case_id)
    now, wanted = policy.scheme.level(case.grade), policy.scheme.level(values["grade"])
    reason = f"更正：{values['reason']}"
    if wanted.rank == now.rank:
        raise CaseError(f"字段 grade（更正等级为）：案件已是{now.label}")
    if wanted.rank > now.rank:
        asked = request_downgrade(
            session,
            case_id=case_id,
            actor=actor,
            at=at,
            policy=policy,
            reason=reason,
            grade=wanted.id,
            correction=True,
        )
        said = f"等级下调至{wanted.label}须经审批（{asked.message}）"
        return list(asked.notices), said, {"request_id": asked.data["request_id"]}
    m = Move(session, case_id, actor, at, policy, calendar)
    notices = _raise_grade(m, wanted.id, (now.label, wanted.label), reason=values["reason"])
    return notices, f"等级 {now.label} → {wanted.label}", {}


def _raise_grade(m: Move, grade: str, labels: tuple[str, str], *, reason: str) -> list[Notice]:
    """A higher grade at once (deadlines shorten, the chain's first level told), corrected."""
    _, notices = regrade(
        m.session,
        case_id=m.case_id,
        grade=grade,
        actor=m.actor,
        reason=f"更正：{reason}",
        at=m.at,
        policy=m.policy,
        calendar=m.calendar,
    )
    record_correction(
        m.session,
        case_id=m.case_id,
        kind="grade",
        change=labels,
        reason=reason,
        by=m.actor,
        at=m.at,
    )
    return notices
