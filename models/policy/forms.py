"""What each action on a case needs from the person doing it, and the check of what they gave.

Each action's fields are in its catalogue entry (`models.policy.catalogue`); the same lists
serve every front (the CLI's options, the console's forms, a signed link's confirmation page)
and the repository, which refuses a missing or malformed value with a message
naming the field. Completing an obligation needs what proves it done: the verification result,
the reply's link, or an optional note. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from models.policy.errors import PolicyError
from models.policy.policy import ObligationRule, Policy
from models.policy.stages import StageEvent

__all__ = [
    "MAX_ID",
    "FieldRefused",
    "FormField",
    "choice",
    "completion_fields",
    "field",
    "parse_count",
    "parse_id",
    "parse_time",
    "validated",
]

MAX_TEXT = 20_000  # characters in one free-text field: a page of prose, not a dump
MAX_ID = 2**31 - 1  # ids and counts are the databases' integer columns (PostgreSQL `integer`)
_NUMBER = re.compile(r"[0-9]{1,10}")  # ASCII digits only: str.isdigit() also accepts "²"
URL_KEYS = frozenset({"authoritative_info"})  # published information: its link is the proof

FieldKind = Literal[
    "text", "textarea", "url", "datetime", "person", "grade", "unit", "units", "choice"
]


E = TypeVar("E", bound=StrEnum)


class FieldRefused(PolicyError):
    """A form value that cannot be used; the message names the field, in Chinese."""


@dataclass(frozen=True)
class FormField:
    """A field an action's form needs (the console and the link's confirmation page show it)."""

    name: str
    label: str
    kind: FieldKind
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for "choice"


def field(name: str, label: str, kind: FieldKind, required: bool = True) -> FormField:
    return FormField(name, label, kind, required)


def choice(name: str, label: str, labels: Mapping[E, str]) -> FormField:
    """A required choice among an enum's values, shown by their labels."""
    return FormField(name, label, "choice", True, tuple((k.value, v) for k, v in labels.items()))


def completion_fields(rule: ObligationRule) -> tuple[FormField, ...]:
    """What completing the obligation needs: the verification text, the reply's URL, or
    (otherwise) an optional note."""
    if rule.closed_by is StageEvent.verify:
        return (field("result", "核查结果", "textarea"),)
    if rule.closed_by is StageEvent.respond or rule.key in URL_KEYS:
        return (field("url", "回应链接", "url"),)
    return (field("note", "办理说明", "textarea", required=False),)


def publishes(policy: Policy, grade: str, key: str) -> bool:
    """Whether completing the obligation publishes something (a reply, information)."""
    rule = policy.rule_any_grade(grade, key)
    return rule.closed_by is StageEvent.respond or rule.key in URL_KEYS


def validated(fields: Sequence[FormField], form: Mapping[str, str]) -> dict[str, str]:
    """The form's values for `fields`, stripped; a missing required value, an over-long text or
    a link that is not http(s) is refused naming the field."""
    values: dict[str, str] = {}
    for field in fields:
        value = (form.get(field.name) or "").strip()
        if not value:
            if field.required:
                raise FieldRefused(f"缺少字段 {field.name}（{field.label}）")
            continue
        if len(value) > MAX_TEXT:
            raise FieldRefused(f"字段 {field.name}（{field.label}）过长：最多 {MAX_TEXT} 字")
        if field.kind == "url" and not value.startswith(("http://", "https://")):
            raise FieldRefused(f"字段 {field.name}（{field.label}）须是 http(s) 链接：{value!r}")
        if field.choices and value not in {v for v, _ in field.choices}:
            allowed = "、".join(f"{v}（{label}）" for v, label in field.choices)
            raise FieldRefused(
                f"字段 {field.name}（{field.label}）：未知取值 {value!r}，可用：{allowed}"
            )
        values[field.name] = value
    return values


def parse_time(
    text: str, tz: ZoneInfo, *, field: FormField, now: datetime, within: timedelta
) -> datetime:
    """An ISO time (`2026-11-22 18:00`, `2026-11-22T18:00+08:00`; no zone means `tz`), within
    `within` of `now` either way: a date outside that window is a typo, not a deadline."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FieldRefused(
            f"字段 {field.name}（{field.label}）不是有效时间：{text[:40]!r}，例：2026-11-22 18:00"
        ) from None
    parsed = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)
    if not now - within <= parsed <= now + within:
        raise FieldRefused(
            f"字段 {field.name}（{field.label}）须在当前时间前后 {within.days} 天内：{text[:40]!r}"
        )
    return parsed


def parse_id(text: str, *, name: str, label: str) -> int:
    """A record's number (a case, a request) as typed: 1 to `MAX_ID`, else refused naming the
    field."""
    raw = text.strip()
    if not _NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_ID:
        raise FieldRefused(f"字段 {name}（{label}）须是 1 到 {MAX_ID} 之间的整数：{raw[:20]!r}")
    return int(raw)


def parse_count(text: str, *, name: str, label: str) -> int:
    """A count as typed (clicks, comments): empty is 0; otherwise 0 to `MAX_ID`."""
    raw = text.strip()
    if not raw:
        return 0
    if not _NUMBER.fullmatch(raw) or int(raw) > MAX_ID:
        raise FieldRefused(f"字段 {name}（{label}）须是 0 到 {MAX_ID} 之间的整数：{raw[:20]!r}")
    return int(raw)
