"""The policy value: obligations per grade, escalation per grade, the chain, and the template.

A ``Policy`` is plain data, usually parsed from a TOML preset by ``parse.parse_policy``. An
``ObligationRule`` is one cell of the grade × obligation matrix (DESIGN §4): what must happen,
counted from which anchor, how long on which clock, who owns it, which stage event satisfies
it, and the seed it comes from. Role names are the project's fixed vocabulary
(``models.policy.roles``); ``OWNER`` in a chain level stands for the obligation's own owner role.

Who is told of what is policy too: ``notify`` names the roles told of each stage event per grade
(the quick report's report targets, the watchers of a closure…), ``approvers`` the roles that
may decide each kind of request per grade (seeds-spec §4.3), and ``chains`` named escalation
chains beside the default one, for obligations with their own (S1-18's report to the cyberspace
office). Roles of ``UNIT_ROLES`` are resolved within the case's responsible units; the others
across the organisation, with the duty roster overlaid. Outside bodies (宣传部, 网信办…) are
roles too, held by their contacts in the directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta

from models.policy.clocks import Anchor, Clock
from models.policy.errors import PolicyError
from models.policy.grades import GradeScheme
from models.policy.roles import DEFAULT_APPROVERS, DEFAULT_NOTIFY, KIND_APPROVERS, OWNER
from models.policy.stages import StageEvent, StageTemplate

__all__ = [
    "INSTANCE",
    "MET_BY",
    "ChainLevel",
    "EscalationRule",
    "ObligationRule",
    "Playbook",
    "Policy",
    "base_key",
]

# The actions that meet an obligation besides a stage event (`ObligationRule.met_by`): a
# leader's instruction (S2-4.3 批办), an approved handling plan (S1-2, S1-5), the case file
# exported (S2-4.3 立卷归档), any quick report or 续报, a referral to the named body.
MET_BY = ("instruct", "plan", "archive", "report", "refer")
INSTANCE = "@"  # a further instance of a rule: `quick_report@2` (续报), `verification@2`
DEFAULT_CHAIN = "default"
ANY_GRADE = "default"  # in `notify` and `approvers`: the roles for grades not named


@dataclass(frozen=True)
class ObligationRule:
    """Something that must happen by a time: ``duration`` for wall, ``days`` for day clocks."""

    key: str
    title: str
    anchor: Anchor
    duration: timedelta | None
    days: int | None
    clock: Clock
    owner_role: str
    source: str
    closed_by: StageEvent | None = None
    note: str = ""
    max_days: int | None = None  # extension cap on a day clock (S2-4.3: 延长不得超过5日)
    chain: str = DEFAULT_CHAIN  # the escalation chain it climbs when it lapses
    optional: bool = False  # 需要时: the office may resolve it as 不需要 with a reason
    met_by: tuple[str, ...] = ()  # actions that meet it (`MET_BY`): instruct, plan, refer:…

    @property
    def waivable(self) -> bool:
        """An optional obligation, or one no stage event meets, may be resolved as 不需要."""
        return self.optional or (self.closed_by is None and not self.met_by)

    def describe(self) -> str:
        """The amount in words, e.g. ``30分钟`` or ``5个工作日``."""
        if self.clock is Clock.wall and self.duration is not None:
            return describe_duration(self.duration)
        unit = "个工作日" if self.clock is Clock.working_days else "日"
        return f"{self.days}{unit}"


def describe_duration(value: timedelta) -> str:
    """``30分钟``, ``3小时``, ``1小时30分钟``, ``48小时`` (wall time is always in hours)."""
    hours, mins = divmod(int(value.total_seconds() // 60), 60)
    parts = ([f"{hours}小时"] if hours else []) + ([f"{mins}分钟"] if mins else [])
    return "".join(parts) or "0分钟"


@dataclass(frozen=True)
class EscalationRule:
    """Per grade: the ack window, the interval between chain levels, the reminder point."""

    ack_window: timedelta
    repeat_interval: timedelta
    reminder_fraction: float = 0.75
    source: str = ""


@dataclass(frozen=True)
class ChainLevel:
    """One rung of the no-completion chain; ``OWNER`` means the obligation's owner role."""

    level: int
    roles: tuple[str, ...]
    label: str

    def recipients(self, owner_role: str) -> tuple[str, ...]:
        """The roles to tell, with ``OWNER`` replaced by ``owner_role`` and no repeats."""
        resolved = (owner_role if r == OWNER else r for r in self.roles)
        return tuple(dict.fromkeys(resolved))


