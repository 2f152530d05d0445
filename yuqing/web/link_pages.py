"""The pages behind an alert's one-click links (DESIGN §6). `GET /l/{token}` checks the link and
describes its action with the deadline and the time left, changing nothing (a chat app's link
preview acts on nothing); `POST` with the form checks it again and performs the action
(`yuqing.web.act`: one task run, the link's nonce spent in the action's own transaction, so it
works once). Who acts is decided in one place (`link_actor`: the link's recipient), and whether
they may is checked when the link is used, against their roles now and the obligation's holder
now: a link of someone demoted since, or of an obligation handed to someone else since, is
refused. A link
names an obligation (签收, 完成, 申请延期…) or a request `reqN` (同意, 退回). The confirmation
form's CSRF token is bound to the browser's cookie and to this link's nonce, so it is good for
this link only. Every attempt is audited (`notifications.links.audit`) whatever its outcome:
viewed, acted, refused (with the reason), or an error; a refused link gets a page in Chinese
saying why. No sign-in: the signed link is the permission."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from models.policy.catalogue import CATALOGUE, ActionSpec
from models.policy.forms import FormField
from models.policy.permissions import refusal
from models.policy.states import APPROVAL_LABELS, ApprovalStatus, ObligationStatus
from models.repo.access import Forbidden, case_facts, obligation_facts, request_facts, standing_of
from models.repo.acting import fields_for
from models.repo.action_form import request_id
from models.repo.cases import CaseError, find_obligation, get_case
from models.repo.changes import Change
from models.repo.requests import pending_request
from models.store.db import session_scope
from models.store.tables import ApprovalRequest, LinkUse, Person
from notifications.links import LinkClaim, LinkRefused, audit, derive_key, read_link
from tasks.runtime import Runtime
from yuqing.web.act import perform_link
from yuqing.web.group_links import SIGN_IN, identify, sign_in_path
from yuqing.web.pages import countdown, csrf_valid, form_token, now_of, page, runtime_of
from yuqing.web.validate import Invalid, plain, read_form

log = logging.getLogger(__name__)
router = APIRouter(tags=["links"])
STATE_LABELS = {
    ObligationStatus.OPEN: "待办",
    ObligationStatus.COMPLETED: "已完成",
    ObligationStatus.CANCELLED: "已取消",
    ObligationStatus.WAIVED: "不需要",
}


@dataclass(frozen=True)
class LinkView:
    """What the confirmation page shows about a genuine, unused link: the action, the case, the
    obligation (or request) and its deadline with the time left."""

    claim: LinkClaim
    actor: str  # who acts: the link's recipient (`link_actor`)
    action_label: str
    case_title: str
    grade_label: str
    obligation_title: str  # the obligation, or the request ("通稿审定申请 3")
    obligation_state: str
    recipient_name: str
    fields: tuple[FormField, ...]
    due_at: datetime | None = None  # the obligation's deadline (None: a request)
    left: str = ""  # 剩余 2小时 / 已超时 15分钟 / 刚刚超时
    overdue: bool = False


def link_actor(runtime: Runtime, claim: LinkClaim, request: Request) -> str:
    """Who acts when this link is used: the one place it is decided. A link names its
    recipient, who acts; a link sent to a group arrives here already naming the member who
    pressed it (`yuqing.web.group_links.identify`, run first so the audit names them too)."""
    return claim.recipient


def _claim(runtime: Runtime, token: str, *, now: datetime) -> LinkClaim:
    secret = runtime.settings.secrets.link_key
    if secret is None:
        raise LinkRefused("disabled", "本系统未启用一键办理链接，请在控制台或命令行办理")
    return read_link(derive_key(secret.get_secret_value(), "link"), token, now=now)


def _allowed(
    session: Session, runtime: Runtime, spec: ActionSpec, claim: LinkClaim, actor: str
) -> None:
    """LinkRefused unless `actor`, as they stand now (their current roles), may take the link's
    action on what it names as it stands now (its current holder, its pending request)."""
    standing = standing_of(session, actor)
    if standing is None or not spec.link:
        raise LinkRefused("unknown_recipient", f"链接的收件人 {actor} 不在名录中", claim)
    facts = case_facts(session, get_case(session, claim.case_id), runtime.policy)
    if spec.decision:
        found = _request_of(session, claim)
        reason = refusal(spec, standing, case=facts, request=request_facts(found, runtime.policy))
    elif spec.subject == "obligation":
        o = find_obligation(session, case_id=claim.case_id, key=claim.obligation_key)
        reason = refusal(spec, standing, case=facts, obligation=obligation_facts(session, o))
    else:  # a case-wide action (升级): the link names an obligation only to say where it is
        reason = refusal(spec, standing, case=facts)
    if reason is not None:
        raise LinkRefused("forbidden", f"此链接已不能使用：{reason}", claim)


def _request_of(session: Session, claim: LinkClaim) -> ApprovalRequest:
    number = request_id(claim.obligation_key, {})
    if number is None:
        raise CaseError(f"案件 {claim.case_id} 没有申请 {claim.obligation_key}")
    return pending_request(session, case_id=claim.case_id, request_id=number)


def _subject(session: Session, claim: LinkClaim) -> tuple[str, str, datetime | None]:
    """The link's subject, its state and its deadline: an obligation, or a request."""
    if CATALOGUE[claim.action].decision:
        request = _request_of(session, claim)
        state = "待审批" if request.status == ApprovalStatus.PENDING else "已处理"
        return f"{APPROVAL_LABELS[request.kind]}申请 {request.id}", state, None
    obligation = find_obligation(session, case_id=claim.case_id, key=claim.obligation_key)
    state = STATE_LABELS[obligation.status]
    if obligation.acked_at is not None:
        by = session.get(Person, obligation.acked_by or "")
        state += f"（{by.name if by else obligation.acked_by} 已签收）"
    return obligation.title, state, obligation.due_at


