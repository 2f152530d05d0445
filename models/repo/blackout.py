"""The release blackout (S4 4: 敏感节点、重大节庆期间原则上不发布敏感案、事件信息; 注重内外有别;
F13): in a sensitive period flagged `blackout = true`, the public reply (回应发布) and an
action's messages to outside bodies (宣传部, 网信办, 党委, 上级, 政府领导, 政法委) wait for the
consent of the roles the policy names for a release (`[approvers.release]`, default those who
approve the grade's statements): the domain holds them as a request at the point where they
would become the case flow's steps, and carries them out on approval — the reply published,
the messages sent — or, refused, they are not sent; either way it is on the record. The
office's own people are told as usual, and the escalation chain's alerts are never held (a lapse
is always told)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from models.policy import Policy, StageEvent, WorkCalendar
from models.policy.catalogue import spec
from models.policy.forms import validated
from models.policy.notices import Notice, NoticeKind
from models.policy.permissions import role_names
from models.policy.roles import OUTSIDE_ROLES
from models.policy.states import ApprovalKind
from models.repo.cases import CaseError, NextStep, get_case
from models.repo.changes import Change
from models.repo.directory import find_person
from models.repo.requests import open_request, person_of
from models.repo.stages import move
from models.store.tables import ApprovalRequest

HELD_KINDS = frozenset(
    {
        NoticeKind.QUICK_REPORT,
        NoticeKind.STAGE,
        NoticeKind.CONTACT_SHEET,
        NoticeKind.INSTRUCTION,
        NoticeKind.REFERRAL,
        NoticeKind.ACTION,
    }
)
RELEASED = "released"  # Notice.extra: let out by the request of this number
WHY = "敏感节点、重大节庆期间原则上不发布敏感案事件信息（S4）"


def respond(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    url: str,
    text: str = "",
    blackout: str = "",
) -> Change:
    """回应发布; in a blackout, a request for consent instead (the reply as asked)."""
    if not blackout:
        return move(
            session,
            "respond",
            case_id=case_id,
            actor=actor,
            at=at,
            policy=policy,
            calendar=calendar,
            url=url,
            text=text,
        )
    values = validated(spec("respond").fields, {"url": url, "text": text})
    return _ask_release(
        session, case_id, values, actor=actor, at=at, policy=policy, period=blackout
    )


def _ask_release(
    session: Session,
    case_id: int,
    values: dict[str, str],
    *,
    actor: str,
    at: datetime,
    policy: Policy,
    period: str,
) -> Change:
    """In a blackout the reply waits for consent: a release request carrying it as asked."""
    case = get_case(session, case_id)
    policy.template.target(case.stage, StageEvent.respond)  # refuses a reply out of turn
    requester = person_of(session, actor, field="申请人")
    return open_request(
        session,
        case,
        kind=ApprovalKind.RELEASE,
        requester=requester,
        at=at,
        policy=policy,
        reason=f"静默期“{period}”：{WHY}",
        payload={"respond": values, "period": period},
        summary=f"静默期发布回应：{values['url']}"
        + (f"（{values['text'][:200]}）" if "text" in values else ""),
    )


def hold(
    session: Session, change: Change, *, actor: str, at: datetime, policy: Policy, blackout: str
) -> Change:
    """The change with its messages to outside bodies held for consent (a request of its
    own, told to the approvers); the office's own people told as usual."""
    kept: list[Notice] = []
    held: list[Notice] = []
    for notice in change.notices:
        outside = tuple(r for r in notice.roles if r in OUTSIDE_ROLES)
        if notice.kind not in HELD_KINDS or RELEASED in notice.extra or not outside:
            kept.append(notice)
            continue
        held.append(replace(notice, roles=outside, people=()))
        inside = tuple(r for r in notice.roles if r not in OUTSIDE_ROLES)
        if inside or notice.people:
            kept.append(replace(notice, roles=inside))
    if not held:
        return change
    requester = find_person(session, actor)
    if requester is None:
        raise CaseError(
            f"静默期“{blackout}”：发往外部单位的通知须经审批，请注明办理人",
            next_step=NextStep(fields=(("by", None),)),
        )
    roles = role_names(dict.fromkeys(r for n in held for r in n.roles))
    asked = open_request(
        session,
        get_case(session, change.case_id),
        kind=ApprovalKind.RELEASE,
        requester=requester,
        at=at,
        policy=policy,
        reason=f"静默期“{blackout}”：{WHY}",
        payload={"notices": [n.to_json() for n in held], "period": blackout},
        summary=f"静默期发往{roles}：" + "；".join(n.headline for n in held),
    )
    number = asked.data["request_id"]
    message = f"{change.message}；静默期：发往{roles}的通知待审批（申请编号 {number}）"
    data = {**change.data, "held": number}
    return Change(change.case_id, message, data, (*kept, *asked.notices), change.obligation_key)


def release_approved(
    session: Session,
    request: ApprovalRequest,
    *,
    decider: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """On consent: the reply published (as its requester's), or the held messages let out."""
    mark = {RELEASED: request.id}
    if "respond" in request.payload:
        asked = request.payload["respond"]
        done = move(
            session,
            "respond",
            case_id=request.case_id,
            actor=request.requested_by,
            at=at,
            policy=policy,
            calendar=calendar,
            url=str(asked["url"]),
            text=str(asked.get("text", "")),
        )
        return [replace(n, extra={**n.extra, **mark}) for n in done.notices]
    held = [Notice.from_json(n) for n in request.payload.get("notices", [])]
    return [replace(n, extra={**n.extra, **mark}) for n in held]
