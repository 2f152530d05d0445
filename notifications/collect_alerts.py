"""Alerts that collection raises, queued through the outbox in the collection's transaction:
等级上调 (a case's metrics crossed a band: the chain's first level is told, with the deadlines
that moved) and 监测盲区 (a source failing or silent for N runs: the operators are told; its
recovery is told too). Each has a unique outbox key, so a re-run queues nothing twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.escalation import recipients
from models.policy.states import EventKind, ObligationStatus
from models.repo.cases import add_event
from models.repo.directory import role_holders
from models.repo.snapshots import Upgrade
from models.store.tables import Case, MonitoringGap, Obligation, Person
from notifications.outbox import enqueue, new_notification_id


def queue_upgrade_alerts(
    session: Session, *, upgrades: Sequence[Upgrade], policy: Policy, now: datetime
) -> int:
    """Tell the first level of the chain about each automatic upgrade; returns how many."""
    if not upgrades:
        return 0
    holders = role_holders(session)
    queued = 0
    for upgrade in upgrades:
        case = session.get(Case, upgrade.case_id)
        assert case is not None and case.id is not None
        roles = policy.chain[0].recipients(_owner_role(session, case.id)) if policy.chain else ()
        old, new = (policy.scheme.level(g).label for g in (upgrade.from_grade, upgrade.to_grade))
        subject = f"【{new}舆情】等级上调：案件{case.id}"
        m = upgrade.metrics
        lines = [
            f"案件：{case.id}号 {case.title}",
            f"等级：{old} → {new}（指标越档，系统自动上调，相关时限已缩短）",
            f"指标：点击 {m.clicks}，评论 {m.comments}，转发 {m.reposts}，站点 {m.sites}，"
            f"主流站点 {m.mainstream_sites}",
            f"查看：yuqing case show {case.id}",
        ]
        for person_id in recipients(roles, holders=holders):
            key = f"upgrade-{upgrade.to_grade}"
            queued += _queue(session, case.id, key, person_id, subject, lines, now)
    return queued


def queue_gap_alert(
    session: Session, *, gap: MonitoringGap, source_name: str, roles: Sequence[str], now: datetime
) -> int:
    """Tell the operators that a source has gone dark (opened) or is back (closed)."""
    back = gap.closed_at is not None
    subject = f"【监测{'恢复' if back else '盲区'}】{source_name}"
    lines = (
        [f"来源 {source_name}（{gap.source_id}）已恢复正常采集，盲区已关闭。"]
        if back
        else [
            f"来源 {source_name}（{gap.source_id}）已连续 {gap.runs} 次采集失败或无数据。",
            f"原因：{gap.reason}",
            "24小时值守要求覆盖采集本身：请尽快检查该来源。",
        ]
    )
    holders = role_holders(session)
    key = f"gap{gap.id}-{'closed' if back else 'opened'}"
    return sum(
        _queue(session, None, key, person_id, subject, lines, now)
        for person_id in recipients(roles, holders=holders)
    )


def _queue(
    session: Session,
    case_id: int | None,
    key: str,
    person_id: str,
    subject: str,
    lines: list[str],
    now: datetime,
) -> int:
    person = session.get(Person, person_id)
    if person is None or not person.channels:
        return 0
    channel = person.channels[0]
    notification_id = new_notification_id()
    body = "\n".join([f"{person.name}：", *lines, f"通知编号：{notification_id}"])
    inserted = enqueue(
        session,
        case_id=case_id,
        obligation_id=None,
        level=0,
        recipient_id=person_id,
        channel=channel,
        subject=subject,
        body=body,
        notification_id=notification_id,
        at=now,
        occasion=key,
    )
    if inserted is None:
        return 0
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.NOTIFICATION_QUEUED,
        at=now,
        message=f"待发送：致 {person.name}（{channel}），{subject}",
        data={"notification": notification_id, "recipient": person_id, "channel": channel},
    )
    return 1


def _owner_role(session: Session, case_id: int) -> str:
    """The owner of the case's most urgent open obligation (who the chain's OWNER means)."""
    query = (
        select(Obligation.owner_role)
        .where(Obligation.case_id == case_id, Obligation.status == ObligationStatus.OPEN)
        .order_by(col(Obligation.due_at))
    )
    return session.exec(query).first() or "office_staff"