def _describe(
    runtime: Runtime, session: Session, claim: LinkClaim, actor: str, now: datetime
) -> LinkView:
    """The link's action on this database, or LinkRefused: used, unknown recipient, a case
    and subject that do not go together, or someone who may no longer act there."""
    if session.get(LinkUse, claim.nonce) is not None:
        raise LinkRefused("used", "此链接已使用过：每个链接只能使用一次", claim)
    person = session.get(Person, actor)
    if person is None:
        raise LinkRefused("unknown_recipient", f"链接的收件人 {actor} 不在名录中", claim)
    spec = CATALOGUE[claim.action]
    try:
        case = get_case(session, claim.case_id)
        title, state, due = _subject(session, claim)
        fields = fields_for(
            session,
            runtime.policy,
            claim.action,
            case_id=claim.case_id,
            subject=claim.obligation_key,
        )
        _allowed(session, runtime, spec, claim, actor)
    except CaseError as exc:
        raise LinkRefused("mismatch", f"链接与案件不符：{exc}", claim) from None
    left, overdue = countdown(due, now) if due is not None else ("", False)
    return LinkView(
        claim=claim,
        actor=actor,
        action_label=spec.label,
        case_title=case.title,
        grade_label=runtime.policy.scheme.level(case.grade).label,
        obligation_title=title,
        obligation_state=state,
        recipient_name=person.name,
        fields=fields,
        due_at=due,
        left=left,
        overdue=overdue,
    )


@dataclass
class Attempt:
    """What one request learnt about its link, for the audit record."""

    claim: LinkClaim | None = None
    outcome: str = ""  # "viewed" on success; an action records "acted" in its own transaction


@contextmanager
def audited(runtime: Runtime, *, now: datetime) -> Iterator[Attempt]:
    """Audit the attempt made in the block whatever happens: its outcome, a refusal with the
    reason, or an error (which still propagates) by its type."""
    attempt = Attempt()
    try:
        yield attempt
    except LinkRefused as refused:
        claim = refused.claim or attempt.claim
        audit(runtime.engine, at=now, outcome="refused", reason=_reason(refused), claim=claim)
        raise
    except Exception as exc:
        try:
            reason = f"error: {type(exc).__name__}"
            audit(runtime.engine, at=now, outcome="error", reason=reason, claim=attempt.claim)
        except Exception:  # the database itself failing: the error itself says more
            log.exception("链接访问记录写入失败")
        raise
    if attempt.outcome:
        audit(runtime.engine, at=now, outcome=attempt.outcome, reason="", claim=attempt.claim)


