"""The text of the message that carries a report: for the daily digest the digest itself
(title + link per case, S1-5); for the longer reports the headline figures, so a leader reading
it on a phone sees the month at a glance before opening the file. Standard library only."""

from __future__ import annotations

from typing import Any

from models.reports.document import Document
from models.reports.labels import percent
from models.reports.periods import KIND_LABELS, ReportKind


def headline(summary: dict[str, Any]) -> str:
    """One paragraph of the figures a stored report keeps."""
    lapsed = int(summary.get("late", 0)) + int(summary.get("unmet", 0))
    return (
        f"新增案件 {summary.get('cases_opened', 0)} 件，在办 {summary.get('cases_open', 0)} 件；"
        f"应完成时限 {summary.get('deadlines_due', 0)} 项，按时率 "
        f"{percent(summary.get('on_time_rate'))}，逾期 {lapsed} 项；"
        f"问责记录 {summary.get('accountability_records', 0)} 条"
        f"（待研判 {summary.get('unjudged', 0)} 条）；移送 {summary.get('referrals', 0)} 次。"
    )


def periodic_message(kind: ReportKind, document: Document) -> tuple[str, str]:
    """(subject, body) for a weekly, monthly, half-yearly or annual report."""
    subject = f"【{KIND_LABELS[kind]}】{document.summary.get('period', '')}"
    body = "\n".join([document.title, f"期间：{document.subtitle}", headline(document.summary)])
    return subject, body
