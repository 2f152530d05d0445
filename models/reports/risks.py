"""The risk points of S0-14's form and the cases under each: the office's configured risk points
(a case counts under the first whose topics or categories it matches), then, for cases under
none, one group per topic ("涉学校网络舆情风险"), then the rest ("其他网络舆情风险"). Each
group's row is built from its cases' figures (`models.reports.ledger`). Standard library only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from models.reports.rows import CaseRow

OTHER = "其他网络舆情风险（未列入方案风险点）"


@dataclass(frozen=True)
class RiskPoint:
    """One row of the form as the plan writes it; empty texts are filled from the cases."""

    id: str
    title: str
    measures: str = ""
    next_steps: str = ""
    lead_units: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    deadline: str = ""
    topics: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()

    def covers(self, case: CaseRow) -> bool:
        return (case.topic is not None and case.topic in self.topics) or (
            case.category is not None and case.category in self.categories
        )


@dataclass
class RiskGroup:
    risk: RiskPoint
    cases: list[CaseRow] = field(default_factory=list)


def group_cases(
    cases: Sequence[CaseRow], risks: Sequence[RiskPoint], topics: Mapping[str, str]
) -> list[RiskGroup]:
    """Every configured risk point (with or without cases: the form lists the plan's risks),
    then a group per topic of the cases left, then the rest."""
    groups = [RiskGroup(risk) for risk in risks]
    extra: dict[str | None, RiskGroup] = {}
    for case in cases:
        home = next((g for g in groups if g.risk.covers(case)), None)
        if home is None:
            topic = case.topic if case.topic in topics else None
            home = extra.get(topic)
            if home is None:
                title = f"涉{topics[topic]}网络舆情风险" if topic is not None else OTHER
                home = extra[topic] = RiskGroup(RiskPoint(f"topic:{topic}", title))
        home.cases.append(case)
    return groups + [extra[k] for k in sorted(extra, key=lambda k: (k is None, k or ""))]
