"""Each catalogue action's repository function, fed from the form as it came in: the obligation
actions (`models.repo.obligations`, `escalation`), the requests (`models.repo.approvals`) and
decisions (`models.repo.decisions`), the stage actions (the table of verbs
`models.repo.stages`; 办结 `models.repo.closing`, 移送 `models.repo.referral`, 升级
`models.repo.upgrade`; 快报/续报 `models.repo.further`; 回应发布 through the blackout
`models.repo.blackout`; 研判 with its category's playbook), registration
(`models.repo.registration`) and the seeds' further verbs (`models.repo.performers_seeds`). `Acting`
(`models.repo.action_form`) carries who, when, the form and the policy; a performer checks
nothing about people (`models.repo.acting` did) and refuses a bad value naming the field. A new
action is its catalogue entry plus its function here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from models.policy.catalogue import spec
from models.policy.forms import FieldRefused, parse_count, parse_time, publishes
from models.policy.registration import registration_times
from models.repo import (
    approvals,
    blackout,
    closing,
    decisions,
    escalation,
    further,
    instances,
    obligations,
    playbooks,
    referral,
    registration,
    stages,
    upgrade,
)
from models.repo.action_form import Acting, request_id
from models.repo.cases import CaseError, NextStep, get_case
from models.repo.changes import Change
from models.repo.performers_seeds import SEED_PERFORMERS

Performer = Callable[[Session, Acting], Change]


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
    if a.blackout and publishes(a.policy, get_case(s, a.case_id).grade, a.key()):
        raise CaseError(
            f"静默期“{a.blackout}”：发布须经审批，请以 回应发布 提交",
            next_step=NextStep("respond", a.case_id),
        )
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
        return decisions.decide(
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
    change = referral.refer(s, **a.common(), to=a.get("to"), note=a.get("note"))
    instances.meet(s, **a.common(), action="refer", detail=a.get("to"), policy=a.policy)
    return change


def _assess(s: Session, a: Acting) -> Change:
    change = _staged("assess")(s, a)
    told = playbooks.apply_category(s, **a.common(), **a.rules())
    return replace(change, notices=(*change.notices, *told))


def _respond(s: Session, a: Acting) -> Change:
    url, text = a.get("url"), a.get("text")
    return blackout.respond(s, **a.common(), **a.rules(), url=url, text=text, blackout=a.blackout)


def _register(s: Session, a: Acting) -> Change:
    clicks = parse_count(a.get("clicks"), name="clicks", label="点击量")
    comments = parse_count(a.get("comments"), name="comments", label="评论数")
    within = timedelta(days=a.horizon_days)
    times = registration_times(a.form, a.tz, now=a.at, within=within)
    seen = registration.Sighting(
        title=a.get("title"),
        text=a.get("text"),
        url=a.get("url") or None,
        posted_at=times.get("posted_at"),
        occurred_at=times.get("occurred_at"),
        category=a.get("category") or None,
        clicks=clicks,
        comments=comments,
    )
    change = registration.register(
        s,
        seen,
        actor=a.actor,
        via=a.get("via") or "人工登记",
        topics=a.topics,
        now=a.at,
        grade=a.get("grade") or None,
        **a.rules(),
    )
    told = playbooks.apply_category(s, case_id=change.case_id, actor=a.actor, at=a.at, **a.rules())
    return replace(change, notices=(*change.notices, *told))


def _upgrade(s: Session, a: Acting) -> Change:
    grade = a.get("grade") or None
    return upgrade.upgrade(s, **a.common(), **a.rules(), reason=a.get("reason"), grade=grade)


def _close(s: Session, a: Acting) -> Change:
    outcome, reason = a.get("outcome"), a.get("reason")
    return closing.close(s, **a.common(), **a.rules(), outcome=outcome, reason=reason)


_STAGED: Mapping[str, Callable[[Acting], dict[str, Any]]] = {
    "assess": lambda a: {
        "grade": a.need("assess", "grade"),
        "category": a.need("assess", "category"),
        "units": a.units(),
        "lead": a.get("lead") or None,
        "note": a.get("note"),
    },
    "dispatch": lambda a: {"units": a.units(), "lead": a.get("lead") or None},
    "verify": lambda a: {"result": a.get("result")},
    "track": lambda a: {"note": a.get("note")},
    "review": lambda a: {k: a.get(k) for k in ("summary", "cause", "lessons")},
    "reopen": lambda a: {"reason": a.get("reason")},
}


def _staged(name: str) -> Performer:
    """A stage verb of `models.repo.stages` taking the form's values by name."""
    return lambda s, a: stages.move(s, name, **a.common(), **a.rules(), **_STAGED[name](a))


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
    "assess": _assess,
    "respond": _respond,
    "upgrade": _upgrade,
    "close": _close,
    **SEED_PERFORMERS,
    "register": _register,
    **{name: _staged(name) for name in _STAGED if name != "assess"},
}
