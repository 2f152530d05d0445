"""What a person's action brings to the repository (`Acting`): on which case, by whom, when,
with what form, under which rules (and whether a release blackout is in force); the form's
values as the performers read them (a field, a needed field, the units, the obligation, the
request). `models.repo.performers` maps each action to its function."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.parse.topics import Topic
from models.policy import Policy, WorkCalendar
from models.policy.catalogue import spec
from models.policy.forms import FieldRefused, parse_id
from models.policy.routing import Routing
from models.repo.cases import CaseError


@dataclass(frozen=True)
class Acting:
    """One action as the repository takes it: on which case, by whom (a person's id, or `cli`
    for the command line without one), when, with what form and under which rules."""

    case_id: int
    actor: str
    at: datetime
    form: Mapping[str, str]
    policy: Policy
    calendar: WorkCalendar
    subject: str | None = None  # an obligation key, or `reqN` for a decision
    routing: Routing = field(default_factory=Routing)
    horizon_days: int = 366
    topics: tuple[Topic, ...] = ()
    blackout: str = ""  # the sensitive period in force with a release blackout (S4), if any

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.policy.timezone)

    def get(self, name: str) -> str:
        return (self.form.get(name) or "").strip()

    def need(self, action: str, name: str) -> str:
        value = self.get(name)
        if not value:
            raise CaseError(f"缺少字段 {name}（{spec(action).field(name).label}）")
        return value

    def key(self) -> str:
        if self.subject is None or not self.subject.strip():
            raise CaseError("缺少字段 obligation（事项）")
        return self.subject.strip()

    def units(self, name: str = "units") -> list[str]:
        return [u.strip() for u in self.get(name).replace("，", ",").split(",") if u.strip()]

    def common(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "actor": self.actor, "at": self.at}

    def rules(self) -> dict[str, Any]:
        return {"policy": self.policy, "calendar": self.calendar}


def request_id(subject: str | None, form: Mapping[str, str]) -> int | None:
    """A decision's request: `reqN` from a link, or the form's `request`; None: the only one."""
    raw = (subject or "").removeprefix("req") or (form.get("request") or "").strip()
    if not raw:
        return None
    try:
        return parse_id(raw, name="request", label="申请编号")
    except FieldRefused as exc:
        raise CaseError(str(exc)) from None
