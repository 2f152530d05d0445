"""The things a person does to a case, by name, for every front alike (the CLI's verbs, the
console's forms, the signed links): each name maps a form (field name → text) to its repository
function (`models.repo`), recorded by `tasks.act.record` in one transaction. The repository
checks the values and refuses with a Chinese message naming the field; the notices a change
causes are left as steps for the `case` flow (`yuqing.carry` hands them over)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.policy import Policy, WorkCalendar
from models.policy.forms import (
    ACTION_FIELDS,
    FieldRefused,
    FormField,
    completion_fields,
    parse_id,
    parse_time,
)
from models.repo import approvals, escalation, obligations, stages
from models.repo.cases import CaseError, find_obligation, get_case
from models.repo.changes import Change
from models.repo.directory import find_person
from models.store.db import session_scope
from notifications.context import build_context
from notifications.links import LinkClaim
from tasks.act import Work, record
from tasks.runtime import Runtime

ACTION_LABELS: Mapping[str, str] = {
    "ack": "签收",
    "complete": "完成",
    "extend": "申请延期",
    "reassign": "转办",
    "escalate": "上报",
    "upgrade": "升级",
    "downgrade": "申请降级",
    "report": "报送快报",
    "assess": "研判",
    "dispatch": "下发联系单",
    "verify": "核查反馈",
    "draft": "提交通稿",
    "approve": "同意",
    "reject": "退回",
    "respond": "回应发布",
    "track": "跟踪",
    "close": "办结",
    "review": "总结评估",
    "refer": "移送",
    "reopen": "重新打开",
}
OBLIGATION_ACTIONS = frozenset({"ack", "complete", "extend", "reassign", "escalate"})
DECISIONS = frozenset({"approve", "reject"})
IDENTIFIED = DECISIONS | {"draft", "downgrade", "extend"}  # the actor must be a known person


@dataclass(frozen=True)
class Acting:
    """One person's action: on which case, who, when, with what."""

    runtime: Runtime
    case_id: int
    actor: str
    at: datetime
    form: Mapping[str, str]
    subject: str | None = None  # an obligation key, or `reqN` for a decision

    @property
    def policy(self) -> Policy:
        return self.runtime.policy

    @property
    def calendar(self) -> WorkCalendar:
        return self.runtime.calendar

    def get(self, name: str) -> str:
        return (self.form.get(name) or "").strip()

    def need(self, action: str, name: str) -> str:
        value = self.get(name)
        if not value:
            label = next((f.label for f in ACTION_FIELDS[action] if f.name == name), name)
            raise CaseError(f"缺少字段 {name}（{label}）")
        return value

    def key(self) -> str:
        if self.subject is None or not self.subject.strip():
            raise CaseError("缺少字段 obligation（事项）")
        return self.subject.strip()

    def units(self) -> list[str]:
        return [u.strip() for u in self.get("units").replace("，", ",").split(",") if u.strip()]


def fields_for(
    runtime: Runtime, action: str, *, case_id: int, subject: str | None
) -> tuple[FormField, ...]:
    """The form `action` needs (completing an obligation: what its rule needs as proof)."""
    if action not in ACTION_LABELS:
        raise CaseError(f"未知操作 {action!r}")
    if action != "complete":
        return ACTION_FIELDS[action]
    if subject is None or not subject.strip():
        raise CaseError("缺少字段 obligation（事项）")
    key = subject.strip()
    with session_scope(runtime.engine) as session:
        case = get_case(session, case_id)
        find_obligation(session, case_id=case_id, key=key)
        return completion_fields(runtime.policy.rule_any_grade(case.grade, key))


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
    window = timedelta(days=a.runtime.settings.general.horizon_days)
    field = ACTION_FIELDS["extend"][0]
    try:
        return parse_time(
            a.need("extend", "until"), a.runtime.settings.tz, field=field, now=a.at, within=window
        )
    except FieldRefused as exc:
        raise CaseError(str(exc)) from None


# Each action: its repository call. `a` carries who, when and the form; `s` is the session.
def _ack(a: Acting) -> Work:
    return lambda s: obligations.acknowledge(
        s, case_id=a.case_id, actor=a.actor, at=a.at, obligation_key=a.subject or None
    )


