"""What every action in `yuqing.actions` needs: the result and form-field types, one
transaction that turns a policy refusal into a `CaseError`, small field checks, and the alerts an
action causes (who holds a role at a time, the approvers, a person by id or name, a chain alert
through the sweep's outbox keys, and a notice under the action's own outbox occasion)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from models.policy import ObligationRule, Policy, PolicyError
from models.policy.routing import overlay_roster
from models.policy.states import Chain
from models.repo.cases import CaseError
from models.repo.directory import role_holders
from models.store.db import session_scope
from models.store.tables import Case, Obligation, Person
from notifications.context import EscalationContext
from notifications.queue import AlertSpec, queue_to_people
from tasks.runtime import Runtime


@dataclass(frozen=True)
class FormField:
    """A field an action's form needs (the console and the link's confirmation page show it)."""

    name: str
    label: str
    kind: Literal["text", "textarea", "url", "datetime", "person", "grade"]
    required: bool = True


@dataclass(frozen=True)
class ActionResult:
    case_id: int
    obligation_key: str | None
    message: str  # Chinese, one line: shown on the page, printed by the CLI
    data: dict[str, Any]  # what --json prints


@contextmanager
def transaction(runtime: Runtime) -> Iterator[Session]:
    """One transaction; a policy refusal (illegal transition, bad extension) is a CaseError.
    Work registered with `also_in_transaction` joins it just before the commit."""
    try:
        with session_scope(runtime.engine) as session:
            yield session
            also = _ALSO.get()
            if also is not None:
                _ALSO.set(None)  # once: an action is one transaction
                also(session)
    except PolicyError as exc:
        raise CaseError(str(exc)) from exc


_ALSO: ContextVar[Callable[[Session], None] | None] = ContextVar("yuqing_also", default=None)


@contextmanager
def also_in_transaction(work: Callable[[Session], None]) -> Iterator[None]:
    """Run `work` in the transaction of the action performed inside this block, so that it
    commits or rolls back with the action (a signed link's single-use nonce)."""
    marker = _ALSO.set(work)
    try:
        yield
    finally:
        _ALSO.reset(marker)


def need(value: str | None, field: FormField) -> str:
    if value is None or not value.strip():
        raise CaseError(f"缺少字段 {field.name}（{field.label}）")
    return value.strip()


def local_time(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def rule_for(policy: Policy, grade: str, key: str) -> ObligationRule:
    """The obligation's rule under the case's grade, else under any grade (an obligation
    opened before a regrade may belong to no rule of the new grade)."""
    for grade_id in (policy.scheme.level(grade).id, *policy.scheme.ids):
        for rule in policy.obligations_for(grade_id):
            if rule.key == key:
                return rule
    raise CaseError(f"策略 {policy.id} 没有事项 {key!r} 的规则")


def holders_at(
    session: Session, ctx: EscalationContext, at: datetime, obligation: Obligation | None = None
) -> dict[str, list[str]]:
    """Role holders at `at` (the duty roster overlaid); an obligation handed to a person
    (转办) has that person in place of its owner role's holders."""
    holders = overlay_roster(role_holders(session), ctx.shifts, at=at)
    if obligation is not None and obligation.assignee_id is not None:
        holders[obligation.owner_role] = [obligation.assignee_id]
    return holders


def approvers_at(session: Session, ctx: EscalationContext, at: datetime) -> list[str]:
    """Who decides an extension: the approver role's holders, else the leader in charge."""
    holders = holders_at(session, ctx, at)
    return list(holders.get("approver") or holders.get("leader_in_charge") or [])


def find_person(session: Session, ref: str) -> Person:
    """A person by id or by (unique) name."""
    person = session.get(Person, ref)
    if person is not None:
        return person
    named = session.exec(select(Person).where(Person.name == ref)).all()
    if len(named) != 1:
        raise CaseError(f"字段 to_person（转办给）：未知人员 {ref!r}，请填写人员编号")
    return named[0]


def queue_notice(
    session: Session,
    case: Case,
    obligation: Obligation,
    people: Sequence[str],
    *,
    occasion: str,
    label: str,
    ctx: EscalationContext,
    at: datetime,
) -> int:
    """Alerts an action causes outside the chain's levels (an extension to approve, a task
    handed over, an upgrade), under the action's own outbox occasion, so they neither collide
    with nor suppress the chain's level alerts; no ack follow-up."""
    assert case.id is not None
    late_by = at - obligation.due_at
    chain = Chain.REMINDER if late_by < timedelta(0) else Chain.NO_COMPLETION
    spec = AlertSpec(chain, obligation.level, label, late_by, ack_window=None)
    return queue_to_people(
        session,
        case=case,
        obligation=obligation,
        spec=spec,
        people=people,
        ctx=ctx,
        now=at,
        occasion=occasion,
    )
