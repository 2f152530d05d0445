"""``parse_policy``: validate a policy mapping (as read from TOML) into a ``Policy``.

Every problem is collected and reported at once, each naming its dotted path
(``obligations.g1.quick_report.duration: must be > 0``). A number a seed left blank is written
``duration = "required"`` (or ``days = "required"``) with a ``blank`` note quoting the seed; it
must be supplied through ``overrides`` (dotted path → value), else loading fails saying which
number the plan left blank and where it comes from. The obligation matrix itself is read in
``parse_obligations``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from models.policy.errors import PolicyInvalid
from models.policy.fields import Problems
from models.policy.grades import GradeScheme
from models.policy.parse_obligations import read_obligations
from models.policy.parse_playbooks import read_playbooks
from models.policy.parse_routing import read_approvers, read_chain, read_chains, read_notify
from models.policy.parse_scheme import read_scheme
from models.policy.policy import (
    DEFAULT_CHAIN,
    ChainLevel,
    EscalationRule,
    ObligationRule,
    Policy,
)
from models.policy.stages import CANONICAL_ORDER, Stage, StageTemplate, template_problems

__all__ = ["apply_overrides", "parse_policy"]

TOP_KEYS = frozenset(
    {
        "id",
        "title",
        "seed",
        "timezone",
        "scheme",
        "template",
        "closing_time",
        "aftercare",
        "digest_at",
        "sources",
        "notes",
        "rules",
        "obligations",
        "escalation",
        "chain",
        "chains",
        "notify",
        "approvers",
        "playbooks",
    }
)


def parse_policy(
    data: Mapping[str, Any], *, origin: str, overrides: Mapping[str, Any] | None = None
) -> Policy:
    """Validate ``data`` into a ``Policy`` or raise ``PolicyInvalid`` listing every problem."""
    problems = Problems()
    data = apply_overrides(data, overrides or {}, problems)
    problems.unknown_keys(data, TOP_KEYS, "")
    scheme = read_scheme(data.get("scheme"), problems)
    template = _template(data.get("template"), problems)
    obligations = read_obligations(data, scheme, template, problems) if scheme else {}
    escalation = _escalation(data, scheme, problems)
    chain = read_chain(data.get("chain"), "chain", problems)
    chains = read_chains(data, problems)
    _check_chain_names(obligations, chains, problems)
    notify = read_notify(data, scheme, problems) if scheme else {}
    approvers = read_approvers(data, scheme, problems) if scheme else {}
    grade_keys = frozenset(r.key for rules in obligations.values() for r in rules)
    playbooks = read_playbooks(data, grade_keys, problems)
    header = _header(data, problems)
    if problems.items or scheme is None or template is None or header is None:
        raise PolicyInvalid(problems.items or ["策略无效 / invalid policy"], origin=origin)
    return Policy(
        scheme=scheme,
        template=template,
        obligations=obligations,
        escalation=escalation,
        chain=chain,
        chains=chains,
        notify=notify,
        approvers=approvers,
        playbooks=playbooks,
        origin=origin,
        **header,
    )


def _check_chain_names(
    obligations: Mapping[str, tuple[ObligationRule, ...]],
    chains: Mapping[str, tuple[ChainLevel, ...]],
    problems: Problems,
) -> None:
    for grade, rules in obligations.items():
        for rule in rules:
            if rule.chain != DEFAULT_CHAIN and rule.chain not in chains:
                problems.add(
                    f"obligations.{grade}.{rule.key}.chain",
                    f"没有督办链“{rule.chain}”，须在 [[chains.{rule.chain}]] 定义 / unknown chain",
                )


def _header(data: Mapping[str, Any], problems: Problems) -> dict[str, Any] | None:
    pid = problems.ident(data, "id", "id")
    title = problems.text(data, "title", "title")
    aftercare = problems.duration(data.get("aftercare", "7d"), "aftercare")
    sources = data.get("sources", [])
    notes = data.get("notes", [])
    for key, value in (("sources", sources), ("notes", notes)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.add(key, "必须是字符串数组 / must be an array of strings")
    header = {
        "id": pid,
        "title": title,
        "timezone": problems.timezone(data, "timezone", "timezone"),
        "closing_time": problems.clock_time(data, "closing_time", "closing_time"),
        "digest_at": problems.clock_time(data, "digest_at", "digest_at"),
        "seed": problems.text(data, "seed", "seed", required=False) or "",
        "aftercare": aftercare or timedelta(days=7),
        "sources": tuple(sources) if isinstance(sources, list) else (),
        "notes": tuple(notes) if isinstance(notes, list) else (),
    }
    return None if pid is None or title is None else header


def apply_overrides(
    data: Mapping[str, Any], overrides: Mapping[str, Any], problems: Problems
) -> Mapping[str, Any]:
    """A copy of ``data`` with each dotted-path override set (tables along the path must exist)."""
    copy: dict[str, Any] = _deep_copy(data)
    for path, value in overrides.items():
        *parents, leaf = path.split(".")
        table: Any = copy
        for part in parents:
            table = table.get(part) if isinstance(table, dict) else None
        if not isinstance(table, dict) or not leaf:
            problems.add(f"overrides[{path!r}]", "策略中没有此表 / no such table in the policy")
            continue
        table[leaf] = value
    return copy


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def _template(value: Any, problems: Problems) -> StageTemplate | None:
    if value is None or value == "full":
        return StageTemplate.full()
    if not isinstance(value, Mapping):
        problems.add("template", '必须是 "full" 或表 / must be "full" or a table')
        return None
    problems.unknown_keys(value, frozenset({"id", "stages", "optional"}), "template")
    tid = problems.ident(value, "id", "template.id")
    stages = _stages(
        value.get("stages", [s.value for s in CANONICAL_ORDER]), "template.stages", problems
    )
    optional = _stages(value.get("optional", []), "template.optional", problems)
    if tid is None or stages is None or optional is None:
        return None
    found = template_problems(stages, frozenset(optional))
    for problem in found:
        problems.add("template.stages", problem)
    return None if found else StageTemplate(tid, stages, frozenset(optional))


def _stages(value: Any, path: str, problems: Problems) -> tuple[Stage, ...] | None:
    if not isinstance(value, list):
        problems.add(path, "必须是阶段名数组 / must be an array of stage names")
        return None
    parsed = [problems.choice(Stage, v, f"{path}[{i}]") for i, v in enumerate(value)]
    return None if None in parsed else tuple(s for s in parsed if s is not None)


def _escalation(
    data: Mapping[str, Any], scheme: GradeScheme | None, problems: Problems
) -> dict[str, EscalationRule]:
    table = problems.table(data, "escalation", "escalation")
    if table is None or scheme is None:
        return {}
    out: dict[str, EscalationRule] = {}
    for name, raw in table.items():
        path = f"escalation.{name}"
        grade = scheme.levels_by_name().get(name)
        if grade is None:
            problems.add(path, f"未知等级，可用：{', '.join(scheme.ids)} / unknown grade")
        elif not isinstance(raw, Mapping):
            problems.add(path, "必须是表 / must be a table")
        else:
            rule = _escalation_rule(raw, path, problems)
            if rule is not None:
                out[grade] = rule
    for grade in scheme.ids:
        if grade not in out and not any(
            path.startswith(f"escalation.{grade}") for path in problems.items
        ):
            problems.add(f"escalation.{grade}", "缺少此等级的督办规则 / missing for this grade")
    return out


def _escalation_rule(
    raw: Mapping[str, Any], path: str, problems: Problems
) -> EscalationRule | None:
    keys = frozenset({"ack_window", "repeat_interval", "reminder_fraction", "source"})
    problems.unknown_keys(raw, keys, path)
    ack = problems.duration(raw.get("ack_window"), f"{path}.ack_window")
    repeat = problems.duration(raw.get("repeat_interval"), f"{path}.repeat_interval")
    fraction = raw.get("reminder_fraction", 0.75)
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, int | float)
        or not (0 < fraction < 1)
    ):
        problems.add(f"{path}.reminder_fraction", "须在 0 与 1 之间 / must be between 0 and 1")
        return None
    if ack is None or repeat is None:
        return None
    return EscalationRule(ack, repeat, float(fraction), str(raw.get("source", "")))
