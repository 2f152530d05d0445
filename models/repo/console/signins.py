"""Console sign-in attempts: the audit record of every one, and the counts the throttle reads.
An account's failures count since its last successful sign-in; an address's failures count
whoever they were for (a success does not clear them, or one valid account would reset an
address guessing at others). Both only within `WINDOW`. A `pending` attempt (its password still
being checked) counts as a failure, so parallel guesses cannot all slip past the throttle.
Keyword-only functions over a Session; the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select, update

from models.policy.throttle import Backoff, next_try_at
from models.store.tables import SignInAttempt

WINDOW = timedelta(hours=24)
FAILED = ("pending", "refused")
OUTCOMES = ("pending", "signed_in", "refused", "throttled", "bad_csrf")


def storable(text: str, limit: int) -> str:
    """Text as the audit can keep it on both databases: no NUL (PostgreSQL refuses it), cut."""
    return text.replace("\x00", "\ufffd")[:limit]


def record_attempt(
    session: Session, *, at: datetime, username: str, address: str, outcome: str, reason: str = ""
) -> int:
    """Add one attempt to the record; its id (to settle a pending one)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown sign-in outcome {outcome!r}")
    attempt = SignInAttempt(
        at=at,
        username=storable(username, 64),
        address=storable(address, 64),
        outcome=outcome,
        reason=storable(reason, 500),
    )
    session.add(attempt)
    session.flush()
    assert attempt.id is not None
    return attempt.id


def settle_attempt(session: Session, attempt_id: int, *, outcome: str, reason: str) -> None:
    """A pending attempt's outcome, once the password has been checked."""
    session.execute(
        update(SignInAttempt)
        .where(col(SignInAttempt.id) == attempt_id)
        .values(outcome=outcome, reason=storable(reason, 500))
    )


def _failures(
    session: Session, where: ColumnElement[bool], since: datetime
) -> tuple[int, datetime | None]:
    count, last = session.execute(
        select(func.count(), func.max(SignInAttempt.at)).where(
            where, col(SignInAttempt.at) > since, col(SignInAttempt.outcome).in_(FAILED)
        )
    ).one()
    return int(count), last


def next_try(
    session: Session,
    *,
    username: str,
    address: str,
    at: datetime,
    per_account: Backoff,
    per_address: Backoff,
) -> datetime | None:
    """When this account, from this address, may try again; None: now."""
    since = at - WINDOW
    name, where = storable(username, 64), storable(address, 64)
    last_ok = session.execute(
        select(func.max(SignInAttempt.at)).where(
            col(SignInAttempt.username) == name,
            col(SignInAttempt.outcome) == "signed_in",
            col(SignInAttempt.at) > since,
        )
    ).scalar_one()
    account = _failures(session, col(SignInAttempt.username) == name, max(since, last_ok or since))
    by_address = _failures(session, col(SignInAttempt.address) == where, since)
    times = [
        next_try_at(*account, per_account),
        next_try_at(*by_address, per_address),
    ]
    latest = max((t for t in times if t is not None), default=None)
    return latest if latest is not None and latest > at else None
