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


class ObligationStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class SourceKind(StrEnum):
    RSS = "rss"


class RunStatus(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    PARTIAL = "partial"
    FAILED = "failed"
