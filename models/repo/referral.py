"""移送 refer, a person's action: the case referred to an outside body, recorded as an outcome
(seeds-spec §5), not a stage; the office head and the leader in charge are told."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.policy.catalogue import spec
from models.policy.forms import validated
from models.policy.notices import Notice, NoticeKind
from models.policy.states import REFERRAL_LABELS, EventKind, ReferralBody
from models.repo.cases import add_event, get_case, who
from models.repo.changes import Change
from models.store.tables import Referral

REFERRAL_WATCHERS = ("office_head", "leader_in_charge")


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
    return Change(
        case_id,
        f"已移送：案件 {case_id} → {label}",
        {"case_id": case_id, "to": values["to"], "stage": case.stage.value},
        (_watchers_told(session, case_id, entry.id, actor, label, values["note"]),),
    )


def _watchers_told(
    session: Session, case_id: int, entry_id: int, actor: str, label: str, note: str
) -> Notice:
    return Notice(
        kind=NoticeKind.REFERRAL,
        occasion=f"refer@{entry_id}",
        headline=f"案件已移送{label}（{who(session, actor)}）",
        case_id=case_id,
        roles=REFERRAL_WATCHERS,
        lines=(f"移送说明：{note}",),
    )
