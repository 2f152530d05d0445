"""The quick-report document (舆情快报, seeds-spec §7.1, F8): one case's mandated fields, site name
(网络名), the item (舆情信息), the gist of the comments (网友留言大概内容), source and link
(出处), category and grade, with the issue number (期号), the reporting office and time. The
paper quick report (纸质快报, S1-4 §13) follows the phone one, so the text is plain and
complete without the system. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models.reports.labels import Labels

MANDATED = ("网络名", "舆情信息", "网友留言大概内容", "出处及链接", "类别", "等级")
GIST_ITEMS = 3  # item summaries quoted when nobody wrote a gist


@dataclass(frozen=True)
class ItemFacts:
    title: str
    url: str
    site: str
    source: str
    summary: str
    clicks: int
    comments: int
    reposts: int


@dataclass(frozen=True)
class QuickFacts:
    case_id: int
    title: str
    grade: str
    category: str | None
    discovered_at: datetime
    items: Sequence[ItemFacts]
    stage: str = "detected"
    gist: str = ""  # what a person wrote; empty: the items' own summaries
    instructions: tuple[str, ...] = ()  # 领导批示 given so far: "李强（2026-11-23 10:00）：…"


@dataclass(frozen=True)
class QuickReport:
    """The document: a heading, the issue line, and the fields in the mandated order."""

    heading: str
    issue_line: str
    fields: tuple[tuple[str, str], ...]
    footer: str

    def field(self, name: str) -> str:
        return dict(self.fields)[name]


def quick_report(
    facts: QuickFacts,
    labels: Labels,
    *,
    issue: int,
    year: int,
    office: str,
    at: datetime,
    by: str,
    ordinal: int = 1,
    changes: Sequence[str] = (),
) -> QuickReport:
    """The issue's document; a further report (`ordinal` > 1, 第N次续报) carries what changed
    since the last (续报事项); every one carries the leaders' instructions (领导批示)."""
    first = facts.items[0] if facts.items else None
    sites = list(dict.fromkeys(i.site or i.source for i in facts.items if i.site or i.source))
    links = [f"{i.source or i.site}：{i.url}" for i in facts.items]
    clicks, comments = (sum(getattr(i, f) for i in facts.items) for f in ("clicks", "comments"))
    information = facts.title if first is None else f"{facts.title}。{first.summary}".rstrip("。")
    fields = (
        ("网络名", "、".join(sites) or "（人工登记，未采集到网上来源）"),
        ("舆情信息", information),
        ("网友留言大概内容", facts.gist or _gist(facts.items)),
        ("出处及链接", "\n".join(links) or "无"),
        ("类别", labels.category(facts.category)),
        ("等级", labels.grade(facts.grade)),
        ("发现时间", labels.text(facts.discovered_at)),
        ("传播情况", f"相关信息 {len(facts.items)} 条，点击 {clicks}，评论 {comments}"),
        ("案件编号", f"{facts.case_id}（{labels.case_link(facts.case_id)}）"),
        *((("续报事项", "\n".join(changes) or "无新变化"),) if ordinal > 1 else ()),
        ("领导批示", "\n".join(facts.instructions) or "（暂无）"),
    )
    sequel = f"第{ordinal - 1}次续报    " if ordinal > 1 else ""
    return QuickReport(
        heading="舆情快报",
        issue_line=f"{sequel}{year}年第{issue}期    {office}    {labels.text(at)}",
        fields=fields,
        footer=f"{_sender(labels, by, office)}。监测仍在继续，如有新情况将续报。",
    )


def _sender(labels: Labels, by: str, office: str) -> str:
    """报送人 is a person of the directory; without one (built by the system or the command
    line without `--by`) the office reports it — never an OS user's name."""
    if by in labels.people:
        return f"报送人：{labels.people[by]}"
    return f"报送单位：{office}"


def _gist(items: Sequence[ItemFacts]) -> str:
    quoted = [i.summary.strip() for i in items if i.summary.strip()][:GIST_ITEMS]
    if not quoted:
        return "（暂无留言摘要，请报送人补充）"
    more = f"等 {len(items)} 条" if len(items) > GIST_ITEMS else ""
    return "；".join(quoted) + more
