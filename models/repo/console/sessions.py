"""Console sessions kept on the server: opened at sign-in, looked up on every request by the
SHA-256 of the cookie's random id, ended by signing out, by an operator (`yuqing web revoke`), or
found ended when the account's password hash has changed or the account is gone. Keyword-only
functions over a Session; the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, update

from models.store.tables import WebSession


def open_session(
    session: Session,
    *,
    digest: str,
    username: str,
    address: str,
    password_tag: str,
    at: datetime,
    expires_at: datetime,
) -> None:
    session.add(
        WebSession(
            id=digest,
            username=username,
            address=address.replace("\x00", "\ufffd")[:64],
            password_tag=password_tag,
            created_at=at,
            expires_at=expires_at,
        )
    )


def live_session(session: Session, digest: str, *, at: datetime) -> WebSession | None:
    """The session with this digest if it has neither ended nor expired."""
    row = session.get(WebSession, digest)
    if row is None or row.ended_at is not None or at >= row.expires_at:
        return None
    return row


def end_session(session: Session, digest: str, *, at: datetime, reason: str) -> bool:
    """End one session (if it is still live); whether it was."""
    result = session.execute(
        update(WebSession)
        .where(col(WebSession.id) == digest, col(WebSession.ended_at).is_(None))
        .values(ended_at=at, ended_reason=reason[:40])
    )
    return bool(getattr(result, "rowcount", 0))


def end_sessions_of(session: Session, username: str, *, at: datetime, reason: str) -> int:
    """End every session of an account not ended yet (an expired one too: whatever a clock
    says, none of them works again); how many there were."""
    result = session.execute(
        update(WebSession)
        .where(col(WebSession.username) == username, col(WebSession.ended_at).is_(None))
        .values(ended_at=at, ended_reason=reason[:40])
    )
    return int(getattr(result, "rowcount", 0))
