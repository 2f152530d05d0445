"""The pure policy engine: stages, grades, clocks, the working-day calendar and policies.

Modules here import only the standard library, each other and ``holidays`` (calendar data);
never an ORM, an HTTP client, Prefect or Apprise (``tests/unit/test_import_boundary.py``).
This file re-exports the public names; the bundled presets are read by ``models.store.presets``.
"""

from __future__ import annotations

from models.policy.calendar import CalendarOverrides, WorkCalendar
from models.policy.clocks import DEFAULT_TZ, Anchor, Clock, DueTime, due_at, due_at_provisional
from models.policy.errors import IllegalTransition, PolicyError, PolicyInvalid, UnknownCalendarYear
from models.policy.escalation import (
    ack_due,
    chain_level_at,
    escalation_times,
    reminder_at,
)
from models.policy.extensions import (
    Extension,
    Pause,
    PauseReason,
    extend_due,
    extension_cap,
    resume_due,
)
from models.policy.grades import (
    CaseMetrics,
    Condition,
    Criterion,
    GradeLevel,
    GradeRule,
    GradeScheme,
    MediaLevel,
    Metric,
    RegradeDecision,
    decide_regrade,
    evaluate_grade,
    upgrade_for_metrics,
)
from models.policy.parse import parse_policy
from models.policy.policy import ChainLevel, EscalationRule, ObligationRule, Policy
from models.policy.regrade import DueChange, OpenObligation, RegradePlan, plan_regrade
from models.policy.roles import OWNER, ROLES, UNIT_ROLES
from models.policy.schemes import BUILTIN_SCHEMES
from models.policy.stages import Stage, StageEvent, StageTemplate
from models.policy.transitions import Transition, apply_event, initial_obligations

__all__ = [
    "BUILTIN_SCHEMES",
    "DEFAULT_TZ",
    "OWNER",
    "ROLES",
    "UNIT_ROLES",
    "Anchor",
    "CalendarOverrides",
    "CaseMetrics",
    "ChainLevel",
    "Clock",
    "Condition",
    "Criterion",
    "DueChange",
    "DueTime",
    "EscalationRule",
    "Extension",
    "GradeLevel",
    "GradeRule",
    "GradeScheme",
    "IllegalTransition",
    "MediaLevel",
    "Metric",
    "ObligationRule",
    "OpenObligation",
    "Pause",
    "PauseReason",
    "Policy",
    "PolicyError",
    "PolicyInvalid",
    "RegradeDecision",
    "RegradePlan",
    "Stage",
    "StageEvent",
    "StageTemplate",
    "Transition",
    "UnknownCalendarYear",
    "WorkCalendar",
    "ack_due",
    "apply_event",
    "chain_level_at",
    "decide_regrade",
    "due_at",
    "due_at_provisional",
    "escalation_times",
    "evaluate_grade",
    "extend_due",
    "extension_cap",
    "initial_obligations",
    "parse_policy",
    "plan_regrade",
    "reminder_at",
    "resume_due",
    "upgrade_for_metrics",
]
