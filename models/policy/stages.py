"""Case stages, the events that move a case between them, and per-organisation templates.

The canonical order (DESIGN §2, seeds-spec §1.3) is detected → reported → assessed →
dispatched → verified → statement_approved → responded → tracking → closed → reviewed, with
aftercare (善后) modelled as ``reopen``: a closed (or reviewed) case returns to ``tracking``
while the aftercare window is open. Each forward event targets one stage and is legal from the
stage just before it in the organisation's template (skipping only stages the template marks
optional). This module knows nothing about deadlines; ``transitions.py`` adds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from models.policy.errors import IllegalTransition, PolicyError

__all__ = [
    "CANONICAL_ORDER",
    "EVENT_LABELS",
    "EVENT_TARGET",
    "REOPENABLE",
    "Stage",
    "StageEvent",
    "StageTemplate",
]


class Stage(StrEnum):
    """Where a case is; values are stored as lower-case text."""

    detected = "detected"
    reported = "reported"
    assessed = "assessed"
    dispatched = "dispatched"
    verified = "verified"
    statement_approved = "statement_approved"
    responded = "responded"
    tracking = "tracking"
    closed = "closed"
    reviewed = "reviewed"


class StageEvent(StrEnum):
    """What happened to a case."""

    report = "report"
    assess = "assess"
    dispatch = "dispatch"
    verify = "verify"
    approve_statement = "approve_statement"
    respond = "respond"
    track = "track"
    close = "close"
    review = "review"
    reopen = "reopen"


CANONICAL_ORDER: tuple[Stage, ...] = tuple(Stage)

EVENT_TARGET: Mapping[StageEvent, Stage] = {
    StageEvent.report: Stage.reported,
    StageEvent.assess: Stage.assessed,
    StageEvent.dispatch: Stage.dispatched,
    StageEvent.verify: Stage.verified,
    StageEvent.approve_statement: Stage.statement_approved,
    StageEvent.respond: Stage.responded,
    StageEvent.track: Stage.tracking,
    StageEvent.close: Stage.closed,
    StageEvent.review: Stage.reviewed,
    StageEvent.reopen: Stage.tracking,
}

REOPENABLE = frozenset({Stage.closed, Stage.reviewed})

STAGE_LABELS: Mapping[Stage, str] = {
    Stage.detected: "发现",
    Stage.reported: "快报",
    Stage.assessed: "研判",
    Stage.dispatched: "交办",
    Stage.verified: "核查",
    Stage.statement_approved: "通稿审定",
    Stage.responded: "回应发布",
    Stage.tracking: "跟踪",
    Stage.closed: "办结",
    Stage.reviewed: "总结评估",
}


EVENT_LABELS: Mapping[StageEvent, str] = {
    StageEvent.report: "报送快报",
    StageEvent.assess: "研判",
    StageEvent.dispatch: "下发联系单",
    StageEvent.verify: "核查反馈",
    StageEvent.approve_statement: "审定通稿",
    StageEvent.respond: "回应发布",
    StageEvent.track: "转入跟踪",
    StageEvent.close: "办结",
    StageEvent.review: "总结评估",
    StageEvent.reopen: "重新打开",
}


def illegal(stage: Stage, event: StageEvent, detail: str = "") -> IllegalTransition:
    """The refusal of `event` in `stage`, in the office's words."""
    names = (STAGE_LABELS[stage], EVENT_LABELS[event])
    return IllegalTransition(stage, event, detail, names=names)


@dataclass(frozen=True)
class StageTemplate:
    """The stages an organisation uses, in order; ``optional`` stages may be skipped."""

    id: str
    stages: tuple[Stage, ...]
    optional: frozenset[Stage] = frozenset()

    def __post_init__(self) -> None:
        problems = template_problems(self.stages, self.optional)
        if problems:
            raise PolicyError("；".join(problems))

    @classmethod
    def full(cls) -> StageTemplate:
        return cls(id="full", stages=CANONICAL_ORDER)

    def target(self, stage: Stage, event: StageEvent) -> Stage:
        """The stage ``event`` moves a case in ``stage`` to; raises ``IllegalTransition``."""
        if stage not in self.stages:
            raise illegal(stage, event, f"预案的阶段模板“{self.id}”没有此阶段")
        if event is StageEvent.reopen:
            if stage not in REOPENABLE:
                raise illegal(stage, event, "只有已办结的案件可在善后期内重新打开")
            return self.reopen_stage
        to = EVENT_TARGET[event]
        if to not in self.stages:
            raise illegal(stage, event, f"预案的阶段模板没有“{STAGE_LABELS[to]}”阶段")
        if to not in self._reachable_from(stage):
            raise illegal(stage, event, f"须先完成“{STAGE_LABELS[stage]}”之后的阶段")
        return to

    @property
    def reopen_stage(self) -> Stage:
        """Where ``reopen`` leads: ``tracking``, or the stage before ``closed`` without it."""
        if Stage.tracking in self.stages:
            return Stage.tracking
        return self.stages[self.stages.index(Stage.closed) - 1]

    def _reachable_from(self, stage: Stage) -> tuple[Stage, ...]:
        """The next stage, plus later ones reachable by skipping optional stages."""
        later = self.stages[self.stages.index(stage) + 1 :]
        reachable: list[Stage] = []
        for nxt in later:
            reachable.append(nxt)
            if nxt not in self.optional:
                break
        return tuple(reachable)


def template_problems(stages: tuple[Stage, ...], optional: frozenset[Stage]) -> list[str]:
    """What is wrong with a stage list (empty when it is a usable template)."""
    problems: list[str] = []
    if len(set(stages)) != len(stages):
        problems.append("阶段重复 / duplicate stages")
    if not stages or stages[0] is not Stage.detected:
        problems.append("模板须以 detected 开始 / template must start with detected")
    if Stage.closed not in stages:
        problems.append("模板须包含 closed / template must contain closed")
    order = [CANONICAL_ORDER.index(s) for s in stages]
    if order != sorted(order):
        problems.append("阶段顺序须与标准顺序一致 / stages must keep the canonical order")
    if optional - set(stages):
        problems.append("可选阶段不在模板中 / optional stages must be in the template")
    if Stage.detected in optional or Stage.closed in optional:
        problems.append("detected 与 closed 不能设为可选 / detected and closed cannot be optional")
    return problems
