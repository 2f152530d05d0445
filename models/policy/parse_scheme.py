"""Reading a grade scheme from policy data: a built-in id or an inline ``[scheme]`` table.

Inline levels look like ``[[scheme.levels]] id = "g1" label = "一级" rank = 1 aliases = [...]``
with optional criteria ``[[scheme.levels.any]]``; each criterion is a table of conditions that
must all hold: ``clicks_min``/``clicks_max`` (and the same for comments, reposts, sites,
mainstream_sites), ``media_level_in = ["central", ...]``, ``traditional_media = true``,
``sensitive_period = true``. Problems are collected, not raised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from models.policy.fields import Problems
from models.policy.grades import (
    COUNT_METRICS,
    FLAG_METRICS,
    Condition,
    Criterion,
    GradeLevel,
    GradeRule,
    GradeScheme,
    MediaLevel,
    Metric,
)
from models.policy.schemes import BUILTIN_SCHEMES

__all__ = ["read_scheme"]

LEVEL_KEYS = frozenset({"id", "label", "rank", "aliases", "any", "source"})


def read_scheme(value: Any, problems: Problems) -> GradeScheme | None:
    """A built-in scheme by id, or an inline table; None (with problems) when invalid."""
    if value is None:
        return BUILTIN_SCHEMES["three_grade"]
    if isinstance(value, str):
        if value in BUILTIN_SCHEMES:
            return BUILTIN_SCHEMES[value]
        known = ", ".join(BUILTIN_SCHEMES)
        problems.add("scheme", f"未知分级方案 {value!r}，内置：{known} / unknown scheme")
        return None
    if not isinstance(value, Mapping):
        problems.add("scheme", "必须是内置方案名或表 / must be a scheme id or a table")
        return None
    return _inline(value, problems)


def _inline(data: Mapping[str, Any], problems: Problems) -> GradeScheme | None:
    problems.unknown_keys(data, frozenset({"id", "title", "levels"}), "scheme")
    sid = problems.ident(data, "id", "scheme.id")
    title = problems.text(data, "title", "scheme.title")
    raw = data.get("levels")
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        problems.add("scheme.levels", "必须是非空的表数组 / must be a non-empty array of tables")
        return None
    before = len(problems.items)
    levels: list[GradeLevel] = []
    rules: list[GradeRule] = []
    for i, item in enumerate(raw):
        parsed = _level(item, f"scheme.levels[{i}]", problems)
        if parsed is not None:
            levels.append(parsed[0])
            if parsed[1] is not None:
                rules.append(parsed[1])
    _check_names(levels, problems)
    if len(problems.items) > before or sid is None or title is None:
        return None
    return GradeScheme(id=sid, title=title, levels=tuple(levels), rules=tuple(rules))


def _level(item: Any, path: str, problems: Problems) -> tuple[GradeLevel, GradeRule | None] | None:
    if not isinstance(item, Mapping):
        problems.add(path, "必须是表 / must be a table")
        return None
    problems.unknown_keys(item, LEVEL_KEYS, path)
    lid = problems.ident(item, "id", f"{path}.id")
    label = problems.text(item, "label", f"{path}.label")
    rank = problems.positive_int(item.get("rank"), f"{path}.rank")
    aliases = item.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        problems.add(f"{path}.aliases", "必须是字符串数组 / must be an array of strings")
        aliases = []
    criteria = _criteria(item.get("any", []), f"{path}.any", problems)
    if lid is None or label is None or rank is None:
        return None
    level = GradeLevel(lid, label, rank, tuple(aliases))
    rule = GradeRule(lid, criteria, str(item.get("source", ""))) if criteria else None
    return level, rule


def _criteria(raw: Any, path: str, problems: Problems) -> tuple[Criterion, ...]:
    if not isinstance(raw, list):
        problems.add(path, "必须是表数组 / must be an array of tables")
        return ()
    out = []
    for i, table in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(table, Mapping) or not table:
            problems.add(where, "必须是非空表 / must be a non-empty table")
            continue
        conds = [
            _condition(k, v, f"{where}.{k}", problems) for k, v in table.items() if k != "note"
        ]
        if all(c is not None for c in conds):
            out.append(Criterion(tuple(c for c in conds if c), str(table.get("note", ""))))
    return tuple(out)


def _condition(key: str, value: Any, path: str, problems: Problems) -> Condition | None:
    if key == "media_level_in":
        if not isinstance(value, list) or not value:
            problems.add(path, "必须是非空数组 / must be a non-empty array")
            return None
        levels = [problems.choice(MediaLevel, v, path) for v in value]
        ok = [lvl for lvl in levels if lvl is not None]
        return Condition(Metric.media_level, media_levels=frozenset(ok)) if ok else None
    if key in {m.value for m in FLAG_METRICS}:
        if value is not True:
            problems.add(path, "只能写 true / must be true")
            return None
        return Condition(Metric(key))
    name, _, bound = key.rpartition("_")
    if name not in {m.value for m in COUNT_METRICS} or bound not in {"min", "max"}:
        problems.add(path, "未知条件 / unknown condition (e.g. clicks_min, media_level_in)")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.add(path, "必须是非负整数 / must be an integer >= 0")
        return None
    if bound == "min":
        return Condition(Metric(name), minimum=value)
    return Condition(Metric(name), maximum=value)


def _check_names(levels: list[GradeLevel], problems: Problems) -> None:
    seen: dict[str, str] = {}
    for lvl in levels:
        for name in lvl.names:
            if name in seen and seen[name] != lvl.id:
                problems.add("scheme.levels", f"名称“{name}”重复 / duplicate grade name")
            seen[name] = lvl.id
    ranks = [lvl.rank for lvl in levels]
    if len(set(ranks)) != len(ranks):
        problems.add("scheme.levels", "rank 重复 / duplicate ranks")
