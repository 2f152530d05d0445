"""Everything a case's file (立卷归档) holds, read from the database as tables people can open:
the timeline, the items, the deadlines, the approvals, the referrals, the accountability
evidence with its judgements, every message sent and every attempt to deliver it, the review,
the leaders' instructions and the corrections (`models.repo.archive_records`), and the
documents issued (the quick reports' files: the 快报 and each 续报). Names and local times
through `Labels`. Reads only; keyword-only functions over a Session.
`models.reports.archive.pack` makes the zip."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.repo.archive_records import corrections_table, instructions_table
from models.repo.cases import case_items, case_obligations, case_timeline, get_case
from models.reports.archive import ArchiveCell, ArchiveTable, CaseArchive
from models.reports.labels import ROLE_LABELS, Labels
from models.store.tables import (
    AccountabilityJudgement,
    AccountabilityRecord,
    ApprovalRequest,
    Case,
    CaseReview,
    Delivery,
    Notification,
    Referral,
    StoredReport,
)

Rows = list[tuple[ArchiveCell, ...]]


def case_archive(session: Session, *, case_id: int, labels: Labels) -> CaseArchive:
    """The case's file; CaseError when there is no such case."""
    case = get_case(session, case_id)
    when = _when(labels)
    tables = (
        _timeline(session, case_id, labels, when),
        _items(session, case_id, when),
        _deadlines(session, case_id, labels, when),
        _approvals(session, case_id, labels, when),
        _referrals(session, case_id, labels, when),
        _accountability(session, case_id, labels, when),
        _messages(session, case_id, labels, when),
        _attempts(session, case_id, when),
        _review(session, case_id, labels, when),
        instructions_table(session, case_id, labels, when),
        corrections_table(session, case_id, labels, when),
    )
    documents = tuple(
        (r.filename, f"{r.label} {labels.approval(r.kind.value)}", r.content)
        for r in session.exec(
            select(StoredReport)
            .where(StoredReport.case_id == case_id)
            .order_by(col(StoredReport.id))
        )
        if r.content is not None
    )
    return CaseArchive(case_id, case.title, _facts(case, labels, when), tables, documents)


def _name(labels: Labels, person: str | None) -> str | None:
    return None if person is None else labels.person(person)


def _when(labels: Labels) -> Any:
    def local(at: datetime | None) -> str | None:
        return None if at is None else at.astimezone(labels.tz).isoformat(timespec="seconds")

    return local


def _facts(case: Case, labels: Labels, when: Any) -> dict[str, Any]:
    return {
        "案件编号": case.id,
        "标题": case.title,
        "等级": labels.grade(case.grade),
        "类别": labels.category(case.category),
        "阶段": labels.stage(case.stage.value),
        "专题": labels.topics.get(case.topic_id or "", case.topic_id),
        "责任单位": [labels.unit(u) for u in case.units],
        "牵头单位": labels.unit(case.lead_unit_id) if case.lead_unit_id else None,
        "处置结果": labels.outcome(case.outcome) or None,
        "处置策略": case.policy_id,
        "发现时间": when(case.discovered_at),
        "发帖时间": when(case.posted_at),
        "发生时间": when(case.occurred_at),
        "办结时间": when(case.closed_at),
        "时区": str(labels.tz),
    }


def _timeline(session: Session, case_id: int, labels: Labels, when: Any) -> ArchiveTable:
    rows: Rows = [
        (when(e.at), e.kind.value, labels.person(e.actor), e.message)
        for e in case_timeline(session, case_id)
    ]
    return ArchiveTable("timeline", "时间线", ("时间", "类别", "操作人", "内容"), rows)


def _items(session: Session, case_id: int, when: Any) -> ArchiveTable:
    headers = (
        "编号",
        "标题",
        "链接",
        "网站",
        "发帖时间",
        "采集时间",
        "点击",
        "评论",
        "转发",
        "摘要",
    )
    rows: Rows = [
        (
            i.id,
            i.title,
            i.url,
            i.site,
            when(i.published_at),
            when(i.fetched_at),
            i.clicks,
            i.comments,
            i.reposts,
            i.summary,
        )
        for i in case_items(session, case_id)
    ]
    return ArchiveTable("items", "信息原文", headers, rows)


def _deadlines(session: Session, case_id: int, labels: Labels, when: Any) -> ArchiveTable:
    headers = (
        *("事项代码", "事项", "责任角色", "起算点", "起算时间", "计时", "截止时间", "暂定"),
        *("状态", "签收人", "签收时间", "完成人", "完成时间", "催办级别"),
    )
    rows: Rows = [
        (
            o.key,
            o.title,
            ROLE_LABELS.get(o.owner_role, o.owner_role),
            o.anchor,
            when(o.anchor_at),
            o.clock,
            when(o.due_at),
            o.provisional,
            o.status.value,
            _name(labels, o.acked_by),
            when(o.acked_at),
            _name(labels, o.completed_by),
            when(o.completed_at),
            o.level,
        )
        for o in case_obligations(session, case_id)
    ]
    return ArchiveTable("deadlines", "时限", headers, rows)