@dataclass(frozen=True)
class Policy:
    """One organisation's complete handling policy."""

    id: str
    title: str
    timezone: str
    scheme: GradeScheme
    template: StageTemplate
    obligations: Mapping[str, tuple[ObligationRule, ...]]
    escalation: Mapping[str, EscalationRule]
    chain: tuple[ChainLevel, ...]
    closing_time: time | None = None
    aftercare: timedelta = timedelta(days=7)
    digest_at: time | None = None
    seed: str = ""
    sources: tuple[str, ...] = ()
    origin: str = ""
    notes: tuple[str, ...] = field(default=())
    chains: Mapping[str, tuple[ChainLevel, ...]] = field(default_factory=dict)  # named, extra
    notify: Mapping[StageEvent, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    approvers: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    playbooks: Mapping[str, Playbook] = field(default_factory=dict)  # by content category

    def __repr__(self) -> str:
        return f"Policy(id={self.id!r}, scheme={self.scheme.id!r}, origin={self.origin!r})"

    def __hash__(self) -> int:
        # The mappings are not hashable; equal policies always share id and origin.
        return hash((self.id, self.origin))

    def _grade(self, grade_id: str) -> str:
        return self.scheme.level(grade_id).id

    def obligations_for(self, grade_id: str) -> tuple[ObligationRule, ...]:
        """The rules of a grade (id, label or alias), in the policy's order."""
        return self.obligations.get(self._grade(grade_id), ())

    def rule(self, grade_id: str, key: str) -> ObligationRule:
        """One rule; ``PolicyError`` if the grade has no such obligation."""
        for rule in self.obligations_for(grade_id):
            if rule.key == key:
                return rule
        raise PolicyError(
            f"等级 {grade_id} 没有义务“{key}” / grade {grade_id!r} has no obligation {key!r}"
        )

    def escalation_for(self, grade_id: str) -> EscalationRule:
        grade = self._grade(grade_id)
        try:
            return self.escalation[grade]
        except KeyError:
            raise PolicyError(
                f"等级 {grade} 未配置督办规则 / no escalation rule for grade {grade!r}"
            ) from None

    def rule_keys(self) -> tuple[str, ...]:
        """Every obligation key across grades, first appearance first."""
        keys = (r.key for grade in self.scheme.ids for r in self.obligations.get(grade, ()))
        return tuple(dict.fromkeys(keys))

    def rule_any_grade(self, grade_id: str, key: str) -> ObligationRule:
        """The rule under the grade, else under any grade (an obligation opened before a
        regrade may belong to no rule of the new grade), else a playbook's; a further
        instance (`quick_report@2`) follows its rule."""
        key = base_key(key)
        for grade in (self._grade(grade_id), *self.scheme.ids):
            for rule in self.obligations.get(grade, ()):
                if rule.key == key:
                    return rule
        for playbook in self.playbooks.values():
            for rule in playbook.all_rules:
                if rule.key == key:
                    return rule
        raise PolicyError(f"策略 {self.id} 没有事项“{key}”的规则 / no rule for {key!r}")

    def chain_named(self, name: str) -> tuple[ChainLevel, ...]:
        if name == DEFAULT_CHAIN:
            return self.chain
        try:
            return self.chains[name]
        except KeyError:
            raise PolicyError(f"没有督办链“{name}” / no chain {name!r}") from None

    def chain_for(self, grade_id: str, key: str) -> tuple[ChainLevel, ...]:
        """The chain an obligation climbs (its rule's, else the default)."""
        try:
            return self.chain_named(self.rule_any_grade(grade_id, key).chain)
        except PolicyError:
            return self.chain

    def chain_level(self, level: int, chain: tuple[ChainLevel, ...] | None = None) -> ChainLevel:
        for rung in chain or self.chain:
            if rung.level == level:
                return rung
        raise PolicyError(f"督办链没有第 {level} 级 / the chain has no level {level}")

    def notify_roles(self, event: StageEvent, grade_id: str) -> tuple[str, ...]:
        """Who is told of `event` on a case of the grade."""
        by_grade = self.notify.get(event)
        if by_grade is None:
            return DEFAULT_NOTIFY[event]
        grade = self._grade(grade_id)
        return by_grade.get(grade, by_grade.get(ANY_GRADE, DEFAULT_NOTIFY[event]))

    def approver_roles(self, kind: str, grade_id: str) -> tuple[str, ...]:
        """The roles that may decide a request of `kind` on a case of the grade."""
        by_grade = self.approvers.get(kind, {})
        grade = self._grade(grade_id)
        if kind == "release" and not by_grade:
            return self.approver_roles("statement", grade)
        fallback = KIND_APPROVERS.get(kind, DEFAULT_APPROVERS)
        return by_grade.get(grade, by_grade.get(ANY_GRADE, fallback))


def base_key(key: str) -> str:
    """The rule a further instance follows: `quick_report@2` → `quick_report`."""
    return key.split(INSTANCE, 1)[0]


@dataclass(frozen=True)
class Playbook:
    """What a content category adds (F11, seeds-spec §5): roles told when a case is given it,
    obligations opened then (a referral within N hours, `met_by = "refer:…"`), and the
    obligation a continuing spread after the reply opens (S1-1 四(三)2: 炒作持续 → 研究移送)."""

    category: str
    notify: tuple[str, ...] = ()
    rules: tuple[ObligationRule, ...] = ()
    continued: ObligationRule | None = None
    source: str = ""

    @property
    def all_rules(self) -> tuple[ObligationRule, ...]:
        return (*self.rules, *([self.continued] if self.continued else []))
