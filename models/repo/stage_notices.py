"""Who must hear of a stage change, and what they are told: the quick report (快报, with its
mandated fields) to the grade's report targets, the contact sheet (联系单) to each responsible
unit's person and liaison with their deadline and links, any other stage to the watchers the
policy names. Values only: the caller hands the notices on."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.policy import Policy, StageEvent, Transition
from models.policy.catalogue import ALERT_LINKS
from models.policy.notices import Notice, NoticeKind
from models.policy.stages import STAGE_LABELS
from models.policy.states import CATEGORY_LABELS, Category, ObligationStatus
from models.policy.wording import deadline_text
from models.repo.cases import case_items, get_case, who
from models.repo.lifecycle import obligations_of
from models.store.tables import Case, Obligation, Unit


def stage_notices(
    session: Session,
    *,
    case_id: int,
    transition: Transition,
    event_id: int,
    actor: str,
    policy: Policy,
    lines: Sequence[str] = (),
) -> list[Notice]:
    """The notice a stage change causes, to the roles the policy names for the event and grade:
    the quick report's fields for `report`, the contact sheet (deadlines and links) for
    `dispatch`, the change itself otherwise."""
    case = get_case(session, case_id)
    event, occasion = transition.event, f"{transition.event.value}@{event_id}"
    roles = transition.notifications
    if event is StageEvent.report:
        return [_quick_report(session, case, actor, roles, occasion, policy, lines)]
    if event is StageEvent.dispatch:
        tz = ZoneInfo(policy.timezone)
        return [contact_sheet(session, case, roles=roles, occasion=occasion, lines=lines, tz=tz)]
    old, new = STAGE_LABELS[transition.from_stage], STAGE_LABELS[transition.to_stage]
    return [
        Notice(
            kind=NoticeKind.STAGE,
            occasion=occasion,
            headline=f"阶段变更：{old} → {new}（{who(session, actor)}）",
            case_id=case_id,
            roles=roles,
            lines=tuple(lines),
        )
    ]


def _quick_report(
    session: Session,
    case: Case,
    actor: str,
    roles: tuple[str, ...],
    occasion: str,
    policy: Policy,
    lines: Sequence[str],
) -> Notice:
    return Notice(
        kind=NoticeKind.QUICK_REPORT,
        occasion=occasion,
        headline=f"舆情快报（{who(session, actor)} 报送）",
        case_id=case.id,
        roles=roles,
        lines=(*quick_report_lines(session, case, policy), *lines),
        extra={"reporter": actor},  # the quick-report document's 报送人
    )


def quick_report_lines(session: Session, case: Case, policy: Policy) -> tuple[str, ...]:
    """The quick report's mandated fields (seeds-spec §7.1; S1-4 §13): site, item, gist of the
    comments, source and link, category, grade, when it was found."""
    assert case.id is not None
    items = case_items(session, case.id)
    first = items[0] if items else None
    tz = ZoneInfo(policy.timezone)
    category = CATEGORY_LABELS.get(Category(case.category), case.category) if case.category else ""
    return (
        f"网站：{first.site or '（人工登记）' if first else '（人工登记）'}",
        f"舆情信息：{first.title if first else case.title}",
        f"网友留言要点：{(first.summary if first else '')[:200] or '（无）'}",
        f"来源链接：{first.url if first else '（无）'}",
        f"类别：{category or '待研判'}",
        f"等级：{policy.scheme.level(case.grade).label}",
        f"发现时间：{case.discovered_at.astimezone(tz):%Y-%m-%d %H:%M}",
        f"相关信息 {len(items)} 条",
    )


def contact_sheet(
    session: Session,
    case: Case,
    *,
    roles: Sequence[str],
    occasion: str,
    lines: Sequence[str],
    tz: ZoneInfo,
) -> Notice:
    """联系单: the case, its items and gist, the unit's deadlines, and links bound to the unit's
    first obligation (签收, 完成 its verification, 申请延期…)."""
    assert case.id is not None
    items = case_items(session, case.id)
    owned = _units_open(session, case.id)
    return Notice(
        kind=NoticeKind.CONTACT_SHEET,
        occasion=occasion,
        headline="网络舆情联系单：请核查并按时反馈",
        case_id=case.id,
        roles=tuple(roles),
        lines=(
            _units_line(session, case),
            *(f"舆情信息：{i.title} {i.url}" for i in items[:5]),
            f"要点：{(items[0].summary if items else case.title)[:200]}",
            *(f"{o.title}：截止 {deadline_text(o.due_at, tz)}" for o in owned),
            *lines,
        ),
        links=ALERT_LINKS if owned else (),
        link_subject=owned[0].key if owned else None,
        obligation_id=owned[0].id if owned else None,
        extra={
            "command": f"yuqing case complete {case.id} --obligation "
            + (owned[0].key if owned else "verification")
            + " --result 核查结果 --by {person}"
        },
    )


def _units_line(session: Session, case: Case) -> str:
    """责任单位 and, when there are several, the lead one."""
    units = [session.get(Unit, u) for u in case.units]
    names = "、".join(u.name for u in units if u is not None)
    lead = session.get(Unit, case.lead_unit_id) if case.lead_unit_id else None
    return f"责任单位：{names or '（未指定）'}" + (
        f"（牵头：{lead.name}）" if lead and len(units) > 1 else ""
    )


def _units_open(session: Session, case_id: int) -> list[Obligation]:
    """The responsible units' open obligations, nearest deadline first."""
    owned = [
        o
        for o in obligations_of(session, case_id)
        if o.status == ObligationStatus.OPEN and o.owner_role == "unit_responsible"
    ]
    owned.sort(key=lambda o: o.due_at)
    return owned
