"""What the console's board shows: one page of open cases from `models.repo.console.board` (nearest
deadline first, filtered in the database), with the labels, unit names and countdowns of the
visible rows only, the counts of all open and overdue cases under the same filters (counted
again in the background once 15 seconds old), and the cursor of the next page. Plain data for
`board.html`; no HTML here."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from models.policy import Policy
from models.policy.routing import Shift
from models.policy.stages import STAGE_LABELS
from models.repo.access import EVERYTHING, Scope
from models.repo.console.board import BoardFilter, BoardRow, Cursor, board_counts, board_page
from models.repo.console.mywork import who_must_act
from models.repo.directory import Directory
from models.store.db import session_scope
from yuqing.web.pages import countdown

log = logging.getLogger(__name__)
BOARD_PAGE = 50  # cases per page
COUNTS_TTL_S = 15.0
Count = Callable[[], tuple[int, int]]
Counted = tuple[datetime, tuple[int, int]]


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
    who: str = ""  # who must act on the nearest obligation (names)


@dataclass(frozen=True)
class Board:
    lines: list[BoardLine]
    open_cases: int  # every open case under the filters, not just this page
    overdue_cases: int
    counted_at: datetime  # when those two were counted (at most COUNTS_TTL_S ago)
    next: str | None  # the next page's cursor; None on the last page


@dataclass
class CountsCache:
    """The board's counts per filter. Counting 100,000 open cases takes 50-300 ms, the page of
    50 itself about 10, and the counts are a headline, not a ledger (the page says when they
    were counted): so counts older than `ttl` seconds of the app's clock are shown while they
    are counted again in the background, and only the first view of a filter waits for them."""

    ttl: float = COUNTS_TTL_S
    found: dict[BoardFilter, tuple[datetime, tuple[int, int]]] = field(default_factory=dict)
    refreshing: dict[BoardFilter, threading.Thread] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, filters: BoardFilter, now: datetime, count: Count) -> Counted:
        with self.lock:
            known = self.found.get(filters)
        if known is None:
            return self._count(filters, now, count)
        if not timedelta(0) <= now - known[0] < timedelta(seconds=self.ttl):
            with self.lock:
                if filters not in self.refreshing:
                    thread = threading.Thread(
                        target=self._count, args=(filters, now, count), daemon=True
                    )
                    self.refreshing[filters] = thread
                    thread.start()
        return known

    def wait(self) -> None:
        """Until the counts being counted again are in (for tests)."""
        with self.lock:
            threads = list(self.refreshing.values())
        for thread in threads:
            thread.join()

    def _count(self, filters: BoardFilter, now: datetime, count: Count) -> Counted:
        try:
            counted = (now, count())
            with self.lock:
                self.found[filters] = counted
            return counted
        except Exception:
            log.exception("board counts failed")  # the stale ones stay shown
            raise
        finally:
            with self.lock:
                self.refreshing.pop(filters, None)


def counts_cache(state: Any) -> CountsCache:
    """The app's cache (on `app.state`), made on first use."""
    found = getattr(state, "board_counts", None)
    if not isinstance(found, CountsCache):
        found = state.board_counts = CountsCache()
    return found


def _who(
    directory: Directory,
    names: Mapping[str, str],
    row: BoardRow,
    *,
    now: datetime,
    shifts: Sequence[Shift],
) -> str:
    """Who must act on the row's nearest obligation, by name."""
    if not row.owner_role:
        return "—"
    found = who_must_act(
        directory,
        names,
        owner_role=row.owner_role,
        assignee=row.assignee,
        units=row.case_units,
        at=now,
        shifts=shifts,
    )
    return "、".join(found) or "无人（请转办）"


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
    scope: Scope = EVERYTHING,
    shifts: Sequence[Shift] = (),
    directory: Directory | None = None,
    names: Mapping[str, str] | None = None,
) -> Board:
    """One page of the board after `after` (None: the first) of the cases `scope` sees, and
    the counts (from `cache` when it has them)."""
    filters = BoardFilter(grades=grade_names(policy, grade), unit=unit, scope=scope)
    page = board_page(session, filters=filters, after=after, limit=limit)

    engine = session.get_bind()
    assert isinstance(engine, Engine)

    def count() -> tuple[int, int]:  # its own session: it may run after this request
        with session_scope(engine) as counting:
            return board_counts(counting, now=now, filters=filters)

    counted_at, (total, late) = (cache or CountsCache()).get(filters, now, count)
    lines = []
    for row in page.rows:
        who = _who(directory, names or {}, row, now=now, shifts=shifts) if directory else ""
        lines.append(_line(policy, row, now=now, unit_names=unit_names, who=who))
    cursor = page.next.encode() if page.next else None
    return Board(
        lines=lines, open_cases=total, overdue_cases=late, counted_at=counted_at, next=cursor
    )


def _line(
    policy: Policy, row: BoardRow, *, now: datetime, unit_names: Mapping[str, str], who: str
) -> BoardLine:
    """One case's line: its grade and stage by name, its nearest deadline counted down."""
    text, overdue = countdown(row.nearest_due, now) if row.nearest_due else ("—", False)
    return BoardLine(
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
        who=who,
    )
