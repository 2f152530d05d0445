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
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_DECIDED = "extension_decided"
    REASSIGNED = "reassigned"
    ESCALATED = "escalated"  # 上报: a person climbed the chain before its time
    STEP_FAILED = "step_failed"  # a step working on this case raised (models.rerun)
    RERUN = "rerun"  # a re-run repaired this case (models.rerun)


class ObligationStatus(StrEnum):
    """An acknowledged obligation stays OPEN (DESIGN §5): 签收 stops only the no-ack chain."""

    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ExtensionStatus(StrEnum):
    """An extension request (申请延期) waits for the approver's decision."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


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
