"""The daily digest (每日汇总, seeds-spec §3.4 P01, S1-5: "title + link", 17:00): the day's new
cases and every open case, each with its grade, its link and its next deadline; as tables for
the workbook and as the text of the message itself, capped so a chat message stays readable
(the rest is in the attachment). Standard library only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from models.reports.build import ReportInput, summary
from models.reports.document import Cell, Document, Table
from models.reports.figures import opened_in
from models.reports.labels import Labels
from models.reports.ledger import Progress
from models.reports.periods import KIND_LABELS
from models.reports.rows import CaseRow

HEADERS = ("案件编号", "标题", "等级", "原文链接", "下一时限", "截止时间", "状态", "案件链接")
MESSAGE_LINES = 30  # cases listed in the message; the attachment has them all


def _row(case: CaseRow, step: Progress | None, labels: Labels, as_of: datetime) -> tuple[Cell, ...]:
    upcoming = step.next_open if step else None
    overdue = upcoming is not None and upcoming[0] < as_of
    return (
        case.id,
        case.title,
        labels.grade(case.grade),
        case.url or "",
        upcoming[1] if upcoming else "",
        labels.local(upcoming[0]) if upcoming else None,
        "已超时" if overdue else ("在办" if case.closed_at is None else "已办结"),
        labels.case_link(case.id),
    )


def split(data: ReportInput) -> tuple[list[CaseRow], list[CaseRow]]:
    """(the day's new cases, the cases open at the digest's time), each by grade then id."""
    start, end = data.period.bounds(data.labels.tz)
    order = {g: n for n, g in enumerate(data.labels.grade_order(list(data.labels.grades)))}

    def key(case: CaseRow) -> tuple[int, int]:
        return order.get(case.grade, len(order)), case.id

    new = sorted(opened_in(data.cases, start, end), key=key)
    still_open = sorted((c for c in data.cases if c.closed_at is None), key=key)
    return new, still_open


def daily_document(data: ReportInput) -> Document:
    labels = data.labels
    new, still_open = split(data)
    widths = (9, 40, 6, 40, 18, 17, 8, 36)
    tables = (
        Table(
            "new",
            "今日新增",
            HEADERS,
            [_row(c, data.progress.get(c.id), labels, data.as_of) for c in new],
            widths=widths,
        ),
        Table(
            "open",
            "在办案件",
            HEADERS,
            [_row(c, data.progress.get(c.id), labels, data.as_of) for c in still_open],
            widths=widths,
        ),
    )
    title = f"{data.office.name}{KIND_LABELS[data.period.kind]}（{data.period.label}）"
    subtitle = f"截至 {labels.text(data.as_of)}"
    return Document(title, subtitle, tables, "open", summary(data, new))


def digest_text(data: ReportInput) -> tuple[str, str]:
    """(subject, body) of the digest message."""
    labels, as_of, steps = data.labels, data.as_of, data.progress
    new, still_open = split(data)
    overdue = sum(1 for c in still_open if _late(steps.get(c.id), as_of))
    subject = f"【{KIND_LABELS[data.period.kind]}】{data.period.label}"
    lines = [
        f"截至 {labels.text(as_of)}：今日新增 {len(new)} 件，在办 {len(still_open)} 件，"
        f"其中下一时限已超时 {overdue} 件。"
    ]
    lines += _section("今日新增", new, steps, labels, as_of)
    lines += _section("在办案件", still_open, steps, labels, as_of)
    return subject, "\n".join(lines)


def _late(step: Progress | None, as_of: datetime) -> bool:
    return step is not None and step.next_open is not None and step.next_open[0] < as_of


def _section(
    name: str,
    cases: Sequence[CaseRow],
    steps: Mapping[int, Progress],
    labels: Labels,
    as_of: datetime,
) -> list[str]:
    if not cases:
        return [f"{name}：无"]
    lines = [f"{name}："]
    for case in cases[:MESSAGE_LINES]:
        step = steps.get(case.id)
        upcoming = step.next_open if step else None
        due = ""
        if upcoming is not None:
            late = "（已超时）" if upcoming[0] < as_of else ""
            due = f"；下一时限：{upcoming[1]} {labels.text(upcoming[0])[5:]}{late}"
        link = case.url or labels.case_link(case.id)
        lines.append(f"[{labels.grade(case.grade)}] {case.title} {link}{due}")
    if len(cases) > MESSAGE_LINES:
        lines.append(f"……其余 {len(cases) - MESSAGE_LINES} 件见附件")
    return lines
