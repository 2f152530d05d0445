"""The stored report's and the judgement's vocabularies, stored as text. Standard library only."""

from __future__ import annotations

from enum import StrEnum


class ReportStatus(StrEnum):
    """A stored report: pending (asked for, not built yet) → built | failed (kept with its
    error, on the stuck list until `yuqing report rerun` builds it)."""

    PENDING = "pending"
    BUILT = "built"
    FAILED = "failed"


class Delivery(StrEnum):
    """Where a built report's sending stands, from its outbox rows."""

    NOT_SENT = "not_sent"  # nobody asked for it to be sent
    SENDING = "sending"  # some copies still pending or being sent
    DELIVERED = "delivered"  # every recipient got it on some channel
    UNDELIVERED = "undelivered"  # a recipient's every channel failed: stuck, re-runnable


DELIVERY_LABELS = {
    Delivery.NOT_SENT: "未发送",
    Delivery.SENDING: "发送中",
    Delivery.DELIVERED: "已送达",
    Delivery.UNDELIVERED: "未送达",
}


class Consequence(StrEnum):
    """What a person proposes for an unjustified lapse (seeds-spec §8.3); never set by the
    machine."""

    NONE = ""
    NOTICE = "notice"  # 通报处理
    RATING = "rating"  # 不得评优
    APPRAISAL = "appraisal"  # 纳入年度考核
