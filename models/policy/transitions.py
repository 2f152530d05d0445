"""``apply_event``: what a stage event means for a case, as a value (STYLE convention 2).

A ``Transition`` says the new stage, which obligations start counting (their anchor is set by
this event), which are satisfied, which are cancelled, and which roles to tell (the policy's
``notify`` for the event and the case's grade). It performs
nothing; tasks do. Anchors set by events: ``assess`` → assessment, ``dispatch`` →
contact_sheet_received (the sheet counts as received when yuqing delivers it, so a unit cannot
hold the clock by not signing), ``close`` → closure and handling_completed. Registration sets
occurrence, discovery and post_time (``initial_obligations``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from models.policy.clocks import Anchor
from models.policy.errors import IllegalTransition, PolicyError
from models.policy.policy import ObligationRule, Policy
from models.policy.roles import DEFAULT_NOTIFY
from models.policy.stages import Stage, StageEvent, illegal

__all__ = ["EVENT_ANCHORS", "Transition", "apply_event", "initial_obligations"]

REGISTRATION_ANCHORS = frozenset({Anchor.occurrence, Anchor.discovery, Anchor.post_time})

EVENT_ANCHORS: Mapping[StageEvent, frozenset[Anchor]] = {
    StageEvent.assess: frozenset({Anchor.assessment}),
    StageEvent.dispatch: frozenset({Anchor.contact_sheet_received}),
    StageEvent.close: frozenset({Anchor.closure, Anchor.handling_completed}),
}


@dataclass(frozen=True)
class Transition:
    """The outcome of one event; obligation entries are rule keys."""

    from_stage: Stage
    to_stage: Stage
    event: StageEvent
    at: datetime
    obligations_to_open: tuple[str, ...]
    obligations_to_close: tuple[str, ...]
    notifications: tuple[str, ...]
    obligations_to_cancel: tuple[str, ...] = ()


def _rules(policy: Policy, grade: str | None) -> tuple[ObligationRule, ...]:
    """The grade's rules, or (no grade) the first rule of each key across all grades."""
    if grade is not None:
        return policy.obligations_for(grade)
    seen: dict[str, ObligationRule] = {}
    for grade_id in policy.scheme.ids:
        for rule in policy.obligations.get(grade_id, ()):
            seen.setdefault(rule.key, rule)
    return tuple(seen.values())


def _keys(rules: tuple[ObligationRule, ...], anchors: frozenset[Anchor]) -> tuple[str, ...]:
    return tuple(r.key for r in rules if r.anchor in anchors)


def apply_event(
    stage: Stage | str,
    event: StageEvent | str,
    *,
    at: datetime,
    policy: Policy,
    grade: str | None = None,
    closed_at: datetime | None = None,
) -> Transition:
    """The transition ``event`` causes in ``stage``; ``IllegalTransition`` if not allowed.

    ``grade`` narrows the obligations to that grade's rules. For ``reopen``, ``closed_at``
    enforces the policy's aftercare window (reopening after it has passed is illegal).
    """
    if at.tzinfo is None:
        raise PolicyError("事件时间缺少时区 / event time must be timezone-aware")
    src, ev = _stage(stage, event), _event(stage, event)
    dst = policy.template.target(src, ev)
    rules = _rules(policy, grade)
    cancel: tuple[str, ...] = ()
    if ev is StageEvent.reopen:
        if closed_at is not None and at > closed_at + policy.aftercare:
            raise illegal(src, ev, f"善后观察期（{policy.aftercare}）已过")
        cancel = _keys(rules, frozenset({Anchor.closure}))
    return Transition(
        from_stage=src,
        to_stage=dst,
        event=ev,
        at=at,
        obligations_to_open=_keys(rules, EVENT_ANCHORS.get(ev, frozenset())),
        obligations_to_close=tuple(r.key for r in rules if r.closed_by is ev),
        notifications=policy.notify_roles(ev, grade) if grade else DEFAULT_NOTIFY[ev],
        obligations_to_cancel=cancel,
    )


def initial_obligations(policy: Policy, grade: str) -> tuple[str, ...]:
    """Keys of the grade's rules that start when a case is registered."""
    return _keys(policy.obligations_for(grade), REGISTRATION_ANCHORS)


def _stage(stage: Stage | str, event: StageEvent | str) -> Stage:
    try:
        return Stage(stage)
    except ValueError:
        raise IllegalTransition(str(stage), str(event), "未知阶段") from None


def _event(stage: Stage | str, event: StageEvent | str) -> StageEvent:
    try:
        return StageEvent(event)
    except ValueError:
        raise IllegalTransition(str(stage), str(event), "未知事件") from None