def inspect_link(runtime: Runtime, claim: LinkClaim, actor: str, now: datetime) -> LinkView:
    """Describe a genuine link's action on this database; LinkRefused when it cannot act."""
    with session_scope(runtime.engine) as session:
        return _describe(runtime, session, claim, actor, now)


def use_link(
    request: Request, runtime: Runtime, claim: LinkClaim, *, form: Mapping[str, str], now: datetime
) -> Change:
    """Check the link against the database again and perform its action once (the task checks
    the person once more, in the action's own transaction); LinkRefused otherwise. A refusal by
    the action itself (a missing field, an obligation already completed) leaves the link
    unused, so the person can correct the form and confirm again."""
    actor = link_actor(runtime, claim, request)
    inspect_link(runtime, claim, actor, now)
    try:
        for name, value in form.items():
            plain(name + value, name=name, label="表单字段")
        return perform_link(request, claim, form, person=actor, at=now)
    except Forbidden as exc:
        raise LinkRefused("forbidden", f"此链接已不能使用：{exc}", claim) from None
    except CaseError as exc:
        raise LinkRefused("refused", f"未能办理：{exc}", claim) from None
    except Invalid as exc:
        raise LinkRefused("refused", f"未能办理：{exc.message}", claim) from None


def _reason(refused: LinkRefused) -> str:
    return f"{refused.reason}: {refused.message}"


@router.get("/l/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str) -> HTMLResponse:
    runtime, now = runtime_of(request), now_of(request)
    try:
        with audited(runtime, now=now) as attempt:
            attempt.claim = _claim(runtime, token, now=now)
            attempt.claim = identify(request, runtime, attempt.claim)  # a group's: who pressed
            actor = link_actor(runtime, attempt.claim, request)
            view = inspect_link(runtime, attempt.claim, actor, now)
            attempt.outcome = "viewed"
    except LinkRefused as refused:
        return _refused(request, refused, token=token)
    except Exception:  # audited as an error; logged here, answered in Chinese
        log.exception("一键办理链接页面出错")
        return _error(request)
    people = [(p.id, p.name) for p in runtime.settings.people]
    grades = [(g.id, g.label) for g in runtime.policy.scheme.by_rank()]
    csrf = form_token(request, bound=view.claim.nonce)
    context = {"view": view, "token": token, "people": people, "grades": grades, "csrf": csrf}
    return page(request, "link_confirm.html", context)


@router.post("/l/{token}", response_class=HTMLResponse)
async def confirm(request: Request, token: str) -> HTMLResponse:
    form = await read_form(request, strict=False)  # checked in the audited block below
    return await run_in_threadpool(_act, request, token, form)


def _act(request: Request, token: str, form: dict[str, str]) -> HTMLResponse:
    runtime, now = runtime_of(request), now_of(request)
    try:
        with audited(runtime, now=now) as attempt:
            claim = attempt.claim = _claim(runtime, token, now=now)
            claim = attempt.claim = identify(request, runtime, claim)  # a group's: who pressed
            if not csrf_valid(request, form.pop("csrf", None), bound=claim.nonce):
                message = "表单已失效，请重新打开通知中的链接再确认"
                raise LinkRefused("bad_csrf", message, claim)
            change = use_link(request, runtime, claim, form=form, now=now)
    except LinkRefused as refused:
        return _refused(request, refused, token=token)
    except Exception:  # audited as an error; the action's transaction was rolled back
        log.exception("一键办理出错")
        return _error(request)
    return page(request, "link_done.html", {"message": change.message, "case_id": change.case_id})


def _refused(request: Request, refused: LinkRefused, *, token: str | None = None) -> HTMLResponse:
    # An action's own refusal (a missing field) leaves the link usable: offer to try again.
    retry = token if refused.reason == "refused" else None
    status = 409 if refused.reason in ("used", "refused") else 403
    login = sign_in_path(token) if refused.reason == SIGN_IN and token else None
    context = {"message": refused.message, "retry": retry, "login": login}
    return page(request, "link_refused.html", context, status=status)


def _error(request: Request) -> HTMLResponse:
    message = "系统内部错误，已记录，请稍后重新打开链接再试"
    return page(request, "link_refused.html", {"message": message, "retry": None}, status=500)
