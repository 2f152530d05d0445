"""Alert messages: what lapsed, on which case, which grade, due when, how late, the chain level,
and how to act, in Simplified Chinese by default (English on request). Pure text building."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.escalation import format_late


@dataclass(frozen=True)
class AlertFacts:
    notification_id: str
    case_id: int
    case_title: str
    grade_label: str
    obligation_title: str
    due_at: datetime
    late_by: timedelta
    level: int
    level_label: str
    recipient_name: str


def render_alert(facts: AlertFacts, *, tz: ZoneInfo, language: str = "zh") -> tuple[str, str]:
    """(subject, body) of a lapse alert."""
    due = facts.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    late = format_late(facts.late_by, language=language)
    if language == "en":
        subject = f"[{facts.grade_label}] overdue: {facts.obligation_title} — case {facts.case_id}"
        lines = [
            f"To: {facts.recipient_name}",
            f"Case: {facts.case_id} {facts.case_title}",
            f"Grade: {facts.grade_label}",
            f"Obligation: {facts.obligation_title}, due {due}, overdue by {late}",
            f"Escalation level: {facts.level} ({facts.level_label})",
            f"Acknowledge: yuqing case ack {facts.case_id}",
            f"Notification id: {facts.notification_id}",
        ]
        return subject, "\n".join(lines)
    subject = f"【{facts.grade_label}舆情】{facts.obligation_title}已超时：案件{facts.case_id}"
    lines = [
        f"{facts.recipient_name}：",
        f"案件：{facts.case_id}号 {facts.case_title}",
        f"等级：{facts.grade_label}",
        f"事项：{facts.obligation_title}，截止 {due}，已超时 {late}",
        f"催办级别：第{facts.level}级（{facts.level_label}）",
        f"签收：yuqing case ack {facts.case_id}",
        f"通知编号：{facts.notification_id}",
    ]
    return subject, "\n".join(lines)