def _approvals(session: Session, case_id: int, labels: Labels, when: Any) -> ArchiveTable:
    query = select(ApprovalRequest).where(ApprovalRequest.case_id == case_id)
    headers = (
        *("编号", "类别", "申请人", "申请时间", "理由", "内容", "状态"),
        *("审批人", "审批时间", "审批意见"),
    )
    rows: Rows = [
        (
            a.id,
            labels.approval(a.kind.value),
            labels.person(a.requested_by),
            when(a.requested_at),
            a.reason,
            str(a.payload.get("text", "")) or None,
            a.status.value,
            _name(labels, a.decided_by),
            when(a.decided_at),
            a.note,
        )
        for a in session.exec(query.order_by(col(ApprovalRequest.id)))
    ]
    return ArchiveTable("approvals", "审批", headers, rows)


def _referrals(session: Session, case_id: int, labels: Labels, when: Any) -> ArchiveTable:
    query = select(Referral).where(Referral.case_id == case_id).order_by(col(Referral.id))
    rows: Rows = [
        (labels.body(r.body), r.note, labels.person(r.referred_by), when(r.at))
        for r in session.exec(query)
    ]
    return ArchiveTable("referrals", "移送", ("移送机关", "说明", "移送人", "时间"), rows)


def _accountability(session: Session, case_id: int, labels: Labels, when: Any) -> ArchiveTable:
    records = session.exec(
        select(AccountabilityRecord)
        .where(AccountabilityRecord.case_id == case_id)
        .order_by(col(AccountabilityRecord.id))
    ).all()
    judged = _judgements(session, [r.id for r in records if r.id is not None])
    headers = (
        *("编号", "事项", "责任角色", "责任人", "截止时间", "记录时间", "逾期秒数", "催办级别"),
        *("研判结论", "研判理由", "研判人", "研判时间"),
    )
    rows: Rows = []
    for r in records:
        j = judged.get(r.id or 0)
        rows.append(
            (
                r.id,
                r.obligation_title,
                ROLE_LABELS.get(r.owner_role, r.owner_role),
                "、".join(labels.person(p) for p in r.responsible),
                when(r.due_at),
                when(r.recorded_at),
                r.late_seconds,
                r.level,
                None if j is None else ("理由成立" if j.justified else "理由不成立"),
                None if j is None else j.reason,
                None if j is None else labels.person(j.judged_by),
                None if j is None else when(j.judged_at),
            )
        )
    return ArchiveTable("accountability", "问责证据", headers, rows)


def _judgements(session: Session, ids: Sequence[int]) -> dict[int, AccountabilityJudgement]:
    if not ids:
        return {}
    query = select(AccountabilityJudgement).where(col(AccountabilityJudgement.record_id).in_(ids))
    latest: dict[int, AccountabilityJudgement] = {}
    for j in session.exec(query.order_by(col(AccountabilityJudgement.id))):
        latest[j.record_id] = j
    return latest


def _messages(session: Session, case_id: int, labels: Labels, when: Any) -> ArchiveTable:
    query = select(Notification).where(Notification.case_id == case_id)
    headers = ("通知编号", "接收人", "渠道", "标题", "正文", "状态", "生成时间", "送达时间", "附件")
    rows: Rows = [
        (
            n.id,
            labels.person(n.recipient_id),
            n.channel,
            n.subject,
            n.body,
            n.status.value,
            when(n.created_at),
            when(n.sent_at),
            n.attachment,
        )
        for n in session.exec(query.order_by(col(Notification.created_at), col(Notification.id)))
    ]
    return ArchiveTable("messages", "发出的通知", headers, rows)


def _attempts(session: Session, case_id: int, when: Any) -> ArchiveTable:
    query = (
        select(Delivery)
        .join(Notification, col(Notification.id) == Delivery.notification_id)
        .where(Notification.case_id == case_id)
        .order_by(col(Delivery.at), col(Delivery.id))
    )
    headers = ("通知编号", "次序", "时间", "渠道", "成功", "结果", "HTTP状态", "说明")
    rows: Rows = [
        (
            d.notification_id,
            d.attempt,
            when(d.at),
            d.channel,
            d.ok,
            d.outcome,
            d.http_status,
            d.detail,
        )
        for d in session.exec(query)
    ]
    return ArchiveTable("deliveries", "送达记录", headers, rows)


def _review(session: Session, case_id: int, labels: Labels, when: Any) -> ArchiveTable:
    query = select(CaseReview).where(CaseReview.case_id == case_id).order_by(col(CaseReview.id))
    rows: Rows = [
        (r.summary, r.cause, r.lessons, labels.person(r.reviewed_by), when(r.at))
        for r in session.exec(query)
    ]
    return ArchiveTable(
        "review", "总结评估", ("总结", "原因分析", "经验教训", "评估人", "时间"), rows
    )
