"""Monitoring gaps (监测盲区): the duty to watch around the clock covers the collector too. A
source that fails, or returns nothing where it has returned items before, for `threshold` runs
in a row opens a gap (an alert to the operators); the next good run closes it (recorded).
Pure: the decision only; `models.repo.sources` stores it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"  # items came back, or the server said nothing changed
    EMPTY = "empty"  # a good response with no entries
    FAILED = "failed"


@dataclass(frozen=True)
class SourceHealth:
    consecutive_failures: int
    consecutive_empty: int
    ever_yielded: bool
    gap_open: bool


@dataclass(frozen=True)
class GapDecision:
    health: SourceHealth
    open_gap: bool  # raise the alert now
    close_gap: bool  # record the recovery now
    runs: int  # bad runs in a row


def assess(before: SourceHealth, outcome: Outcome, *, yielded: bool, threshold: int) -> GapDecision:
    """The source's health after a run, and whether a gap opens or closes with it."""
    failures = before.consecutive_failures + 1 if outcome is Outcome.FAILED else 0
    silent = outcome is Outcome.EMPTY and before.ever_yielded
    empty = before.consecutive_empty + 1 if silent else 0
    bad_runs = max(failures, empty)
    healthy = outcome is Outcome.OK or (outcome is Outcome.EMPTY and not before.ever_yielded)
    open_gap = not before.gap_open and bad_runs >= threshold
    close_gap = before.gap_open and healthy
    health = SourceHealth(
        consecutive_failures=failures,
        consecutive_empty=empty,
        ever_yielded=before.ever_yielded or yielded,
        gap_open=(before.gap_open or open_gap) and not close_gap,
    )
    return GapDecision(health=health, open_gap=open_gap, close_gap=close_gap, runs=bad_runs)
