"""Alert messages: what lapsed (or is about to), on which case, which grade, due when, how late,
the chain and its level, and how to act (the signed one-click links when configured, else the
CLI command), in Simplified Chinese by default (English on request);
and the merged message that carries several alerts to one person at once. Pure text building."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.policy.catalogue import label
from models.policy.states import Chain
from models.policy.wording import deadline_text, left_text

# How a receiver finds the notification ids in a message (one per alert, several when merged),
# to drop a repeat it has already seen.
NOTIFICATION_ID_RE = re.compile(r"(?:通知编号：|Notification id: )([0-9a-f-]{36})")


@dataclass(frozen=True)
class AlertFacts:
    notification_id: str
    case_id: int
    case_title: str
    grade_label: str
    obligation_title: str
    due_at: datetime
    late_by: timedelta  # negative for a reminder: time left
    level: int
    level_label: str
    recipient_name: str
    chain: Chain = Chain.NO_COMPLETION
    links: tuple[tuple[str, str], ...] = ()  # (action, signed URL); empty: the CLI command
    provisional: bool = False  # due in a year whose holiday arrangement is not known (暂定)


_STATE = {
    "zh": {Chain.REMINDER: "即将到期", Chain.NO_COMPLETION: "已超时", Chain.NO_ACK: "未签收"},
    "en": {
        Chain.REMINDER: "due soon",
        Chain.NO_COMPLETION: "overdue",
        Chain.NO_ACK: "unacknowledged",
    },
}


def _timing(facts: AlertFacts, language: str) -> str:
    """剩余 / 已超时 / 刚刚超时, as every page and message writes it."""
    due = facts.due_at
    return left_text(due, due + facts.late_by, language=language)[0]


def render_alert(facts: AlertFacts, *, tz: ZoneInfo, language: str = "zh") -> tuple[str, str]:
    """(subject, body) of one alert."""
    subject = alert_subject(facts, language)
    if language == "en":
        lines = [
            f"To: {facts.recipient_name}",
            *alert_lines(facts, tz=tz, language=language),
            *_actions(facts, "en"),
            f"Notification id: {facts.notification_id}",
        ]
        return subject, "\n".join(lines)
    lines = [
        f"{facts.recipient_name}：",
        *alert_lines(facts, tz=tz, language=language),
        *_actions(facts, "zh"),
        f"通知编号：{facts.notification_id}",
    ]
    return subject, "\n".join(lines)


def alert_subject(facts: AlertFacts, language: str = "zh") -> str:
    state = _STATE["en" if language == "en" else "zh"][facts.chain]
    if language == "en":
        return f"[{facts.grade_label}] {state}: {facts.obligation_title} — case {facts.case_id}"
    return f"【{facts.grade_label}舆情】{facts.obligation_title}{state}：案件{facts.case_id}"


def alert_item(facts: AlertFacts, language: str = "zh") -> str:
    """What the alert is about, short: 快报已超时."""
    state = _STATE["en" if language == "en" else "zh"][facts.chain]
    return (
        f"{facts.obligation_title} {state}"
        if language == "en"
        else f"{facts.obligation_title}{state}"
    )


def alert_lines(facts: AlertFacts, *, tz: ZoneInfo, language: str = "zh") -> list[str]:
    """The alert's facts, one a line (no salutation, no actions, no id)."""
    due = deadline_text(facts.due_at, tz)
    if facts.provisional:
        due += " (provisional)" if language == "en" else "（暂定：该年度节假日安排未知）"
    timing = _timing(facts, language)
    if language == "en":
        return [
            f"Case: {facts.case_id} {facts.case_title}",
            f"Grade: {facts.grade_label}",
            f"Obligation: {facts.obligation_title}, due {due}, {timing}",
            f"Escalation level: {facts.level} ({facts.level_label})",
        ]
    return [
        f"案件：{facts.case_id}号 {facts.case_title}",
        f"等级：{facts.grade_label}",
        f"事项：{facts.obligation_title}，截止 {due}，{timing}",
        f"催办级别：第{facts.level}级（{facts.level_label}）",
    ]


