"""Tell nobody, never, at run time: a notice whose roles (and named people) resolve to nobody
who can be reached is a failure with its reason in words ("红色预警的报送对象 市委（党委）
无人担任"), never a step marked done. A case step (快报, 联系单, a request, a stage notice) raises
`NobodyToTell`, so the step fails after its retries and the case is on `case list --stuck`; a
lapse's escalation level, which cannot fail its sweep, is written on the timeline as such
(`NOBODY_MARK` in its data) and keeps the case on the stuck list while its obligation is open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.policy.notices import Notice, NoticeKind
from models.policy.reach import nobody_reason
from models.policy.roles import OWNER
from models.policy.states import EventKind

NOBODY_MARK = "nobody"
WHAT = {
    NoticeKind.QUICK_REPORT: "报送对象",
    NoticeKind.CONTACT_SHEET: "联系单接收人",
    NoticeKind.APPROVAL: "审批人",
    NoticeKind.DECISION: "申请人",
    NoticeKind.STAGE: "通知对象",
    NoticeKind.REFERRAL: "通知对象",
    NoticeKind.ACTION: "通知对象",
    NoticeKind.REMINDER: "提醒对象",
    NoticeKind.MONITORING: "通知对象",
}


class NobodyToTell(Exception):
    """A notice that would reach nobody; `reason` says whom it was for, in Chinese."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def asked_for_someone(notice: Notice) -> bool:
    """A notice that names roles or people (one naming none is told to nobody on purpose)."""
    return bool(notice.roles or notice.people)


def reason_for(notice: Notice, *, grade_label: str, owner_role: str | None, title: str) -> str:
    roles = [owner_role if r == OWNER and owner_role else r for r in notice.roles]
    roles += list(notice.people)
    if notice.kind in (NoticeKind.LAPSE, NoticeKind.NO_ACK):
        what = f"“{title}”第{notice.level}级催办对象" if title else "催办对象"
    else:
        what = WHAT.get(notice.kind, "通知对象")
    return nobody_reason(grade_label or "本案", dict.fromkeys(roles), what=what)


def nobody_entry(notice: Notice, reason: str, now: datetime) -> dict[str, Any]:
    """The timeline entry of a notice that reached nobody."""
    return {
        "case_id": notice.case_id,
        "at": now,
        "kind": EventKind.DELIVERY_FAILED,
        "actor": "system",
        "message": f"无人可通知：{reason}（{notice.headline}）",
        "data": {
            NOBODY_MARK: True,
            "occasion": notice.occasion,
            "obligation_id": notice.obligation_id,
            "roles": list(notice.roles),
            "reason": reason,
        },
    }
