"""The rows one send writes beside its outbox row: a Delivery row per HTTP attempt, and the
case's timeline entries (送达 evidence per attempt; the fall-over to the next channel)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.policy.sending import OUTCOME_LABELS, lateness
from models.policy.states import EventKind
from notifications.channels import Attempt
from notifications.claimed import Alert, Message


def delivery_row(
    alert: Alert, attempt: Attempt, number: int, at: datetime, me: str
) -> dict[str, Any]:
    return {
        "notification_id": alert.id,
        "attempt": number,
        "at": at,
        "channel": alert.channel,
        "ok": attempt.ok,
        "detail": f"{OUTCOME_LABELS[attempt.outcome]} {attempt.reason}".strip(),
        "outcome": attempt.outcome.value,
        "http_status": attempt.status,
        "elapsed_ms": round(attempt.elapsed * 1000),
        "late_seconds": round((at - alert.due_at).total_seconds(), 3),
        "dispatcher": me,
        "code": attempt.code,
    }


def attempt_entry(
    message: Message, alert: Alert, attempt: Attempt, number: int, at: datetime, *, merged: bool
) -> dict[str, Any]:
    """The DELIVERED / DELIVERY_FAILED timeline entry of one HTTP attempt."""
    late = lateness(at - alert.due_at)
    how = f"第{number}次尝试{'（合并发送）' if merged else ''}{'（探测）' if message.probe else ''}"
    where = f"{alert.channel}，群消息" if message.group else alert.channel
    to = f"致 {alert.recipient_name or message.recipient_name}（{where}）"
    if attempt.ok:
        text = f"已送达：{to}，{how}，{late}"
    else:
        reason = f"：{attempt.reason}" if attempt.reason else ""
        text = f"发送失败（{OUTCOME_LABELS[attempt.outcome]}{reason}）：{to}，{how}"
    return {
        "case_id": alert.case_id,
        "at": at,
        "kind": EventKind.DELIVERED if attempt.ok else EventKind.DELIVERY_FAILED,
        "actor": "system",
        "message": text,
        "data": {
            "notification": alert.id,
            "recipient": alert.recipient_id,
            "channel": alert.channel,
            "attempt": number,
            "outcome": attempt.outcome.value,
            "http_status": attempt.status,
            "late_seconds": round((at - alert.due_at).total_seconds(), 3),
            "merged": merged,
            "probe": message.probe,
            "subject": alert.subject,
            "code": attempt.code,
            "group": message.group,
        },
    }


def failover_entry(
    message: Message, alert: Alert, last: Attempt, ended: datetime, following: str | None
) -> dict[str, Any]:
    """The CHANNEL_FAILOVER entry, timed at the failed send's end."""
    reason = f"（{last.reason}）" if last.reason else ""
    text = (
        f"渠道 {alert.channel} {OUTCOME_LABELS[last.outcome]}{reason}，改用 {following} 通知 "
        f"{alert.recipient_name or message.recipient_name}（同一通知编号）"
    )
    return {
        "case_id": alert.case_id,
        "at": ended,
        "kind": EventKind.CHANNEL_FAILOVER,
        "actor": "system",
        "message": text,
        "data": {
            "notification": alert.id,
            "channel": alert.channel,
            "replacement": following,
            "outcome": last.outcome.value,
        },
    }
