"""Repairing a stuck case (`models.repo.stuck` says what is wrong) from its stored state, never
restarting a clock: a missing deadline is re-created from its original anchor (anchor + duration
on its clock, so one already past lapses on the next sweep), a lost next check goes back to the
reminder or the next chain level not yet fired, an alert that failed on every channel goes back
in the outbox; the sweep and the dispatcher then do the rest. A `rerun` timeline entry records a
repair; a healthy case is left untouched. Failed or waiting case-flow steps are carried out by
the re-run's `case` flow, not here. Keyword-only functions over a Session; the caller owns the
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from models.policy import ObligationRule, Policy, WorkCalendar
from models.policy.states import EventKind, NotificationStatus
from models.repo.case_state import CaseState, load_states
from models.repo.cases import add_event, get_case
from models.repo.lost_deadlines import lost_checks, missing_deadlines
from models.repo.opening import open_obligation
from models.repo.stuck import (
    GRACE,
    LEASE,
    REASON_LABELS,
    Finding,
    diagnose,
    undelivered,
    unreachable,
)
from models.store.tables import CaseEvent, Notification, Obligation


@dataclass(frozen=True)
class Repair:
    """What `repair_case` found and did (nothing at all for a healthy case)."""

    case_id: int
    found: tuple[Finding, ...] = ()
    recreated: tuple[str, ...] = ()  # obligation keys re-created from their original anchors
    restored: tuple[str, ...] = ()  # obligation keys whose next check was restored
    rearmed: tuple[str, ...] = ()  # failed notification ids put back in the outbox
    message: str = ""  # what was found and done, for office staff (empty: nothing to repair)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "stuck": bool(self.found),
            "found": [f.as_dict() for f in self.found],
            "recreated": list(self.recreated),
            "restored": list(self.restored),
            "rearmed": list(self.rearmed),
            "message": self.message,
        }


def repair_case(
    session: Session,
    *,
    case_id: int,
    now: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    actor: str = "system",
    grace: timedelta = GRACE,
    lease: timedelta = LEASE,
) -> Repair:
    """Restore what the case's stored state lacks, and put that on its timeline (a healthy case
    is left untouched). Unknown case: CaseError."""
    get_case(session, case_id)
    (state,) = load_states(session, [case_id])
    found = diagnose(state, now=now, policy=policy, grace=grace, lease=lease)
    if not found:
        return Repair(case_id)
    lost = lost_checks(state, policy)
    missing = open_missing(session, state, policy=policy, calendar=calendar)
    restored = [_restore_check(session, obligation, check) for obligation, check in lost]
    rearmed = [_rearm(session, row) for row in [*undelivered(state), *unreachable(state)]]
    message = _summary(
        found, [rule.title for rule in missing], [o.title for o, _ in lost], len(rearmed)
    )
    recreated = tuple(rule.key for rule in missing)
    repair = Repair(case_id, found, recreated, tuple(restored), tuple(rearmed), message)
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.RERUN,
        at=now,
        actor=actor,
        message=f"重跑：{message}",
        data=repair.as_dict(),
    )
    return repair


def _summary(
    found: Sequence[Finding], recreated: Sequence[str], restored: Sequence[str], rearmed: int
) -> str:
    done = [f"发现{'、'.join(dict.fromkeys(REASON_LABELS[f.reason] for f in found))}"]
    if recreated:
        done.append(f"按原起算时间补建时限：{'、'.join(recreated)}")
    if restored:
        done.append(f"恢复计时：{'、'.join(restored)}")
    if rearmed:
        done.append(f"重新发送未送达通知 {rearmed} 条")
    return "；".join(done)


# --- the repairs ---------------------------------------------------------------------------


def open_missing(
    session: Session, state: CaseState, *, policy: Policy, calendar: WorkCalendar
) -> list[ObligationRule]:
    """Open every rule the case's grade requires whose anchor has happened but which has no
    row (`missing_deadlines`), from its original anchor (anchor + duration on its clock, never
    from now). An opening already on the timeline (a lost row) is not written twice."""
    case = state.case
    noted = {
        data.get("obligation")
        for data in session.exec(
            select(CaseEvent.data).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.OBLIGATION_OPENED
            )
        )
    }
    missing = missing_deadlines(state, policy)
    for rule, anchor_at in missing:
        open_obligation(
            session,
            case=case,
            rule_key=rule.key,
            policy=policy,
            anchor_at=anchor_at,
            calendar=calendar,
            tz=ZoneInfo(policy.timezone),
            note_opening=rule.key not in noted,
        )
    return [rule for rule, _ in missing]


def _restore_check(session: Session, obligation: Obligation, check: datetime) -> str:
    obligation.next_check_at = check
    session.add(obligation)
    return obligation.key


def _rearm(session: Session, row: Notification) -> str:
    """Back to `pending` for one more try on the last channel; the attempt count goes on."""
    row.status, row.next_attempt_at, row.claimed_at = NotificationStatus.PENDING, None, None
    session.add(row)
    return row.id
