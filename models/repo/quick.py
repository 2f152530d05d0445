"""The facts a quick report (舆情快报) is written from: the case and its items, oldest first;
and the issue number the next one takes (快报 are numbered by year, S1-13 counts them). Reads
only; keyword-only functions over a Session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.repo.cases import get_case
from models.reports.periods import ReportKind
from models.reports.quick import ItemFacts, QuickFacts
from models.store.tables import Item, Source, StoredReport


def quick_facts(session: Session, *, case_id: int, gist: str = "") -> QuickFacts:
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
    )


def next_issue(session: Session, *, year_start: datetime, year_end: datetime) -> int:
    """1 + the quick reports issued in the year [year_start, year_end)."""
    count = session.exec(
        select(func.count()).where(
            StoredReport.kind == ReportKind.QUICK,
            col(StoredReport.created_at) >= year_start,
            col(StoredReport.created_at) < year_end,
        )
    ).one()
    return int(count) + 1
