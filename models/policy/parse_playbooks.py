"""Reading a policy's category playbooks (F11, seeds-spec §5): ``[playbooks.CATEGORY]`` with
``notify`` (roles told when a case is given the category), ``source``, obligations opened then
(``[playbooks.CATEGORY.obligations.KEY]``: title, clock, duration or days, owner_role, source,
``met_by``, optional) and ``[playbooks.CATEGORY.continued]``: the obligation a spread that goes
on after the reply opens (its key is ``CATEGORY_continued``). The obligations count from the
moment the category is set (stored with the anchor ``assessment``). Problems are collected."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.policy.fields import Problems
from models.policy.parse_obligations import read_rule
from models.policy.parse_routing import roles_of
from models.policy.policy import ObligationRule, Playbook
from models.policy.states import Category

__all__ = ["read_playbooks"]

KEYS = frozenset({"notify", "source", "obligations", "continued"})
SET_AT = {"anchor": "assessment"}  # counted from when the category is set


def read_playbooks(
    data: Mapping[str, Any], grade_keys: frozenset[str], problems: Problems
) -> dict[str, Playbook]:
    """Category → playbook; a rule key may not repeat a grade rule's (`grade_keys`)."""
    table = data.get("playbooks", {})
    if not isinstance(table, Mapping):
        problems.add("playbooks", "必须是表 / must be a table")
        return {}
    out: dict[str, Playbook] = {}
    for name, raw in table.items():
        path = f"playbooks.{name}"
        category = problems.choice(Category, name, path)
        if category is None:
            continue
        if not isinstance(raw, Mapping):
            problems.add(path, "必须是表 / must be a table")
            continue
        problems.unknown_keys(raw, KEYS, path)
        out[category.value] = Playbook(
            category=category.value,
            notify=roles_of(raw.get("notify", []), f"{path}.notify", problems),
            rules=_rules(raw.get("obligations", {}), path, grade_keys, problems),
            continued=_continued(raw.get("continued"), category.value, path, problems),
            source=str(raw.get("source", "")),
        )
    return out


def _rules(
    table: Any, path: str, grade_keys: frozenset[str], problems: Problems
) -> tuple[ObligationRule, ...]:
    if not isinstance(table, Mapping):
        problems.add(f"{path}.obligations", "必须是表 / must be a table")
        return ()
    rules = []
    for key, entry in table.items():
        where = f"{path}.obligations.{key}"
        if key in grade_keys:
            problems.add(where, "与等级事项重名 / the key of a grade's obligation")
            continue
        rule = read_rule(key, SET_AT, entry, where, None, problems)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def _continued(entry: Any, category: str, path: str, problems: Problems) -> ObligationRule | None:
    if entry is None:
        return None
    return read_rule(f"{category}_continued", SET_AT, entry, f"{path}.continued", None, problems)
