"""The status vocabularies that the tables store as text: kinds of timeline entries, obligation
and notification statuses, source kinds. Pure: standard library only."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """What a case-timeline entry records. The timeline is append-only."""

    OPENED = "opened"
    ITEM_ATTACHED = "item_attached"
    STAGE_CHANGED = "stage_changed"
    GRADE_CHANGED = "grade_changed"
    OBLIGATION_OPENED = "obligation_opened"
    DEADLINE_LAPSED = "deadline_lapsed"
    NOTIFICATION_QUEUED = "notification_queued"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    ACKNOWLEDGED = "acknowledged"
    COMPLETED = "completed"
    NOTE = "note"
    REOPENED = "reopened"
    REMINDER_DUE = "reminder_due"
    ESCALATION_HELD = "escalation_held"
    ACK_OVERDUE = "ack_overdue"
    CHANNEL_FAILOVER = "channel_failover"
    SEND_RECOVERED = "send_recovered"
    ACCOUNTABILITY = "accountability"
    APPROVAL_REQUESTED = "approval_requested"  # a statement, downgrade or extension to decide
    APPROVAL_DECIDED = "approval_decided"
    REFERRED = "referred"  # 移送: recorded as an outcome (seeds-spec §5)
    REASSIGNED = "reassigned"
    ESCALATED = "escalated"  # 上报: a person climbed the chain before its time
    STEP_FAILED = "step_failed"  # a step working on this case raised (models.repo.rerun)
    RERUN = "rerun"  # a re-run repaired this case (models.repo.rerun)
    REPORTED = "reported"  # 快报 or 第N次续报 issued (its ordinal and targets in `data`)
    INSTRUCTED = "instructed"  # 批示: a leader's instruction, relayed
    WAIVED = "waived"  # 不需要: an obligation resolved as not needed, with the reason
    CORRECTED = "corrected"  # 更正: units, category, grade or stage corrected, with the reason
    PROMPTED = "prompted"  # a playbook's prompt (炒作持续：研究移送)


class ObligationStatus(StrEnum):
    """An acknowledged obligation stays OPEN (DESIGN §5): 签收 stops only the no-ack chain."""

    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    WAIVED = "waived"  # 不需要 (需要时 obligations): no lapse, no escalation, not counted


class ApprovalKind(StrEnum):
    """What a request asks an approver to decide (seeds-spec §4.3; DESIGN §3-§4)."""

    STATEMENT = "statement"  # 通稿 / 回复口径
    DOWNGRADE = "downgrade"  # 降级
    EXTENSION = "extension"  # 申请延期
    PLAN = "plan"  # 处置方案 of the responsible unit (S1-2, S1-5: its leader in charge)
    REWIND = "rewind"  # 阶段回退 (the office head's consent)
    RELEASE = "release"  # 静默期发布 (S4: a release in a blackout needs consent)


class ApprovalStatus(StrEnum):
    """A request waits for one decision by someone holding an approving role, never its
    requester."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class StepStatus(StrEnum):
    """A side effect of a case change, carried out by the `case` flow: pending → running (claimed)
    → done | failed (retried by a re-run)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Category(StrEnum):
    """Content categories that steer handling (seeds-spec §5)."""

    INQUIRY = "inquiry"  # 询问、质疑、诉求
    HYPE = "hype"  # 恶意传播或炒作
    RUMOUR = "rumour"  # 捏造、歪曲、谣言
    SUGGESTION = "suggestion"  # 建设性意见
    CORRUPTION = "corruption"  # 涉腐、违纪


class Outcome(StrEnum):
    """How a case ended (seeds-spec §8.1): a person's decision, never a metric's."""

    SUBSIDED = "subsided"  # 平息
    ELIMINATED = "eliminated"  # 消除
    STABILISED = "stabilised"  # 趋于平稳
    COMPLETED = "completed"  # 按期办结


class ReferralBody(StrEnum):
    """Outside bodies a case is referred to, recorded as an outcome (seeds-spec §4.2, §5)."""

    PUBLIC_SECURITY = "public_security"  # 公安机关
    DISCIPLINE = "discipline"  # 纪检监察
    CYBERSPACE_OFFICE = "cyberspace_office"  # 网信办
    PROPAGANDA = "propaganda"  # 宣传部


CATEGORY_LABELS = {
    Category.INQUIRY: "询问、质疑、诉求",
    Category.HYPE: "恶意传播或炒作",
    Category.RUMOUR: "捏造、歪曲、谣言",
    Category.SUGGESTION: "建设性意见",
    Category.CORRUPTION: "涉腐涉纪",
}


def category_label(category: str | None) -> str:
    """A category's one name (未分类 for none; the code itself for one unknown)."""
    if not category:
        return "未分类"
    try:
        return CATEGORY_LABELS[Category(category)]
    except ValueError:
        return category


CATEGORY_HELP = " | ".join(f"{c.value}（{label}）" for c, label in CATEGORY_LABELS.items())
OUTCOME_LABELS = {
    Outcome.SUBSIDED: "平息",
    Outcome.ELIMINATED: "消除",
    Outcome.STABILISED: "趋于平稳",
    Outcome.COMPLETED: "按期办结",
}
REFERRAL_LABELS = {
    ReferralBody.PUBLIC_SECURITY: "公安机关",
    ReferralBody.DISCIPLINE: "纪检监察机关",
    ReferralBody.CYBERSPACE_OFFICE: "网信办",
    ReferralBody.PROPAGANDA: "宣传部",
}
OUTCOME_HELP = " | ".join(f"{o.value}（{label}）" for o, label in OUTCOME_LABELS.items())
REFERRAL_HELP = " | ".join(f"{r.value}（{label}）" for r, label in REFERRAL_LABELS.items())
APPROVAL_LABELS = {
    ApprovalKind.STATEMENT: "通稿审定",
    ApprovalKind.DOWNGRADE: "降级审批",
    ApprovalKind.EXTENSION: "延期审批",
    ApprovalKind.PLAN: "处置方案审批",
    ApprovalKind.REWIND: "阶段回退审批",
    ApprovalKind.RELEASE: "静默期发布审批",
}


class NotificationStatus(StrEnum):
    """pending → sending (claimed, committed before the send) → sent | pending (retry) | failed."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Chain(StrEnum):
    """Which escalation chain a notification belongs to (DESIGN §5)."""

    REMINDER = "reminder"  # before the due time, to the owner
    NO_COMPLETION = "no_completion"  # at the due time and each repeat interval after it
    NO_ACK = "no_ack"  # an alert not acknowledged within the grade's ack window


class SourceKind(StrEnum):
    RSS = "rss"
    JSON = "json"
    INTAKE = "intake"
    MANUAL = "manual"


class RunStatus(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    PARTIAL = "partial"
    FAILED = "failed"
