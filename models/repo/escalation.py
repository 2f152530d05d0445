"""Repository functions for deadlines: claim the obligations whose next check is due, and
advance an obligation's escalation level with compare-and-set, so two sweepers never fire the
same level twice (PostgreSQL also skips rows another sweeper holds locked)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.policy.states import ObligationStatus
from models.store.tables import Obligation


def claim_due(session: Session, *, now: datetime, limit: int) -> Sequence[Obligation]:
    """Open obligations whose next check time has come, oldest first, locked for this sweep."""
    query = (
        select(Obligation)
        .where(Obligation.status == ObligationStatus.OPEN, col(Obligation.next_check_at) <= now)
        .order_by(col(Obligation.next_check_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


def advance_level(
    session: Session,
    obligation: Obligation,
    *,
    to_level: int,
    next_check_at: datetime | None,
    reminded_at: datetime | None = None,
) -> bool:
    """Move the obligation from its current level to `to_level` (and mark its reminder done when
    `reminded_at` is given); False if someone else did either first."""
    assert obligation.id is not None
    conditions = [
        col(Obligation.id) == obligation.id,
        col(Obligation.level) == obligation.level,
        col(Obligation.status) == ObligationStatus.OPEN,
    ]
    values: dict[str, object] = {"level": to_level, "next_check_at": next_check_at}
    if reminded_at is not None:
        conditions.append(col(Obligation.reminded_at).is_(None))
        values["reminded_at"] = reminded_at
    result = session.execute(
        update(Obligation)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.expire(obligation)
    return True
