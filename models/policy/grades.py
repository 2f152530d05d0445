"""Grade schemes: levels, their names, the "any one of" rules, and regrade decisions.

A scheme lists its levels (rank 1 = most severe) and, per level, criteria of which any one is
enough (seeds-spec §2.1). A criterion is a conjunction of conditions on a ``CaseMetrics``
snapshot. ``evaluate_grade`` walks levels from most to least severe and returns the first whose
rule matches; the least severe level is the fallback. Grades go up automatically, down only by a
person with a reason and an approver (no seed defines a downgrade, seeds-spec §2.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from models.policy.errors import PolicyError

__all__ = [
    "CaseMetrics",
    "Condition",
    "Criterion",
    "GradeLevel",
    "GradeRule",
    "GradeScheme",
    "MediaLevel",
    "Metric",
    "RegradeDecision",
    "decide_regrade",
    "evaluate_grade",
    "upgrade_for_metrics",
]


class MediaLevel(StrEnum):
    """The highest level of media that carries the item."""

    central = "central"
    national_portal = "national_portal"
    provincial = "provincial"
    city = "city"
    local = "local"
    none = "none"


MEDIA_LABELS = {
    MediaLevel.central: "中央级媒体",
    MediaLevel.national_portal: "全国门户网站",
    MediaLevel.provincial: "省级媒体",
    MediaLevel.city: "市级媒体",
    MediaLevel.local: "本地网站",
    MediaLevel.none: "无媒体",
}


def media_label(level: str) -> str:
    try:
        return MEDIA_LABELS[MediaLevel(level)]
    except ValueError:
        return level


class Metric(StrEnum):
    """A field of ``CaseMetrics`` that a condition can test."""

    clicks = "clicks"
    comments = "comments"
    reposts = "reposts"
    sites = "sites"
    mainstream_sites = "mainstream_sites"
    media_level = "media_level"
    traditional_media = "traditional_media"
    sensitive_period = "sensitive_period"


COUNT_METRICS = frozenset(
    {Metric.clicks, Metric.comments, Metric.reposts, Metric.sites, Metric.mainstream_sites}
)
FLAG_METRICS = frozenset({Metric.traditional_media, Metric.sensitive_period})


@dataclass(frozen=True)
class CaseMetrics:
    """One snapshot of what is known about a case's spread."""

    clicks: int = 0
    comments: int = 0
    reposts: int = 0
    sites: int = 0
    mainstream_sites: int = 0
    media_level: MediaLevel = MediaLevel.none
    traditional_media: bool = False
    sensitive_period: bool = False


@dataclass(frozen=True)
class Condition:
    """One test: a count within [minimum, maximum], a media level in a set, or a flag set."""

    metric: Metric
    minimum: int | None = None
    maximum: int | None = None
    media_levels: frozenset[MediaLevel] = frozenset()

    def holds(self, metrics: CaseMetrics) -> bool:
        value = getattr(metrics, self.metric.value)
        if self.metric is Metric.media_level:
            return MediaLevel(value) in self.media_levels
        if self.metric in FLAG_METRICS:
            return bool(value)
        low_ok = self.minimum is None or value >= self.minimum
        return low_ok and (self.maximum is None or value <= self.maximum)


@dataclass(frozen=True)
class Criterion:
    """All conditions must hold; ``note`` quotes the seed's wording."""

    conditions: tuple[Condition, ...]
    note: str = ""

    def holds(self, metrics: CaseMetrics) -> bool:
        return all(c.holds(metrics) for c in self.conditions)


@dataclass(frozen=True)
class GradeRule:
    """A level is reached when any one of its criteria holds."""

    level: str
    any_of: tuple[Criterion, ...]
    source: str = ""

    def holds(self, metrics: CaseMetrics) -> bool:
        return any(c.holds(metrics) for c in self.any_of)


@dataclass(frozen=True)
class GradeLevel:
    """A grade: ascii id (``g1``), Chinese label (一级), rank (1 = most severe), aliases."""

    id: str
    label: str
    rank: int
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.id, self.label, *self.aliases)


@dataclass(frozen=True)
class GradeScheme:
    """The levels of one grading scheme and the rules that reach them."""

    id: str
    title: str
    levels: tuple[GradeLevel, ...]
    rules: tuple[GradeRule, ...] = ()

    def level(self, name: str) -> GradeLevel:
        """Resolve an id, label or alias (一级 / g1 / 红 …); unknown names raise."""
        wanted = name.strip()
        for lvl in self.levels:
            if wanted in lvl.names or wanted.lower() == lvl.id:
                return lvl
        valid = "、".join(n for lvl in self.levels for n in lvl.names)
        raise PolicyError(f"未知等级“{name}”，可用：{valid}")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(lvl.id for lvl in self.by_rank())

    def by_rank(self) -> tuple[GradeLevel, ...]:
        """Levels from most to least severe."""
        return tuple(sorted(self.levels, key=lambda lvl: lvl.rank))

    def levels_by_name(self) -> Mapping[str, str]:
        """Every id, label and alias → level id."""
        return {name: lvl.id for lvl in self.levels for name in lvl.names}

    def rules_by_level(self) -> Mapping[str, GradeRule]:
        return {rule.level: rule for rule in self.rules}


def evaluate_grade(scheme: GradeScheme, metrics: CaseMetrics) -> str:
    """The id of the most severe level whose rule matches, else the least severe level."""
    rules = scheme.rules_by_level()
    ordered = scheme.by_rank()
    for lvl in ordered:
        rule = rules.get(lvl.id)
        if rule is not None and rule.holds(metrics):
            return lvl.id
    return ordered[-1].id


@dataclass(frozen=True)
class RegradeDecision:
    """A grade change to record: who, why, with whose consent, and whether it was automatic."""

    from_grade: str
    to_grade: str
    upgrade: bool
    automatic: bool
    actor: str | None = None
    reason: str | None = None
    approver: str | None = None


def decide_regrade(
    scheme: GradeScheme,
    current: str,
    proposed: str,
    *,
    actor: str | None = None,
    reason: str | None = None,
    approver: str | None = None,
) -> RegradeDecision:
    """Validate a grade change. Upgrades need nothing (``automatic`` when no actor is given);
    downgrades need an actor, a reason and an approver, else ``PolicyError``."""
    old, new = scheme.level(current), scheme.level(proposed)
    if old.id == new.id:
        raise PolicyError(f"等级未变化（{old.label}）")
    upgrade = new.rank < old.rank
    if not upgrade:
        missing = [
            n
            for n, v in (("申请人", actor), ("理由", reason), ("审批人", approver))
            if not (v and v.strip())
        ]
        if missing:
            raise PolicyError(
                f"降级（{old.label}→{new.label}）须由具体人员提出、说明理由并经审批人同意，"
                f"缺少：{'、'.join(missing)}"
            )
    return RegradeDecision(
        from_grade=old.id,
        to_grade=new.id,
        upgrade=upgrade,
        automatic=upgrade and not actor,
        actor=actor,
        reason=reason,
        approver=approver,
    )


def upgrade_for_metrics(
    scheme: GradeScheme, current: str, metrics: CaseMetrics
) -> RegradeDecision | None:
    """The automatic upgrade that ``metrics`` call for, or None (never a downgrade)."""
    old = scheme.level(current)
    new = scheme.level(evaluate_grade(scheme, metrics))
    if new.rank >= old.rank:
        return None
    band = "metrics crossed a band / 指标越过等级阈值"
    return RegradeDecision(old.id, new.id, upgrade=True, automatic=True, reason=band)
