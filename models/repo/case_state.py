"""One case's stored state as the stuck rules and the repairs read it (its obligations, stage
changes, unfinished steps, unsent outbox rows, the occasions delivered somewhere, the levels told
to nobody), loaded for many cases at once: a few statements per chunk of case ids, nothing per
case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from models.policy.states import EventKind, NotificationStatus, StepStatus
from models.store.tables import Case, CaseEvent, CaseStep, Notification, Obligation

CHUNK = 500  # case ids per IN (...) list


@dataclass
class CaseState:
    """One case's stored state, as the stuck rules read it."""

    case: Case
    obligations: list[Obligation] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)  # stage changes
    steps: list[CaseStep] = field(default_factory=list)  # the case flow's steps not yet done
    outbox: list[Notification] = field(default_factory=list)  # rows not sent
    sent: set[tuple[Any, ...]] = field(default_factory=set)  # occasions delivered somewhere
    nobody: list[CaseEvent] = field(default_factory=list)  # escalation levels told to nobody


def load_states(session: Session, ids: Sequence[int]) -> list[CaseState]:
    states: list[CaseState] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        by_id = {
            c.id: CaseState(c) for c in session.exec(select(Case).where(col(Case.id).in_(chunk)))
        }
        events = select(CaseEvent).where(
            col(CaseEvent.case_id).in_(chunk), CaseEvent.kind == EventKind.STAGE_CHANGED
        )
        for event in session.exec(events.order_by(col(CaseEvent.at), col(CaseEvent.id))):
            by_id[event.case_id].events.append(event)
        failures = select(CaseEvent).where(
            col(CaseEvent.case_id).in_(chunk), CaseEvent.kind == EventKind.DELIVERY_FAILED
        )
        for event in session.exec(failures):
            if event.data.get("nobody"):  # notifications.nobody.NOBODY_MARK
                by_id[event.case_id].nobody.append(event)
        steps = select(CaseStep).where(
            col(CaseStep.case_id).in_(chunk), CaseStep.status != StepStatus.DONE
        )
        for step in session.exec(steps.order_by(col(CaseStep.id))):
            by_id[step.case_id].steps.append(step)
        for row in session.exec(select(Obligation).where(col(Obligation.case_id).in_(chunk))):
            by_id[row.case_id].obligations.append(row)
        unsent = select(Notification).where(
            col(Notification.case_id).in_(chunk),
            col(Notification.status) != NotificationStatus.SENT,
        )
        for note in session.exec(unsent.order_by(col(Notification.created_at))):
            by_id[note.case_id or 0].outbox.append(note)
        _load_sent(session, by_id)
        states += [by_id[i] for i in chunk if i in by_id]
    return states


def _load_sent(session: Session, by_id: dict[int | None, CaseState]) -> None:
    """The delivered occasions of cases with failed rows: a failure is final only when no
    other channel delivered the same alert."""
    with_failures = [i for i, s in by_id.items() if any(failed(n) for n in s.outbox)]
    if not with_failures:
        return
    query = select(Notification).where(
        col(Notification.case_id).in_(with_failures),
        Notification.status == NotificationStatus.SENT,
    )
    for row in session.exec(query):
        by_id[row.case_id].sent.add(occasion(row))


def occasion(row: Notification) -> tuple[Any, ...]:
    """What one alert is, whichever channel carries it."""
    return (row.obligation_id, row.chain, row.level, row.recipient_id)


def failed(row: Notification) -> bool:
    """The row failed on its channel (for good, or until another round)."""
    return row.status == NotificationStatus.FAILED
