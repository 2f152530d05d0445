"""When the no-acknowledgement and no-completion chains fire (DESIGN §5), as pure arithmetic.

Before the due time a reminder goes to the owner once ``reminder_fraction`` of the window has
passed; at the due time chain level 1 fires; each ``repeat_interval`` after that climbs one
level, and the top level keeps repeating. Sending, deduplicating and recording are the
sweeper's job; these functions only say *when* and *which level*.
"""

from __future__ import annotations

from datetime import datetime

from models.policy.errors import PolicyError
from models.policy.policy import ChainLevel, EscalationRule

__all__ = ["ack_due", "chain_level_at", "escalation_times", "reminder_at"]


def reminder_at(anchor_at: datetime, due_at: datetime, rule: EscalationRule) -> datetime:
    """The moment ``reminder_fraction`` of the window from anchor to due has passed."""
    return anchor_at + (due_at - anchor_at) * rule.reminder_fraction


def ack_due(delivered_at: datetime, rule: EscalationRule) -> datetime:
    """When an unacknowledged alert moves to the next channel or the deputy/duty officer."""
    return delivered_at + rule.ack_window


def escalation_times(
    due_at: datetime, rule: EscalationRule, chain: tuple[ChainLevel, ...]
) -> tuple[tuple[ChainLevel, datetime], ...]:
    """Each chain level with the moment it first fires: level k at due + (k-1) × interval."""
    return tuple((rung, due_at + rule.repeat_interval * i) for i, rung in enumerate(chain))


def chain_level_at(
    due_at: datetime, now: datetime, rule: EscalationRule, chain: tuple[ChainLevel, ...]
) -> ChainLevel | None:
    """The chain level in force at ``now`` for an obligation still open; None before due."""
    if not chain:
        raise PolicyError("督办链为空 / the escalation chain is empty")
    if now < due_at:
        return None
    steps = int((now - due_at) // rule.repeat_interval)
    return chain[min(steps, len(chain) - 1)]
