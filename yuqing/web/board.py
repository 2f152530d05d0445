"""What the console's board shows: one page of open cases from `models.repo.board` (nearest
deadline first, filtered in the database), with the labels, unit names and countdowns of the
visible rows only, the counts of all open and overdue cases under the same filters (counted
again at most every 15 seconds), and the cursor of the next page. Plain data for `board.html`;
no HTML here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from models.policy import Policy
from models.policy.stages import STAGE_LABELS
from models.repo.board import BoardFilter, Cursor, board_counts, board_page
from yuqing.web.pages import countdown

BOARD_PAGE = 50  # cases per page
COUNTS_TTL_S = 15.0


@dataclass(frozen=True)
class BoardLine:
    case_id: int
    title: str
    grade_label: str
    stage_label: str
    nearest_title: str
    nearest_due: datetime | None
    countdown: str
    overdue: bool
    open_count: int
    units: tuple[str, ...]  # unit names


@dataclass(frozen=True)
class Board:
    lines: list[BoardLine]
    open_cases: int  # every open case under the filters, not just this page
    overdue_cases: int
    counted_at: datetime  # when those two were counted (at most COUNTS_TTL_S ago)
    next: str | None  # the next page's cursor; None on the last page


@dataclass
class CountsCache:
    """The board's counts per filter, counted again at most every `ttl` seconds of the app's
    clock: counting 100,000 open cases takes 50-150 ms, the page of 50 itself about 10, and
    the counts are a headline, not a ledger (the page shows when they were counted)."""

    ttl: float = COUNTS_TTL_S
    found: dict[BoardFilter, tuple[datetime, tuple[int, int]]] = field(default_factory=dict)

    def get(
        self, filters: BoardFilter, now: datetime, count: Callable[[], tuple[int, int]]
    ) -> tuple[datetime, tuple[int, int]]:
        at, counts = self.found.get(filters, (None, (0, 0)))
        if at is None or not timedelta(0) <= now - at < timedelta(seconds=self.ttl):
            at, counts = now, count()
            self.found[filters] = (at, counts)
        return at, counts


def counts_cache(state: Any) -> CountsCache:
    """The app's cache (on `app.state`), made on first use."""
    found = getattr(state, "board_counts", None)
    if not isinstance(found, CountsCache):
        found = state.board_counts = CountsCache()
    return found


def grade_names(policy: Policy, grade: str | None) -> tuple[str, ...]:
    """Every name a case of `grade`'s level may be stored under; () for no grade filter."""
    return policy.scheme.level(grade).names if grade else ()


def board(
    session: Session,
    policy: Policy,
    *,
    now: datetime,
    unit_names: Mapping[str, str],
    unit: str | None = None,
    grade: str | None = None,
    after: Cursor | None = None,
    limit: int = BOARD_PAGE,
    cache: CountsCache | None = None,
) -> Board:
    """One page of the board after `after` (None: the first), and the counts (from `cache`
    when it has them)."""
    filters = BoardFilter(grades=grade_names(policy, grade), unit=unit)
    page = board_page(session, filters=filters, after=after, limit=limit)

    def count() -> tuple[int, int]:
        return board_counts(session, now=now, filters=filters)

    counted_at, (total, late) = (cache or CountsCache(ttl=0)).get(filters, now, count)
    lines = []
    for row in page.rows:
        text, overdue = countdown(row.nearest_due, now) if row.nearest_due else ("—", False)
        lines.append(
            BoardLine(
                case_id=row.case_id,
                title=row.title,
                grade_label=policy.scheme.level(row.grade).label,
                stage_label=STAGE_LABELS[row.stage],
                nearest_title=row.nearest_title or "—",
                nearest_due=row.nearest_due,
                countdown=text,
                overdue=overdue,
                open_count=row.open_count,
                units=tuple(sorted(unit_names.get(u, u) for u in row.units)),
            )
        )
    cursor = page.next.encode() if page.next else None
    return Board(
        lines=lines, open_cases=total, overdue_cases=late, counted_at=counted_at, next=cursor
    )
