"""The pages behind an alert's one-click links (DESIGN §6). `GET /l/{token}` checks the link and
describes its action, changing nothing (a chat app's link preview acts on nothing); `POST` with
the form checks it again and performs the action (`yuqing.actions.perform`, the link's recipient
as the actor), the link's nonce spent in the action's own transaction, so it works once. A link
names an obligation (签收, 完成, 申请延期…) or a request `reqN` (同意, 退回). Every attempt,
allowed or refused, is audited (`notifications.links.audit`); a refused link gets a page in
Chinese saying why. No sign-in: the signed link is the permission."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from models.policy.forms import FormField
from models.policy.states import APPROVAL_LABELS, ApprovalStatus, ObligationStatus
from models.repo.cases import CaseError, find_obligation, get_case
from models.repo.changes import Change
from models.store.db import session_scope
from models.store.tables import ApprovalRequest, LinkUse, Person
from notifications.links import LinkClaim, LinkRefused, audit, derive_key, read_link
from tasks.runtime import Runtime
from yuqing import actions
from yuqing.web.pages import csrf_valid, now_of, page, runtime_of

router = APIRouter(tags=["links"])
STATE_LABELS = {
    ObligationStatus.OPEN: "待办",
    ObligationStatus.COMPLETED: "已完成",
    ObligationStatus.CANCELLED: "已取消",
}


@dataclass(frozen=True)
class LinkView:
    """What the confirmation page shows about a genuine, unused link."""

    claim: LinkClaim
    action_label: str
    case_title: str
    grade_label: str
    obligation_title: str  # the obligation, or the request ("通稿审定申请 3")
    obligation_state: str
    recipient_name: str
    fields: tuple[FormField, ...]


def _claim(runtime: Runtime, token: str, *, now: datetime) -> LinkClaim:
    secret = runtime.settings.secrets.link_key
    if secret is None:
        raise LinkRefused("disabled", "本系统未启用一键办理链接，请在控制台或命令行办理")
    return read_link(derive_key(secret.get_secret_value(), "link"), token, now=now)


def _subject(session: Session, claim: LinkClaim) -> tuple[str, str]:
    """The link's subject and its state: an obligation, or a request to decide."""
    if claim.action in actions.DECISIONS:
        number = actions.request_id(claim.obligation_key, {})
        request = session.get(ApprovalRequest, number) if number is not None else None
        if request is None or request.case_id != claim.case_id:
            raise CaseError(f"案件 {claim.case_id} 没有申请 {claim.obligation_key}")
        state = "待审批" if request.status == ApprovalStatus.PENDING else "已处理"
        return f"{APPROVAL_LABELS[request.kind]}申请 {request.id}", state
    obligation = find_obligation(session, case_id=claim.case_id, key=claim.obligation_key)
    state = STATE_LABELS[obligation.status]
    if obligation.acked_at is not None:
        state += f"（{obligation.acked_by} 已签收）"
    return obligation.title, state


def _describe(runtime: Runtime, session: Session, claim: LinkClaim) -> LinkView:
    """The link's action on this database, or LinkRefused: used, unknown recipient, or a case
    and subject that do not go together."""
    if session.get(LinkUse, claim.nonce) is not None:
        raise LinkRefused("used", "此链接已使用过：每个链接只能使用一次", claim)
    person = session.get(Person, claim.recipient)
    if person is None:
        raise LinkRefused("unknown_recipient", f"链接的收件人 {claim.recipient} 不在名录中", claim)
    try:
        case = get_case(session, claim.case_id)
        title, state = _subject(session, claim)
        fields = actions.fields_for(
            runtime, claim.action, case_id=claim.case_id, subject=claim.obligation_key
        )
    except CaseError as exc:
        raise LinkRefused("mismatch", f"链接与案件不符：{exc}", claim) from None
    return LinkView(
        claim=claim,
        action_label=actions.ACTION_LABELS[claim.action],
        case_title=case.title,
        grade_label=runtime.policy.scheme.level(case.grade).label,
        obligation_title=title,
        obligation_state=state,
        recipient_name=person.name,
        fields=fields,
    )


def inspect_link(runtime: Runtime, token: str, *, now: datetime) -> LinkView:
    """Check a link and describe it; audited as `viewed` (or `refused` with the reason)."""
    try:
        claim = _claim(runtime, token, now=now)
        with session_scope(runtime.engine) as session:
            view = _describe(runtime, session, claim)
    except LinkRefused as refused:
        audit(
            runtime.engine, at=now, outcome="refused", reason=_reason(refused), claim=refused.claim
        )
        raise
    audit(runtime.engine, at=now, outcome="viewed", reason="", claim=claim)
    return view


def use_link(runtime: Runtime, token: str, *, form: Mapping[str, str], now: datetime) -> Change:
    """Check the link again and perform its action once; LinkRefused (audited) otherwise. A
    refusal by the action itself (a missing field, an obligation already completed) leaves the
    link unused, so the person can correct the form and confirm again."""
    claim: LinkClaim | None = None
    try:
        claim = _claim(runtime, token, now=now)
        with session_scope(runtime.engine) as session:
            _describe(runtime, session, claim)
        try:
            return actions.perform(
                runtime,
                claim.action,
                case_id=claim.case_id,
                subject=claim.obligation_key,
                actor=claim.recipient,
                at=now,
                form=form,
                link=claim,
            )
        except CaseError as exc:
            raise LinkRefused("refused", f"未能办理：{exc}", claim) from None
    except LinkRefused as refused:
        audit(
            runtime.engine,
            at=now,
            outcome="refused",
            reason=_reason(refused),
            claim=claim or refused.claim,
        )
        raise


def _reason(refused: LinkRefused) -> str:
    return f"{refused.reason}: {refused.message}"


@router.get("/l/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str) -> HTMLResponse:
    runtime = runtime_of(request)
    try:
        view = inspect_link(runtime, token, now=now_of(request))
    except LinkRefused as refused:
        return _refused(request, refused)
    people = [(p.id, p.name) for p in runtime.settings.people]
    grades = [(g.id, g.label) for g in runtime.policy.scheme.by_rank()]
    return page(
        request,
        "link_confirm.html",
        {"view": view, "token": token, "people": people, "grades": grades},
    )


@router.post("/l/{token}", response_class=HTMLResponse)
async def confirm(request: Request, token: str) -> HTMLResponse:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await run_in_threadpool(_act, request, token, form)


def _act(request: Request, token: str, form: dict[str, str]) -> HTMLResponse:
    runtime = runtime_of(request)
    now = now_of(request)
    if not csrf_valid(request, form.get("csrf")):
        reason = "bad_csrf: 表单已失效（缺少或错误的校验码）"
        audit(runtime.engine, at=now, outcome="refused", reason=reason, claim=None)
        refused = LinkRefused("bad_csrf", "表单已失效，请重新打开通知中的链接再确认")
        return _refused(request, refused)
    form.pop("csrf", None)
    try:
        change = use_link(runtime, token, form=form, now=now)
    except LinkRefused as refused:
        return _refused(request, refused, token=token)
    request.app.state.after_change(change.case_id)
    return page(request, "link_done.html", {"message": change.message, "case_id": change.case_id})


def _refused(request: Request, refused: LinkRefused, *, token: str | None = None) -> HTMLResponse:
    # An action's own refusal (a missing field) leaves the link usable: offer to try again.
    retry = token if refused.reason == "refused" else None
    status = 409 if refused.reason in ("used", "refused") else 403
    return page(
        request, "link_refused.html", {"message": refused.message, "retry": retry}, status=status
    )
