"""Reading the grade × obligation matrix of a policy.

``[rules.KEY]`` holds what every grade shares (title, anchor, clock, owner_role, closed_by);
``[obligations.GRADE.KEY]`` holds the number and its seed citation (``source``), and may
override any shared field. Wall clocks take ``duration = "30min"``; day clocks take
``days = 5``. ``"required"`` marks a number the seed left blank (see ``parse.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from models.policy.clocks import Anchor, Clock
from models.policy.fields import Problems
from models.policy.grades import GradeScheme
from models.policy.policy import DEFAULT_CHAIN, INSTANCE, MET_BY, ObligationRule
from models.policy.roles import ROLES
from models.policy.stages import EVENT_TARGET, StageEvent, StageTemplate
from models.policy.states import ReferralBody

__all__ = ["REQUIRED", "read_obligations", "read_rule"]

REQUIRED = "required"
SHARED_KEYS = frozenset(
    {"title", "anchor", "clock", "owner_role", "closed_by", "note", "chain", "optional", "met_by"}
)
ENTRY_KEYS = SHARED_KEYS | {"duration", "days", "source", "blank", "max_days"}


def read_obligations(
    data: Mapping[str, Any],
    scheme: GradeScheme,
    template: StageTemplate | None,
    problems: Problems,
) -> dict[str, tuple[ObligationRule, ...]]:
    """Grade id → rules, in the order of the ``[rules]`` table."""
    shared = data.get("rules", {})
    if not isinstance(shared, Mapping):
        problems.add("rules", "必须是表 / must be a table")
        shared = {}
    for key, table in shared.items():
        if isinstance(table, Mapping):
            problems.unknown_keys(table, SHARED_KEYS, f"rules.{key}")
    matrix = problems.table(data, "obligations", "obligations") or {}
    order = list(shared)
    out: dict[str, tuple[ObligationRule, ...]] = {}
    for name, entries in matrix.items():
        grade = scheme.levels_by_name().get(name)
        if grade is None:
            problems.add(f"obligations.{name}", f"未知等级，可用：{', '.join(scheme.ids)}")
            continue
        if not isinstance(entries, Mapping):
            problems.add(f"obligations.{name}", "必须是表 / must be a table")
            continue
        rules = [
            read_rule(
                key, shared.get(key, {}), entry, f"obligations.{name}.{key}", template, problems
            )
            for key, entry in entries.items()
        ]
        found = [r for r in rules if r is not None]
        found.sort(key=lambda r: order.index(r.key) if r.key in order else len(order))
        out[grade] = tuple(found)
    return out


def read_rule(
    key: str,
    shared: Any,
    entry: Any,
    path: str,
    template: StageTemplate | None,
    problems: Problems,
) -> ObligationRule | None:
    merged = _merged(key, shared, entry, path, problems)
    if merged is None:
        return None
    title = problems.text(merged, "title", f"{path}.title")
    anchor = problems.choice(Anchor, merged.get("anchor"), f"{path}.anchor")
    clock = problems.choice(Clock, merged.get("clock"), f"{path}.clock")
    owner = _owner(merged.get("owner_role"), f"{path}.owner_role", problems)
    closed_by = _closed_by(merged.get("closed_by"), f"{path}.closed_by", template, problems)
    source = problems.text(merged, "source", f"{path}.source")
    amount = _amount(merged, clock, path, source or "", problems) if clock else None
    if None in (title, anchor, clock, source, amount, owner):
        return None
    assert title and anchor and clock and source and owner  # narrowed for the type checker
    duration = amount if isinstance(amount, timedelta) else None
    days = amount if isinstance(amount, int) else None
    max_days = _max_days(merged.get("max_days"), days, f"{path}.max_days", problems)
    return ObligationRule(
        key=key,
        title=title,
        anchor=anchor,
        duration=duration,
        days=days,
        clock=clock,
        owner_role=owner,
        source=source,
        closed_by=closed_by,
        note=str(merged.get("note", "")),
        max_days=max_days,
        chain=_chain_name(merged.get("chain", DEFAULT_CHAIN), f"{path}.chain", problems),
        optional=_flag(merged.get("optional", False), f"{path}.optional", problems),
        met_by=_met_by(merged.get("met_by", []), f"{path}.met_by", problems),
    )


def _merged(
    key: str, shared: Any, entry: Any, path: str, problems: Problems
) -> dict[str, Any] | None:
    """The entry over the grade-shared rule of its key; None (a problem) when it is no table."""
    if not isinstance(entry, Mapping):
        problems.add(path, "必须是表 / must be a table")
        return None
    problems.unknown_keys(entry, ENTRY_KEYS, path)
    if INSTANCE in key:
        problems.add(path, f"事项代码不能含“{INSTANCE}”（留给续报等后续事项）/ reserved character")
    return {**(shared if isinstance(shared, Mapping) else {}), **entry}


def _flag(value: Any, path: str, problems: Problems) -> bool:
    if not isinstance(value, bool):
        problems.add(path, "须为 true 或 false / must be a boolean")
        return False
    return value


def _met_by(value: Any, path: str, problems: Problems) -> tuple[str, ...]:
    """One or a list of: `instruct`, `plan`, `archive`, `report`, `refer:BODY` (a referral
    body); any one of them meets the obligation."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        problems.add(path, "须为字符串或字符串数组 / must be a string or an array of strings")
        return ()
    bodies = {b.value for b in ReferralBody}
    for one in values:
        action, _, body = one.partition(":")
        if (
            action not in MET_BY
            or (action == "refer") != bool(body)
            or (body and body not in bodies)
        ):
            known = "、".join(
                [*(a for a in MET_BY if a != "refer"), *(f"refer:{b}" for b in bodies)]
            )
            problems.add(path, f"无效取值 {one!r}，可用：{known} / unknown action")
            return ()
    return tuple(v for v in values if v)


