"""Channel health in the database: one `channelhealth` row per channel id, folded forward by the
rules of `models.policy.breaker` as send outcomes are recorded, and read by the claims (skip a
channel that is down, let one probe through when its time comes) and by `yuqing channels
status` and the console. Rows are locked in channel order while they are updated, so two
dispatchers recording at once neither lose a count nor wait on each other in a circle."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models.policy.breaker import BreakerRule, ChannelState, Health, after_send
from models.store.tables import ChannelHealth
from settings import Dispatch

TABLE = ChannelHealth.__table__  # type: ignore[attr-defined]
H = TABLE.c


def breaker_rule(options: Dispatch) -> BreakerRule:
    return BreakerRule(
        failures=options.breaker_failures,
        base=timedelta(seconds=options.breaker_base_seconds),
        cap=timedelta(seconds=options.breaker_cap_seconds),
    )


@dataclass(frozen=True)
class SendResult:
    """What one send did to its channel (the last attempt's outcome decides)."""

    channel: str
    ok: bool
    probe: bool
    at: datetime
    outcome: str
    reason: str
    code: str | None = None  # the platform's own code


def _health(row: Any) -> Health:
    return Health(
        state=ChannelState(row.state),
        failures=row.failures,
        retry_at=row.retry_at,
        backoff_seconds=row.backoff_seconds,
        probe_by=row.probe_by,
        probe_at=row.probe_at,
    )


def load(session: Session, channels: Iterable[str]) -> dict[str, Health]:
    """The health of `channels`; one never recorded is up."""
    wanted = sorted(set(channels))
    if not wanted:
        return {}
    rows = session.execute(select(TABLE).where(H.channel.in_(wanted))).all()
    found = {row.channel: _health(row) for row in rows}
    return {channel: found.get(channel, Health()) for channel in wanted}


def take_probe(
    session: Session, *, channel: str, me: str, now: datetime, rule: BreakerRule
) -> bool:
    """Make `me`'s next alert on `channel` its probe (compare-and-set: one probe at a time)."""
    due = (H.state == ChannelState.DOWN.value) & (H.retry_at <= now)
    stale = (H.state == ChannelState.PROBING.value) & (H.probe_at <= now - rule.probe_timeout)
    done = session.execute(
        update(TABLE)
        .where(H.channel == channel, due | stale)
        .values(state=ChannelState.PROBING.value, probe_by=me, probe_at=now, updated_at=now)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def record(session: Session, results: Sequence[SendResult], *, rule: BreakerRule) -> None:
    """Fold the sends' outcomes (in time order) into their channels' health: two statements
    (three the first time a channel is seen)."""
    if not results:
        return
    channels = sorted({r.channel for r in results})
    current = _locked(session, channels)
    missing = [c for c in channels if c not in current]
    if missing:
        ensure(session, missing)
        current |= _locked(session, missing)
    values = []
    for channel in channels:
        mine = sorted((r for r in results if r.channel == channel), key=lambda r: r.at)
        folded = _fold(current[channel], mine, rule)
        values.append({"b_channel": channel, **{f"v_{k}": v for k, v in folded.items()}})
    session.execute(_UPDATE, values)


def _locked(session: Session, channels: Sequence[str]) -> dict[str, Any]:
    rows = session.execute(
        select(TABLE).where(H.channel.in_(channels)).order_by(H.channel).with_for_update()
    ).all()
    return {row.channel: row for row in rows}


_FOLDED = (
    "sent",
    "failed",
    "last_ok_at",
    "last_failure_at",
    "last_outcome",
    "last_reason",
    "last_code",
    "state",
    "failures",
    "retry_at",
    "backoff_seconds",
    "probe_by",
    "probe_at",
    "down_since",
    "updated_at",
)
_UPDATE = (
    update(TABLE)
    .where(H.channel == bindparam("b_channel"))
    .values({name: bindparam(f"v_{name}", type_=H[name].type) for name in _FOLDED})
)


def _fold(row: Any, results: list[SendResult], rule: BreakerRule) -> dict[str, Any]:
    health = _health(row)
    values: dict[str, Any] = {
        "sent": row.sent,
        "failed": row.failed,
        "last_ok_at": row.last_ok_at,
        "last_failure_at": row.last_failure_at,
        "last_outcome": row.last_outcome,
        "last_reason": row.last_reason,
        "last_code": row.last_code,
    }
    down_since = row.down_since
    for result in results:
        health = after_send(health, ok=result.ok, probe=result.probe, now=result.at, rule=rule)
        values["sent" if result.ok else "failed"] += 1
        values["last_ok_at" if result.ok else "last_failure_at"] = result.at
        if not result.ok:  # what the last failure was (a success does not erase it)
            values["last_outcome"], values["last_reason"] = result.outcome, result.reason[:200]
            values["last_code"] = result.code
        if health.state is ChannelState.UP:
            down_since = None
        elif down_since is None:
            down_since = result.at
    values.update(
        state=health.state.value,
        failures=health.failures,
        retry_at=health.retry_at,
        backoff_seconds=health.backoff_seconds,
        probe_by=health.probe_by,
        probe_at=health.probe_at,
        down_since=down_since,
        updated_at=results[-1].at,
    )
    return values


def ensure(session: Session, channels: Sequence[str]) -> None:
    """Insert the rows of channels never recorded (racing dispatchers: the first one wins)."""
    fresh = [{"channel": c, "state": "up", "failures": 0, "backoff_seconds": 0.0} for c in channels]
    for row in fresh:
        row.update(sent=0, failed=0)
    name = session.get_bind().dialect.name
    if name == "postgresql":
        session.execute(postgresql.insert(TABLE).on_conflict_do_nothing(), fresh)
    elif name == "sqlite":
        session.execute(sqlite.insert(TABLE).on_conflict_do_nothing(), fresh)
    else:  # pragma: no cover - the two backends yuqing supports are above
        known = set(session.execute(select(H.channel).where(H.channel.in_(channels))).scalars())
        missing = [row for row in fresh if row["channel"] not in known]
        if missing:
            session.execute(insert(TABLE), missing)


def all_health(session: Session) -> list[ChannelHealth]:
    """Every channel's row, by channel id (the status command and the console page)."""
    return list(session.scalars(select(ChannelHealth).order_by(ChannelHealth.channel)))
