"""批示 / 签批 (F9; S1-4§14: a leader signs the bulletin with instructions and handling follows
them; S2-4.3 二.2 批办: the leader's handling opinion on the slip; S2-4.3 二.6: 领导批示件 are
filed): a leader's instruction on a case, recorded as given, relayed to the responsible units
and the office as a step, meeting what the plan says an instruction meets (S2-4.3 批办). The 快报
document's 领导批示 field, the contact sheet, the case page and the case file show them.
Keyword-only functions over a Session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.catalogue import spec
from models.policy.forms import validated
from models.policy.notices import Notice, NoticeKind
from models.policy.states import EventKind
from models.repo.cases import add_event, get_case, who
from models.repo.changes import Change
from models.repo.instances import meet
from models.store.tables import Instruction

RELAYED_TO = ("office_head", "office_staff", "unit_responsible", "unit_liaison")


def instruct(
    session: Session, *, case_id: int, actor: str, at: datetime, policy: Policy, text: str
) -> Change:
    """The leader's instruction, on the record, relayed; what it meets completes."""
    values = validated(spec("instruct").fields, {"text": text})
    get_case(session, case_id)
    instruction = Instruction(case_id=case_id, text=values["text"], given_by=actor, at=at)
    session.add(instruction)
    name = who(session, actor)
    met = meet(session, case_id=case_id, action="instruct", actor=actor, at=at, policy=policy)
    entry = add_event(
        session,
        case_id=case_id,
        kind=EventKind.INSTRUCTED,
        at=at,
        actor=actor,
        message=f"{name} 批示：{values['text']}" + (f"（{'、'.join(met)}）" if met else ""),
        data={"text": values["text"], "met": met},
    )
    session.flush()
    assert entry is not None and entry.id is not None
    notice = Notice(
        kind=NoticeKind.INSTRUCTION,
        occasion=f"instruct@{entry.id}",
        headline=f"领导批示（{name}）：请按批示办理",
        case_id=case_id,
        roles=RELAYED_TO,
        lines=(f"批示：{values['text']}",),
    )
    return Change(
        case_id,
        f"已记录批示：案件 {case_id}（{name}），已转责任单位和办公室",
        {"case_id": case_id, "instruction": instruction.id, "met": met},
        (notice,),
    )


def instruction_lines(session: Session, case_id: int, tz: ZoneInfo) -> list[str]:
    """The case's instructions, oldest first: 李强（2026-11-23 10:00）：…"""
    found = session.exec(
        select(Instruction).where(Instruction.case_id == case_id).order_by(col(Instruction.id))
    ).all()
    return [
        f"{who(session, i.given_by)}（{i.at.astimezone(tz):%Y-%m-%d %H:%M}）：{i.text}"
        for i in found
    ]
