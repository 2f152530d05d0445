"""Category playbooks (F11, seeds-spec §5): what a case's content category adds to its handling
under the policy (`[playbooks.CATEGORY]`). When the category is set (研判, or 更正) the
playbook's obligations open, counted from then (a rumour referred to public security within N
hours: S1-6, S1-2/S1-5; a corruption item to the discipline commission: S1-16), and the roles
it names are told; when a case of a category with a `continued` rule keeps spreading after its
reply (S1-1 四(三)2: hype that goes on after the facts were told), that obligation opens — a
prompt to consider a referral, met by the referral or resolved as not needed. Keyword-only
functions over a Session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import ObligationRule, Policy, StageEvent, WorkCalendar
from models.policy.notices import Notice, NoticeKind
from models.policy.policy import Playbook
from models.policy.states import EventKind, category_label
from models.policy.wording import deadline_text
from models.repo.cases import add_event, get_case
from models.repo.opening import open_rule
from models.store.tables import Case, CaseEvent, MetricSnapshot, Obligation


def apply_category(
    session: Session,
    *,
    case_id: int,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> list[Notice]:
    """The case's category's playbook: its obligations opened (once), its roles told."""
    case = get_case(session, case_id)
    playbook = policy.playbooks.get(case.category or "")
    if playbook is None:
        return []
    opened = [
        _open(session, case, rule, at, policy, calendar)
        for rule in playbook.rules
        if not _has(session, case_id, rule.key)
    ]
    if not opened and not playbook.notify:
        return []
    tz = ZoneInfo(policy.timezone)
    entry = add_event(
        session,
        case_id=case_id,
        kind=EventKind.PROMPTED,
        at=at,
        actor=actor,
        message=f"按类别“{category_label(case.category)}”处置（{playbook.source}）："
        + ("；".join(f"{o.title}，截止 {deadline_text(o.due_at, tz)}" for o in opened) or "通知"),
        data={"category": case.category, "opened": [o.key for o in opened]},
    )
    session.flush()
    assert entry is not None and entry.id is not None
    return [_told(case, playbook, opened, entry.id, tz)]


def _told(
    case: Case, playbook: Playbook, opened: list[Obligation], entry_id: int, tz: ZoneInfo
) -> Notice:
    """The playbook's roles and the opened obligations' owners, with the deadlines."""
    owners = tuple(dict.fromkeys(o.owner_role for o in opened))
    return Notice(
        kind=NoticeKind.ACTION,
        occasion=f"playbook@{entry_id}",
        headline=f"按类别处置：{category_label(case.category)}",
        case_id=case.id,
        roles=tuple(dict.fromkeys([*playbook.notify, *owners])),
        lines=(
            *(f"{o.title}：截止 {deadline_text(o.due_at, tz)}" for o in opened),
            f"依据：{playbook.source}",
        ),
    )


def _has(session: Session, case_id: int, key: str) -> bool:
    found = session.exec(
        select(Obligation.id).where(Obligation.case_id == case_id, Obligation.key == key)
    ).first()
    return found is not None


def _open(
    session: Session,
    case: Case,
    rule: ObligationRule,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> Obligation:
    obligation = open_rule(
        session,
        case=case,
        rule=rule,
        policy=policy,
        anchor_at=at,
        calendar=calendar,
        tz=ZoneInfo(policy.timezone),
    )
    session.flush()
    return obligation


def continued_spread(
    session: Session, *, now: datetime, policy: Policy, calendar: WorkCalendar
) -> list[Notice]:
    """Open cases of a category with a `continued` rule whose spread went on after their reply
    (more clicks or comments now than when they replied): the rule opens (once per case), its
    owner and the office told."""
    notices = []
    for category, playbook in policy.playbooks.items():
        rule = playbook.continued
        if rule is None:
            continue
        cases = session.exec(
            select(Case).where(col(Case.closed_at).is_(None), Case.category == category)
        ).all()
        for case in cases:
            assert case.id is not None
            grown = _grown_since_reply(session, case.id)
            if grown is None or _has(session, case.id, rule.key):
                continue
            notices.append(_prompt(session, case, rule, grown, now, policy, calendar))
    return notices


def _grown_since_reply(session: Session, case_id: int) -> str | None:
    """How the spread grew since the reply ("点击 120 → 900"), or None."""
    changes = session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == EventKind.STAGE_CHANGED)
        .order_by(col(CaseEvent.at))
    ).all()
    replied = next((e.at for e in changes if e.data.get("event") == StageEvent.respond.value), None)
    if replied is None:
        return None
    snaps = select(MetricSnapshot).where(MetricSnapshot.case_id == case_id)
    then = session.exec(
        snaps.where(col(MetricSnapshot.at) <= replied).order_by(col(MetricSnapshot.at).desc())
    ).first()
    latest = session.exec(snaps.order_by(col(MetricSnapshot.at).desc())).first()
    if then is None or latest is None or latest.at <= replied:
        return None
    grew = [
        f"{label} {getattr(then, name)} → {getattr(latest, name)}"
        for name, label in (("clicks", "点击"), ("comments", "评论"), ("reposts", "转发"))
        if getattr(latest, name) > getattr(then, name)
    ]
    return "，".join(grew) or None


def _prompt(
    session: Session,
    case: Case,
    rule: ObligationRule,
    grown: str,
    now: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> Notice:
    assert case.id is not None
    obligation = _open(session, case, rule, now, policy, calendar)
    tz = ZoneInfo(policy.timezone)
    entry = add_event(
        session,
        case_id=case.id,
        kind=EventKind.PROMPTED,
        at=now,
        message=f"回应后仍在传播（{grown}）：{rule.title}，"
        f"截止 {deadline_text(obligation.due_at, tz)}",
        data={"category": case.category, "opened": [rule.key], "grown": grown},
    )
    session.flush()
    assert entry is not None and entry.id is not None
    return Notice(
        kind=NoticeKind.ACTION,
        occasion=f"continued@{entry.id}",
        headline=f"回应后仍在传播：{rule.title}",
        case_id=case.id,
        roles=tuple(dict.fromkeys([rule.owner_role, "office_head"])),
        lines=(f"传播变化：{grown}", f"依据：{rule.source}"),
    )
