"""Extensions (申请延期) and pauses of deadlines, as pure functions.

An extension moves one obligation's due time later and needs an approver's consent; without
it the request is refused. A pause stops the clock of named obligations for a typed reason
(awaiting a higher body's reply, awaiting outside verification); on resuming, the paused span
is added to the due time as wall time — simple and predictable, even for day clocks (a pause
of 26 hours moves a working-day deadline by 26 hours, not by "one working day").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.policy.calendar import WorkCalendar
from models.policy.clocks import DEFAULT_TZ, DueTime, due_at_provisional
from models.policy.errors import PolicyError
from models.policy.policy import ObligationRule

__all__ = ["Extension", "Pause", "PauseReason", "extend_due", "extension_cap", "resume_due"]


class PauseReason(StrEnum):
    """Why a clock may stop."""

    awaiting_higher_body = "awaiting_higher_body"
    awaiting_outside_verification = "awaiting_outside_verification"


@dataclass(frozen=True)
class Extension:
    """An approved extension, for the record."""

    obligation: str
    old_due: datetime
    new_due: datetime
    requested_by: str
    approver: str
    reason: str


def extend_due(
    obligation: str,
    current: DueTime,
    new_due: datetime,
    *,
    requested_by: str,
    reason: str,
    approver: str | None,
    cap: DueTime | None = None,
) -> Extension:
    """Approve an extension to ``new_due``; refused without approver, reason, a later time,
    or beyond ``cap`` (see ``extension_cap``)."""
    if not (approver and approver.strip()):
        raise PolicyError(f"延期须经审批人同意（{obligation}）")
    if not reason.strip():
        raise PolicyError(f"缺少字段 reason（延期理由）：{obligation}")
    if new_due.tzinfo is None:
        raise PolicyError("延期时间缺少时区")
    if new_due <= current.at:
        raise PolicyError(
            f"延期后的时限须晚于原时限 {current.at.isoformat()} / "
            "must be later than the current due"
        )
    if cap is not None and new_due > cap.at:
        raise PolicyError(f"延期不得超过预案上限 {cap.at.isoformat()}（{obligation}）")
    return Extension(obligation, current.at, new_due, requested_by, approver, reason)


@dataclass(frozen=True)
class Pause:
    """A stopped clock: which obligations, why, since when."""

    obligations: tuple[str, ...]
    reason: PauseReason
    started_at: datetime
    note: str = ""

    def __post_init__(self) -> None:
        if not self.obligations:
            raise PolicyError("暂停须指明义务 / a pause must name its obligations")
        if self.started_at.tzinfo is None:
            raise PolicyError("暂停时间缺少时区 / pause time must be timezone-aware")


def resume_due(current: DueTime, pause: Pause, resumed_at: datetime) -> DueTime:
    """The due time after resuming: the paused span (wall time) is added."""
    if resumed_at < pause.started_at:
        raise PolicyError("恢复时间早于暂停时间 / resumed before the pause started")
    span: timedelta = resumed_at - pause.started_at
    return DueTime(at=current.at + span, provisional=current.provisional)


def extension_cap(
    rule: ObligationRule,
    anchor_at: datetime,
    *,
    calendar: WorkCalendar,
    tz: ZoneInfo = DEFAULT_TZ,
    closing_time: time | None = None,
) -> DueTime | None:
    """The latest due time an extension may reach (``rule.max_days`` on the rule's clock)."""
    if rule.max_days is None:
        return None
    return due_at_provisional(
        (rule.max_days, rule.clock), anchor_at, calendar=calendar, tz=tz, closing_time=closing_time
    )
