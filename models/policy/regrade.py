"""Moving open deadlines when a case's grade changes (DESIGN §3).

Each open deadline becomes ``min(current due, anchor + new duration)``: a regrade can shorten
a deadline, never lengthen it. Rules that exist only at the new grade are returned to be
opened (their anchor may already have happened); rules that exist only at the old grade stay
as they are, since an upgrade must not drop work already owed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from models.policy.calendar import WorkCalendar
from models.policy.clocks import DueTime, due_at_provisional
from models.policy.policy import ObligationRule, Policy, base_key

__all__ = ["DueChange", "OpenObligation", "RegradePlan", "plan_regrade"]


@dataclass(frozen=True)
class OpenObligation:
    """An obligation of the case that is not yet satisfied."""

    key: str
    anchor_at: datetime
    due: DueTime


@dataclass(frozen=True)
class DueChange:
    """One obligation's due time before and after the regrade (``old == new`` if unchanged)."""

    key: str
    old: DueTime
    new: DueTime

    @property
    def shortened(self) -> bool:
        return self.new.at < self.old.at


@dataclass(frozen=True)
class RegradePlan:
    """The diff for the timeline plus the rules to open at the new grade."""

    from_grade: str
    to_grade: str
    changes: tuple[DueChange, ...]
    to_open: tuple[ObligationRule, ...]


def plan_regrade(
    policy: Policy,
    old_grade: str,
    new_grade: str,
    open_obligations: tuple[OpenObligation, ...],
    *,
    calendar: WorkCalendar,
    known_keys: frozenset[str] = frozenset(),
    tz: ZoneInfo | None = None,
    closing_time: time | None = None,
) -> RegradePlan:
    """Recompute open deadlines for ``new_grade``; ``known_keys`` lists obligations the case
    already has (open or done), so they are not opened again."""
    zone = tz or ZoneInfo(policy.timezone)
    close = closing_time if closing_time is not None else policy.closing_time
    new_rules = {r.key: r for r in policy.obligations_for(new_grade)}
    changes = []
    for item in open_obligations:
        rule = new_rules.get(base_key(item.key))  # a further instance follows its rule
        new = item.due
        if rule is not None:
            candidate = due_at_provisional(
                rule, item.anchor_at, calendar=calendar, tz=zone, closing_time=close
            )
            if candidate.at < item.due.at:
                new = candidate
        changes.append(DueChange(item.key, item.due, new))
    have = known_keys | {o.key for o in open_obligations}
    old_keys = {r.key for r in policy.obligations_for(old_grade)}
    to_open = tuple(r for k, r in new_rules.items() if k not in have and k not in old_keys)
    return RegradePlan(
        from_grade=policy.scheme.level(old_grade).id,
        to_grade=policy.scheme.level(new_grade).id,
        changes=tuple(changes),
        to_open=to_open,
    )
