"""Reading who is told and who decides: ``[notify.EVENT]``, ``[approvers.KIND]`` and named
``[[chains.NAME]]``, each checked against the grade scheme and the role vocabulary.

```toml
[notify.report]                 # the quick report's targets (快报), per grade
g1 = ["principal_leader", "propaganda_dept"]
default = ["office_head", "duty_officer"]

[approvers.statement]           # who approves the statement (通稿), per grade
g1 = ["principal_leader"]

[[chains.cac]]                  # a chain of its own, named by a rule's `chain = "cac"`
level = 1
roles = ["cyberspace_office"]
label = "网信办"
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.policy.fields import Problems
from models.policy.grades import GradeScheme
from models.policy.policy import ANY_GRADE, ChainLevel
from models.policy.roles import OWNER, ROLES
from models.policy.stages import StageEvent
from models.policy.states import ApprovalKind

__all__ = ["read_approvers", "read_chain", "read_chains", "read_notify", "roles_of"]


def _roles(value: Any, path: str, problems: Problems, *, owner: bool = False) -> tuple[str, ...]:
    allowed = (*ROLES, OWNER) if owner else ROLES
    if not isinstance(value, list) or not value or not all(isinstance(r, str) for r in value):
        problems.add(path, "必须是非空的角色名数组 / must be a non-empty array of role names")
        return ()
    bad = [r for r in value if r not in allowed]
    if bad:
        problems.add(path, f"未知角色 {bad}，可用：{', '.join(allowed)}")
        return ()
    return tuple(dict.fromkeys(value))


def roles_of(value: Any, path: str, problems: Problems) -> tuple[str, ...]:
    """A list of role names that may be empty."""
    return () if value == [] else _roles(value, path, problems)


def _by_grade(
    table: Any, path: str, scheme: GradeScheme, problems: Problems
) -> dict[str, tuple[str, ...]]:
    """``{grade or "default": [roles]}`` with grade names (ids, labels, aliases) made ids."""
    if not isinstance(table, Mapping):
        problems.add(path, "必须是表 / must be a table")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    names = scheme.levels_by_name()
    for name, roles in table.items():
        where = f"{path}.{name}"
        grade = ANY_GRADE if name == ANY_GRADE else names.get(name)
        if grade is None:
            problems.add(where, f"未知等级，可用：{', '.join(scheme.ids)}, {ANY_GRADE}")
            continue
        found = _roles(roles, where, problems)
        if found:
            out[grade] = found
    return out


def read_notify(
    data: Mapping[str, Any], scheme: GradeScheme, problems: Problems
) -> dict[StageEvent, dict[str, tuple[str, ...]]]:
    table = data.get("notify", {})
    if not isinstance(table, Mapping):
        problems.add("notify", "必须是表 / must be a table")
        return {}
    out: dict[StageEvent, dict[str, tuple[str, ...]]] = {}
    for name, by_grade in table.items():
        event = problems.choice(StageEvent, name, f"notify.{name}")
        if event is not None:
            out[event] = _by_grade(by_grade, f"notify.{name}", scheme, problems)
    return out


def read_approvers(
    data: Mapping[str, Any], scheme: GradeScheme, problems: Problems
) -> dict[str, dict[str, tuple[str, ...]]]:
    table = data.get("approvers", {})
    if not isinstance(table, Mapping):
        problems.add("approvers", "必须是表 / must be a table")
        return {}
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, by_grade in table.items():
        kind = problems.choice(ApprovalKind, name, f"approvers.{name}")
        if kind is not None:
            out[kind.value] = _by_grade(by_grade, f"approvers.{name}", scheme, problems)
    return out


def read_chain(value: Any, path: str, problems: Problems) -> tuple[ChainLevel, ...]:
    """An array of ``{level, roles, label}`` tables numbered 1, 2, 3…"""
    if not isinstance(value, list) or not value:
        problems.add(path, "必须是非空的表数组 / must be a non-empty array of tables")
        return ()
    out: list[ChainLevel] = []
    for i, raw in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(raw, Mapping):
            problems.add(where, "必须是表 / must be a table")
            continue
        problems.unknown_keys(raw, frozenset({"level", "roles", "label"}), where)
        roles = _roles(raw.get("roles"), f"{where}.roles", problems, owner=True)
        label = problems.text(raw, "label", f"{where}.label") or ""
        if raw.get("level") != i + 1:
            problems.add(f"{where}.level", f"须为 {i + 1}（从 1 连续编号）/ must be {i + 1}")
        if roles:
            out.append(ChainLevel(i + 1, roles, label))
    return tuple(out)


def read_chains(data: Mapping[str, Any], problems: Problems) -> dict[str, tuple[ChainLevel, ...]]:
    table = data.get("chains", {})
    if not isinstance(table, Mapping):
        problems.add("chains", "必须是表 / must be a table")
        return {}
    return {name: read_chain(levels, f"chains.{name}", problems) for name, levels in table.items()}
