"""Figures about what people decided on cases in a period: grade changes (up or down, by the
scheme's ranks; automatic upgrades apart), requests decided (extensions granted and refused,
downgrades, statements), referrals by outside body. Pure functions over rows; standard library
only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from models.reports.rows import ApprovalRow, GradeChange, ReferralRow


@dataclass(frozen=True)
class RegradeCounts:
    upgrades: int
    automatic_upgrades: int  # by the metrics rule, no person involved
    downgrades: int


def count_regrades(changes: Iterable[GradeChange], ranks: Mapping[str, int]) -> RegradeCounts:
    """Up means a smaller rank (rank 1 is the most severe grade); an unknown grade ranks last,
    so a change to or from it is never mistaken for an upgrade."""
    up = auto = down = 0
    last = max(ranks.values(), default=0) + 1
    for change in changes:
        before, after = ranks.get(change.from_grade, last), ranks.get(change.to_grade, last)
        if after < before:
            up += 1
            auto += change.actor == "system"
        elif after > before:
            down += 1
    return RegradeCounts(up, auto, down)


@dataclass(frozen=True)
class Decisions:
    """Requests decided in the period, per kind: (approved, rejected); and those still pending."""

    decided: dict[str, tuple[int, int]]
    pending: Counter[str]

    def granted(self, kind: str) -> int:
        return self.decided.get(kind, (0, 0))[0]

    def refused(self, kind: str) -> int:
        return self.decided.get(kind, (0, 0))[1]


def count_decisions(rows: Iterable[ApprovalRow]) -> Decisions:
    approved: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    for row in rows:
        if row.status == "approved":
            approved[row.kind] += 1
        elif row.status == "rejected":
            rejected[row.kind] += 1
        else:
            pending[row.kind] += 1
    kinds = sorted(set(approved) | set(rejected))
    return Decisions({k: (approved[k], rejected[k]) for k in kinds}, pending)


def count_referrals(rows: Iterable[ReferralRow]) -> Counter[str]:
    """Referrals by body; a case referred twice to the same body counts twice (two records)."""
    return Counter(row.body for row in rows)
