"""Shared pieces of the settings: the role names, id patterns, the error that names every
problem, and the frozen base class every section derives from."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict

# The same names as models.policy.ROLES (a Literal must spell them out for validation and mypy;
# tests/unit/test_settings.py checks the two agree).
Role = Literal[
    "monitor",
    "office_staff",
    "office_head",
    "leader_in_charge",
    "principal_leader",
    "group_head",
    "duty_officer",
    "unit_responsible",
    "unit_liaison",
    "approver",
    "operator",
    "propaganda_dept",
    "cyberspace_office",
    "party_committee",
    "superior_group",
    "government_leader",
    "political_legal",
]
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CHANNEL_ID_PATTERN = r"^[a-z0-9][a-z0-9_]{0,63}$"  # env-var friendly: no dashes


class SettingsError(Exception):
    """A settings file or environment that cannot be used; `problems` names every field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Section(BaseModel):
    # No infinite or NaN number anywhere in the settings: `inf` seconds is no interval at all.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|秒|m|min|分钟|h|小时|d|天)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "秒": 1, "m": 60, "min": 60, "分钟": 60, "h": 3600, "小时": 3600}
_UNIT_SECONDS |= {"d": 86400, "天": 86400}


def _span(value: Any) -> Any:
    """A duration written for people: "24h", "90m", "30s", "2d" (or 小时, 分钟, 秒, 天), or a
    number of seconds; anything else is left for pydantic to refuse."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str) and (found := _SPAN.match(value)):
        unit = (found.group(2) or "s").lower()
        return timedelta(seconds=float(found.group(1)) * _UNIT_SECONDS[unit])
    return value


Span = Annotated[timedelta, BeforeValidator(_span)]
