"""The rows the report figures are computed from: plain frozen values, one per case, obligation,
grade change, approval, referral, accountability record and delivery tally, as the repository
gathers them (`models.repo.reports.queries`). Times are aware UTC. Standard library only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

UNIT_ROLES = frozenset({"unit_responsible", "unit_liaison"})  # owned by the case's lead unit
NO_UNIT = "未指定"


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One case as the reports see it; `source` is the name of the source of its first item
    (None: registered by hand), `url` and `site` that item's link and site."""

    id: int
    title: str
    grade: str
    category: str | None
    stage: str
    units: tuple[str, ...]
    lead_unit: str | None
    outcome: str | None
    discovered_at: datetime
    closed_at: datetime | None
    source: str | None = None
    source_kind: str | None = None
    url: str | None = None
    site: str | None = None
    topic: str | None = None

    @property
    def lead(self) -> str | None:
        """The lead unit (牵头单位): the one named, else the first responsible unit."""
        return self.lead_unit or (self.units[0] if self.units else None)


def epoch(at: datetime) -> float:
    """An aware time as seconds since the Unix epoch."""
    return at.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class ObligationRow:
    """One deadline: whose case, which rule, when it was due and what became of it. Its times
    are seconds since the epoch (`epoch`): a year of deadlines is compared and subtracted, not
    shown. `units_text` is the case's responsible units as stored (JSON), read only when needed."""

    case_id: int
    key: str
    title: str
    grade: str
    owner_role: str
    status: str  # open | completed | cancelled
    anchor_at: float
    due_at: float
    acked_at: float | None
    completed_at: float | None
    lead_unit: str | None = None
    units_text: str | None = None
    level: int = 0  # the highest escalation level fired: > 0 means it lapsed

    def unit(self, role_units: dict[str, str]) -> str:
        """Who answers for this deadline: the case's lead unit for a unit's own obligations,
        else the unit of the people holding the owner role; `NO_UNIT` when neither is known."""
        if self.owner_role in UNIT_ROLES:
            return self.lead_unit or (parse_units(self.units_text) or (NO_UNIT,))[0]
        return role_units.get(self.owner_role, NO_UNIT)


def parse_units(text: str | None) -> tuple[str, ...]:
    """The stored JSON list of unit ids (an unreadable value reads as none)."""
    if not text or text == "[]":  # most cases: no JSON to decode
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    return tuple(str(u) for u in value) if isinstance(value, list) else ()


@dataclass(frozen=True, slots=True)
class GradeChange:
    case_id: int
    at: datetime
    from_grade: str
    to_grade: str
    actor: str  # "system": an automatic upgrade on metrics
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    case_id: int
    kind: str  # statement | downgrade | extension
    status: str  # pending | approved | rejected
    requested_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReferralRow:
    case_id: int
    body: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Judgement:
    """A person's judgement of one accountability record; the latest one counts."""

    justified: bool  # True: the lapse is justified (有正当理由), no accountability
    reason: str
    judged_by: str
    judged_at: datetime
    consequence: str = ""  # notice | rating | appraisal | "" (seeds-spec §8.3)


@dataclass(frozen=True, slots=True)
class AccountabilityRow:
    """The evidence of one lapse (seeds-spec §8.3, F19): first known, first reported, due, done,
    how late, who; and the judgement people gave it, if any. Never a verdict by the machine."""

    id: int
    case_id: int
    case_title: str
    grade: str
    obligation: str
    owner_role: str
    responsible: tuple[str, ...]
    first_known: datetime
    first_reported: datetime | None
    due_at: datetime
    done_at: datetime | None
    recorded_at: datetime
    late_seconds: int
    source_kind: str | None = None
    judgement: Judgement | None = None
    corrections: tuple[str, ...] = ()  # the case's corrections (更正), with reasons and consent


@dataclass(frozen=True, slots=True)
class DeliveryTally:
    """Delivery attempts of one channel in the period (counted by the database)."""

    channel: str
    attempts: int
    delivered: int

    @property
    def failed(self) -> int:
        return self.attempts - self.delivered