def alert_compact(facts: AlertFacts, language: str = "zh") -> str:
    """The alert on one line: case, title (short), what, how late."""
    title = facts.case_title if len(facts.case_title) <= 16 else facts.case_title[:15] + "…"
    item, timing = alert_item(facts, language), _timing(facts, language)
    if language == "en":
        return f"Case {facts.case_id} {title}: {item}, {timing}"
    return f"{facts.case_id}号 {title}：{item}，{timing}"


def _actions(facts: AlertFacts, language: str) -> list[str]:
    """One line per signed link, else how to acknowledge from the command line."""
    sep = ": " if language == "en" else "："
    if facts.links:
        return [f"{label(action, language)}{sep}{url}" for action, url in facts.links]
    return [f"{label('ack', language)}{sep}yuqing case ack {facts.case_id}"]


def render_batch(messages: Sequence[tuple[str, str]], *, language: str = "zh") -> tuple[str, str]:
    """Several alerts to one person as one message (a storm): each keeps its notification id."""
    if len(messages) == 1:
        return messages[0]
    if language == "en":
        subject = f"[yuqing] {len(messages)} alerts (merged)"
    else:
        subject = f"【舆情督办】{len(messages)}条提醒（合并发送）"
    parts = [f"{n}. {title}\n{body}" for n, (title, body) in enumerate(messages, start=1)]
    return subject, "\n\n——\n\n".join(parts)


@dataclass(frozen=True)
class NoticeFacts:
    """One notice as one person reads it (stage changes, reports, requests, decisions…)."""

    notification_id: str
    recipient_name: str
    headline: str
    lines: tuple[str, ...] = ()
    case_id: int | None = None
    case_title: str = ""
    grade_label: str = ""
    links: tuple[tuple[str, str], ...] = ()  # (action, signed URL)
    command: str | None = None  # without links: the CLI command that does the same


def render_notice(facts: NoticeFacts, *, language: str = "zh") -> tuple[str, str]:
    """(subject, body) of a notice; one about no case (a monitoring gap) has the headline as
    its subject."""
    head = [f"To: {facts.recipient_name}" if language == "en" else f"{facts.recipient_name}："]
    sep = ": " if language == "en" else "："
    actions = [f"{label(action, language)}{sep}{url}" for action, url in facts.links]
    if not actions and facts.command:
        actions = [f"{'Command' if language == 'en' else '办理'}{sep}{facts.command}"]
    tail = (
        f"Notification id: {facts.notification_id}"
        if language == "en"
        else (f"通知编号：{facts.notification_id}")
    )
    lines = [*head, *notice_lines(facts, language), *actions, tail]
    return notice_subject(facts, language), "\n".join(lines)


def notice_subject(facts: NoticeFacts, language: str = "zh") -> str:
    if facts.case_id is None:
        return facts.headline
    if language == "en":
        return f"[{facts.grade_label}] {facts.headline} — case {facts.case_id}"
    return f"【{facts.grade_label}舆情】{facts.headline}：案件{facts.case_id}"


def notice_lines(facts: NoticeFacts, language: str = "zh") -> list[str]:
    """The notice's facts, one a line (no salutation, no actions, no id)."""
    if facts.case_id is None:
        return list(facts.lines)
    if language == "en":
        head = [
            f"Case: {facts.case_id} {facts.case_title}",
            f"Grade: {facts.grade_label}",
            facts.headline,
        ]
    else:
        head = [
            f"案件：{facts.case_id}号 {facts.case_title}",
            f"等级：{facts.grade_label}",
            facts.headline,
        ]
    return [*head, *facts.lines]


def notice_compact(facts: NoticeFacts) -> str:
    if facts.case_id is None:
        return facts.headline
    title = facts.case_title if len(facts.case_title) <= 16 else facts.case_title[:15] + "…"
    return f"{facts.case_id}号 {title}：{facts.headline}"