def _chain_name(value: Any, path: str, problems: Problems) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.add(path, "必须是督办链名称 / must be a chain name")
        return DEFAULT_CHAIN
    return value.strip()


def _owner(value: Any, path: str, problems: Problems) -> str | None:
    if value not in ROLES:
        problems.add(path, f"未知角色 {value!r}，可用：{', '.join(ROLES)}")
        return None
    return str(value)


def _max_days(value: Any, days: int | None, path: str, problems: Problems) -> int | None:
    if value is None:
        return None
    cap = problems.positive_int(value, path)
    if cap is not None and (days is None or cap < days):
        problems.add(path, "须为日时钟且不小于 days / needs a day clock and must be >= days")
        return None
    return cap


def _amount(
    merged: Mapping[str, Any], clock: Clock, path: str, source: str, problems: Problems
) -> timedelta | int | None:
    field_name, other = ("duration", "days") if clock is Clock.wall else ("days", "duration")
    if other in merged:
        problems.add(f"{path}.{other}", f"{clock.value} 时钟应写 {field_name} / use {field_name}")
        return None
    value = merged.get(field_name)
    where = f"{path}.{field_name}"
    if value is None:
        problems.add(where, "缺少此项 / missing")
        return None
    if value == REQUIRED:
        blank = merged.get("blank", "原文此处数值留空")
        problems.add(
            where,
            f'预案未给出此数值（“{blank}”，{source}），请通过 overrides["{where}"]'
            f"（命令行：--set {where}=…）提供 / the plan left this number blank; supply it",
        )
        return None
    if clock is Clock.wall:
        return problems.duration(value, where)
    return problems.positive_int(value, where)


def _closed_by(
    value: Any, path: str, template: StageTemplate | None, problems: Problems
) -> StageEvent | None:
    if value is None:
        return None
    event = problems.choice(StageEvent, value, path)
    if event is None:
        return None
    if event is StageEvent.reopen:
        problems.add(path, "reopen 不能完成义务 / reopen cannot satisfy an obligation")
        return None
    if template is not None and EVENT_TARGET[event] not in template.stages:
        problems.add(path, f"模板“{template.id}”没有阶段 {EVENT_TARGET[event].value}")
        return None
    return event
