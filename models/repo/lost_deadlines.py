"""Deadlines a case has lost, read from its stored state: rules of its grade whose anchor has
happened but which have no obligation row and were not settled since (`missing_deadlines`), and
open obligations with no next check while their chain still has something to fire
(`lost_checks`). `models.repo.stuck` reports them; `models.repo.rerun` restores them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from models.policy import (
    Anchor,
    ObligationRule,
    Policy,
    StageEvent,
    escalation_times,
    reminder_at,
)
from models.policy.states import EventKind, ObligationStatus
from models.policy.transitions import EVENT_ANCHORS
from models.repo.case_state import CaseState
from models.repo.opening import registration_anchors
from models.store.tables import CaseEvent, Obligation

STAGE_EVENTS = frozenset(e.value for e in StageEvent)


def missing_deadlines(state: CaseState, policy: Policy) -> list[tuple[ObligationRule, datetime]]:
    """Rules of the case's grade whose anchor has happened (registration, or the first stage
    event that sets it) but which have no obligation row and were not settled since."""
    stage_events = _stage_events(state.events)
    anchors: dict[Anchor, datetime] = dict(registration_anchors(state.case))
    for event, at in stage_events:
        for anchor in EVENT_ANCHORS.get(event, ()):
            anchors.setdefault(anchor, at)
    have = {o.key for o in state.obligations}
    missing = []
    for rule in policy.obligations_for(state.case.grade):
        anchor_at = anchors.get(rule.anchor)
        if rule.key in have or anchor_at is None or _settled(rule, anchor_at, stage_events):
            continue
        missing.append((rule, anchor_at))
    return missing


def _stage_events(events: Iterable[CaseEvent]) -> list[tuple[StageEvent, datetime]]:
    found = []
    for event in events:
        if event.kind == EventKind.STAGE_CHANGED and event.data.get("event") in STAGE_EVENTS:
            found.append((StageEvent(event.data["event"]), event.at))
    return found


def _settled(
    rule: ObligationRule, anchor_at: datetime, stage_events: Sequence[tuple[StageEvent, datetime]]
) -> bool:
    """Whether the obligation would be over by now had it existed: its closing event came, or
    closing the case (reopening it, for rules counted from closure) ended the chase."""
    closure = EVENT_ANCHORS[StageEvent.close]
    for event, at in stage_events:
        if at < anchor_at:
            continue
        if event is rule.closed_by or (event is StageEvent.close and rule.anchor not in closure):
            return True
        if event is StageEvent.reopen and rule.anchor is Anchor.closure:
            return True
    return False


def lost_checks(state: CaseState, policy: Policy) -> list[tuple[Obligation, datetime]]:
    """Open obligations without a next check whose chain still has something to fire, each
    with the check it should have: its reminder if not yet sent, else the next level's time."""
    escalation = policy.escalation_for(state.case.grade)
    lost = []
    for obligation in state.obligations:
        if obligation.status != ObligationStatus.OPEN or obligation.next_check_at is not None:
            continue
        if obligation.level == 0 and obligation.reminded_at is None:
            lost.append(
                (obligation, reminder_at(obligation.anchor_at, obligation.due_at, escalation))
            )
            continue
        times = escalation_times(obligation.due_at, escalation, policy.chain)
        following = [at for rung, at in times if rung.level > obligation.level]
        if following:  # an exhausted chain has nothing left to check: not stuck
            lost.append((obligation, following[0]))
    return lost
