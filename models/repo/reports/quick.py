"""The facts a quick report (舆情快报) is written from: the case and its items, oldest first;
the key a case's report is stored under (its first report, later its 续报, each one issue) and
the issue number (期号) the next new one takes: 快报 are numbered by year (S1-13 counts them),
the number stored with the report, so a re-export keeps it. Keyword-only functions over a
Session."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.policy import DEFAULT_TZ
from models.repo.cases import get_case
from models.repo.instructions import instruction_lines
from models.reports.quick import ItemFacts, QuickFacts
from models.store.tables import Item, Source, StoredReport


def quick_facts(
    session: Session, *, case_id: int, gist: str = "", tz: ZoneInfo = DEFAULT_TZ
) -> QuickFacts:
    """CaseError when there is no such case."""
    case = get_case(session, case_id)
    query = (
        select(Item, Source.name)
        .join(Source, col(Source.id) == Item.source_id)
        .where(Item.case_id == case_id)
        .order_by(col(Item.id))
    )
    items = [
        ItemFacts(
            title=item.title,
            url=item.url,
            site=item.site,
            source=source,
            summary=item.summary,
            clicks=item.clicks,
            comments=item.comments,
            reposts=item.reposts,
        )
        for item, source in session.exec(query)
    ]
    assert case.id is not None
    return QuickFacts(
        case_id=case.id,
        title=case.title,
        grade=case.grade,
        category=case.category,
        discovered_at=case.discovered_at,
        items=items,
        stage=case.stage.value,
        gist=gist,
        instructions=tuple(instruction_lines(session, case_id, tz)),
    )


def quick_key(case_id: int, ordinal: int = 1) -> str:
    """The key of the case's `ordinal`-th quick report (1: the first, 快报): issuing it again —
    from the case flow's step or `yuqing report quick` — is the same report and number."""
    return f"quick|case{case_id}|{ordinal}"


def next_issue(session: Session, *, year: int) -> int:
    """1 + the highest issue number given in `year` (the stored number, not a count: a report
    deleted or re-exported never shifts the others)."""
    highest = session.exec(
        select(func.max(StoredReport.issue_no)).where(StoredReport.issue_year == year)
    ).one()
    return int(highest or 0) + 1