def _complete(a: Acting) -> Work:
    key = a.key()
    return lambda s: obligations.complete(
        s,
        case_id=a.case_id,
        obligation_key=key,
        actor=a.actor,
        at=a.at,
        form=a.form,
        policy=a.policy,
        calendar=a.calendar,
    )


def _extend(a: Acting) -> Work:
    key, until = a.key(), _until(a)
    return lambda s: approvals.request_extension(
        s,
        case_id=a.case_id,
        obligation_key=key,
        actor=a.actor,
        at=a.at,
        until=until,
        reason=a.get("reason"),
        policy=a.policy,
        calendar=a.calendar,
    )


def _reassign(a: Acting) -> Work:
    key, reason = a.key(), a.need("reassign", "reason")
    return lambda s: obligations.reassign(
        s,
        case_id=a.case_id,
        obligation_key=key,
        actor=a.actor,
        at=a.at,
        to_person=a.need("reassign", "to_person"),
        reason=reason,
        tz_name=a.policy.timezone,
    )


def _escalate(a: Acting) -> Work:
    key, reason = a.key(), a.need("escalate", "reason")
    routing = build_context(a.runtime.settings, a.policy).routing
    return lambda s: escalation.escalate_now(
        s,
        case_id=a.case_id,
        obligation_key=key,
        actor=a.actor,
        reason=reason,
        at=a.at,
        policy=a.policy,
        routing=routing,
    )


def _decide(approve: bool) -> Callable[[Acting], Work]:
    def work(a: Acting) -> Work:
        number = request_id(a.subject, a.form)
        note = a.get("note") if approve else a.need("reject", "reason")
        return lambda s: approvals.decide(
            s,
            case_id=a.case_id,
            request_id=number,
            decider=a.actor,
            approve=approve,
            note=note,
            at=a.at,
            policy=a.policy,
            calendar=a.calendar,
        )

    return work


def _staged(name: str) -> Callable[[Acting], Work]:
    """A stage action of `models.repo.stages` taking the form's values by name."""
    values: Mapping[str, Callable[[Acting], dict[str, object]]] = {
        "upgrade": lambda a: {"reason": a.get("reason"), "grade": a.get("grade") or None},
        "report": lambda a: {"text": a.get("text"), "units": a.units()},
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
    function: Callable[..., Change] = getattr(stages, name)

    def work(a: Acting) -> Work:
        kwargs = values[name](a)
        return lambda s: function(
            s,
            case_id=a.case_id,
            actor=a.actor,
            at=a.at,
            policy=a.policy,
            calendar=a.calendar,
            **kwargs,
        )

    return work


def _downgrade(a: Acting) -> Work:
    return lambda s: approvals.request_downgrade(
        s,
        case_id=a.case_id,
        actor=a.actor,
        at=a.at,
        policy=a.policy,
        reason=a.get("reason"),
        grade=a.get("grade") or None,
    )


def _draft(a: Acting) -> Work:
    return lambda s: approvals.draft_statement(
        s, case_id=a.case_id, actor=a.actor, at=a.at, policy=a.policy, text=a.get("text")
    )


def _refer(a: Acting) -> Work:
    return lambda s: stages.refer(
        s, case_id=a.case_id, actor=a.actor, at=a.at, to=a.get("to"), note=a.get("note")
    )


WORKS: Mapping[str, Callable[[Acting], Work]] = {
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
    **{
        name: _staged(name)
        for name in (
            "upgrade",
            "report",
            "assess",
            "dispatch",
            "verify",
            "respond",
            "track",
            "close",
            "review",
            "reopen",
        )
    },
}


def perform(
    runtime: Runtime,
    action: str,
    *,
    case_id: int,
    subject: str | None,
    actor: str,
    at: datetime,
    form: Mapping[str, str],
    link: LinkClaim | None = None,
) -> Change:
    """Carry `action` out as one recorded change (spending `link` with it, for a signed link)."""
    if action not in WORKS:
        raise CaseError(f"未知操作 {action!r}")
    if action in IDENTIFIED:  # requests and decisions are made by a known person, by id
        with session_scope(runtime.engine) as session:
            person = find_person(session, actor)
        actor = person.id if person is not None else actor
    work = WORKS[action](Acting(runtime, case_id, actor, at, form, subject))
    return record(runtime, work, at=at, link=link).change
