"""Using a signed action link (DESIGN §6): `inspect_link` is what opening it does (GET: check it
and describe the action; nothing changes, so chat apps' link previews act on nothing) and
`use_link` is what confirming it does (POST: check it again and perform the action through
`yuqing.actions.perform`, the link's recipient as the actor). Every attempt, allowed or refused,
is a `LinkAttempt` row with its reason; the token and the key never are.

A link works once: its nonce goes into `LinkUse` (primary key) in the same transaction as the
action (`also_in_transaction`); of two racing clicks one commits, the other's whole action rolls
back on the duplicate nonce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.policy.states import ObligationStatus
from models.repo.cases import CaseError, find_obligation, get_case
from models.store.db import session_scope
from models.store.tables import LinkAttempt, LinkUse, Person
from notifications.links import LinkClaim, LinkRefused, derive_key, read_link
from tasks.runtime import Runtime
from yuqing.action_support import also_in_transaction
from yuqing.actions import ACTION_LABELS, Action, ActionResult, FormField, form_fields, perform


@dataclass(frozen=True)
class LinkView:
    """What the confirmation page shows about a genuine, unused link."""

    claim: LinkClaim
    action_label: str
    case_title: str
    grade_label: str
    obligation_title: str
    obligation_state: str
    recipient_name: str
    fields: tuple[FormField, ...]


def inspect_link(runtime: Runtime, token: str, *, now: datetime) -> LinkView:
    """Check a link and describe it; audited as `viewed` (or `refused` with the reason)."""
    try:
        claim = _claim(runtime, token, now=now)
        with session_scope(runtime.engine) as session:
            view = _describe(runtime, session, claim)
    except LinkRefused as refused:
        reason = _reason(refused)
        audit(runtime.engine, at=now, outcome="refused", reason=reason, claim=refused.claim)
        raise
    audit(runtime.engine, at=now, outcome="viewed", reason="", claim=claim)
    return view


def use_link(
    runtime: Runtime, token: str, *, form: Mapping[str, str], now: datetime
) -> ActionResult:
    """Check the link again and perform its action once; LinkRefused (audited) otherwise. A
    refusal by the action itself (a missing field, an obligation already completed) leaves the
    link unused, so the person can correct the form and confirm again."""
    claim: LinkClaim | None = None
    try:
        claim = _claim(runtime, token, now=now)
        with session_scope(runtime.engine) as session:
            _describe(runtime, session, claim)
        return _perform_once(runtime, claim, form=form, now=now)
    except LinkRefused as refused:
        audit(
            runtime.engine,
            at=now,
            outcome="refused",
            reason=_reason(refused),
            claim=claim or refused.claim,
        )
        raise


def audit(
    engine: Engine, *, at: datetime, outcome: str, reason: str, claim: LinkClaim | None
) -> None:
    with session_scope(engine) as session:
        session.add(_attempt(at=at, outcome=outcome, reason=reason, claim=claim))


def _reason(refused: LinkRefused) -> str:
    return f"{refused.reason}: {refused.message}"


def _attempt(*, at: datetime, outcome: str, reason: str, claim: LinkClaim | None) -> LinkAttempt:
    return LinkAttempt(
        at=at,
        outcome=outcome,
        reason=reason[:2000],
        action=None if claim is None else claim.action,
        recipient=None if claim is None else claim.recipient[:64],
        case_id=None if claim is None else claim.case_id,
        obligation_key=None if claim is None else claim.obligation_key[:64],
    )


def _claim(runtime: Runtime, token: str, *, now: datetime) -> LinkClaim:
    secret = runtime.settings.secrets.link_key
    if secret is None:
        raise LinkRefused("disabled", "本系统未启用一键办理链接，请在控制台或命令行办理")
    return read_link(derive_key(secret.get_secret_value(), "link"), token, now=now)


def _describe(runtime: Runtime, session: Session, claim: LinkClaim) -> LinkView:
    """The link's action on this database, or LinkRefused: used, unknown recipient, or a case
    and obligation that do not go together."""
    if session.get(LinkUse, claim.nonce) is not None:
        raise LinkRefused("used", "此链接已使用过：每个链接只能使用一次", claim)
    person = session.get(Person, claim.recipient)
    if person is None:
        raise LinkRefused("unknown_recipient", f"链接的收件人 {claim.recipient} 不在名录中", claim)
    try:
        case = get_case(session, claim.case_id)
        obligation = find_obligation(session, case_id=claim.case_id, key=claim.obligation_key)
        action = Action(claim.action)
        fields = form_fields(
            runtime, action, case_id=claim.case_id, obligation_key=claim.obligation_key
        )
    except CaseError as exc:
        raise LinkRefused("mismatch", f"链接与案件不符：{exc}", claim) from None
    state = {
        ObligationStatus.OPEN: "待办",
        ObligationStatus.COMPLETED: "已完成",
        ObligationStatus.CANCELLED: "已取消",
    }[obligation.status]
    if obligation.acked_at is not None:
        state += f"（{obligation.acked_by} 已签收）"
    return LinkView(
        claim=claim,
        action_label=ACTION_LABELS[action],
        case_title=case.title,
        grade_label=runtime.policy.scheme.level(case.grade).label,
        obligation_title=obligation.title,
        obligation_state=state,
        recipient_name=person.name,
        fields=fields,
    )


def _perform_once(
    runtime: Runtime, claim: LinkClaim, *, form: Mapping[str, str], now: datetime
) -> ActionResult:
    spent: list[bool] = []

    def spend(session: Session) -> None:
        spent.append(True)
        session.add(
            LinkUse(
                nonce=claim.nonce,
                at=now,
                action=claim.action,
                recipient=claim.recipient,
                case_id=claim.case_id,
                obligation_key=claim.obligation_key,
            )
        )
        session.add(_attempt(at=now, outcome="acted", reason="", claim=claim))

    try:
        with also_in_transaction(spend):
            result = perform(
                runtime,
                Action(claim.action),
                case_id=claim.case_id,
                obligation_key=claim.obligation_key,
                actor=claim.recipient,
                at=now,
                form=form,
            )
    except CaseError as exc:
        raise LinkRefused("refused", f"未能办理：{exc}", claim) from None
    except IntegrityError:
        with session_scope(runtime.engine) as session:
            if session.get(LinkUse, claim.nonce) is None:
                raise
        raise LinkRefused("used", "此链接刚刚已被使用：每个链接只能使用一次", claim) from None
    if not spent:  # an action outside `transaction` (none today): spend the link on its own
        with session_scope(runtime.engine) as session:
            spend(session)
    return result
