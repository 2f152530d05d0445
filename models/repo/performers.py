"""Each catalogue action's repository function, fed from the form as it came in: the obligation
actions (`models.repo.obligations`, `escalation`), the requests and decisions
(`models.repo.approvals`), the stage actions (`models.repo.stages`) and registration
(`models.repo.intake`). `Acting` carries who, when, the form and the policy; a performer checks
nothing about people (`models.repo.acting` did) and refuses a bad value naming the field. A new
action is its catalogue entry plus its function here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.parse.topics import Topic
from models.policy import Policy, WorkCalendar
from models.policy.catalogue import spec
from models.policy.forms import FieldRefused, parse_count, parse_id, parse_time
from models.policy.registration import registration_times
from models.policy.routing import Routing
from models.repo import approvals, escalation, further, intake, obligations, stages
from models.repo.cases import CaseError
from models.repo.changes import Change

Performer = Callable[[Session, "Acting"], Change]


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

    def units(self) -> list[str]:
        return [u.strip() for u in self.get("units").replace("，", ",").split(",") if u.strip()]

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


def _until(a: Acting) -> datetime:
    window = timedelta(days=a.horizon_days)
    needed = spec("extend").field("until")
    try:
        return parse_time(a.need("extend", "until"), a.tz, field=needed, now=a.at, within=window)
    except FieldRefused as exc:
        raise CaseError(str(exc)) from None


def _ack(s: Session, a: Acting) -> Change:
    return obligations.acknowledge(s, **a.common(), obligation_key=a.subject or None)


def _complete(s: Session, a: Acting) -> Change:
    return obligations.complete(s, **a.common(), obligation_key=a.key(), form=a.form, **a.rules())


def _extend(s: Session, a: Acting) -> Change:
    key, until = a.key(), _until(a)
    return approvals.request_extension(
        s, **a.common(), obligation_key=key, until=until, reason=a.get("reason"), **a.rules()
    )


def _reassign(s: Session, a: Acting) -> Change:
    key, reason = a.key(), a.need("reassign", "reason")
    to = a.need("reassign", "to_person")
    return obligations.reassign(
        s, **a.common(), obligation_key=key, to_person=to, reason=reason, tz_name=a.policy.timezone
    )


def _escalate(s: Session, a: Acting) -> Change:
    key, reason = a.key(), a.need("escalate", "reason")
    return escalation.escalate_now(
        s, **a.common(), obligation_key=key, reason=reason, policy=a.policy, routing=a.routing
    )


def _decide(approve: bool) -> Performer:
    def perform(s: Session, a: Acting) -> Change:
        note = a.get("note") if approve else a.need("reject", "reason")
        return approvals.decide(
            s,
            case_id=a.case_id,
            request_id=request_id(a.subject, a.form),
            decider=a.actor,
            approve=approve,
            note=note,
            at=a.at,
            **a.rules(),
        )

    return perform


def _downgrade(s: Session, a: Acting) -> Change:
    grade = a.get("grade") or None
    return approvals.request_downgrade(
        s, **a.common(), policy=a.policy, reason=a.get("reason"), grade=grade
    )


def _draft(s: Session, a: Acting) -> Change:
    return approvals.draft_statement(s, **a.common(), policy=a.policy, text=a.get("text"))


def _report(s: Session, a: Acting) -> Change:
    units = a.units()
    return further.report(s, **a.common(), **a.rules(), text=a.get("text"), units=units)


def _refer(s: Session, a: Acting) -> Change:
    return stages.refer(s, **a.common(), to=a.get("to"), note=a.get("note"))


def _register(s: Session, a: Acting) -> Change:
    clicks = parse_count(a.get("clicks"), name="clicks", label="点击量")
    comments = parse_count(a.get("comments"), name="comments", label="评论数")
    within = timedelta(days=a.horizon_days)
    times = registration_times(a.form, a.tz, now=a.at, within=within)
    return intake.register(
        s,
        title=a.get("title"),
        text=a.get("text"),
        actor=a.actor,
        via=a.get("via") or "人工登记",
        topics=a.topics,
        now=a.at,
        url=a.get("url") or None,
        category=a.get("category") or None,
        grade=a.get("grade") or None,
        clicks=clicks,
        comments=comments,
        posted_at=times.get("posted_at"),
        occurred_at=times.get("occurred_at"),
        **a.rules(),
    )


_STAGED: Mapping[str, Callable[[Acting], dict[str, object]]] = {
    "upgrade": lambda a: {"reason": a.get("reason"), "grade": a.get("grade") or None},
    "assess": lambda a: {
        "grade": a.need("assess", "grade"),
        "category": a.need("assess", "category"),
        "units": a.units(),
        "lead": a.get("lead") or None,
        "note": a.get("note"),
    },
    "dispatch": lambda a: {"units": a.units(), "lead": a.get("lead") or None},
    "verify": lambda a: {"result": a.get("result")},
    "respond": lambda a: {"url": a.get("url"), "text": a.get("text")},
    "track": lambda a: {"note": a.get("note")},
    "close": lambda a: {"outcome": a.get("outcome"), "reason": a.get("reason")},
    "review": lambda a: {k: a.get(k) for k in ("summary", "cause", "lessons")},
    "reopen": lambda a: {"reason": a.get("reason")},
}


def _staged(name: str) -> Performer:
    """A stage action of `models.repo.stages` taking the form's values by name."""
    function: Callable[..., Change] = getattr(stages, name)
    return lambda s, a: function(s, **a.common(), **a.rules(), **_STAGED[name](a))


PERFORMERS: Mapping[str, Performer] = {
    "ack": _ack,
    "complete": _complete,
    "extend": _extend,
    "reassign": _reassign,
    "escalate": _escalate,
    "approve": _decide(True),
    "reject": _decide(False),
    "downgrade": _downgrade,
    "draft": _draft,
    "refer": _refer,
    "report": _report,
    "register": _register,
    **{name: _staged(name) for name in _STAGED},
}
