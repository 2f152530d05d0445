"""Channel health at claim time: each person's next message goes to the channel of their first
due alert if that channel is up; if it is down, their alerts on it go straight to their next
channel (same notification ids, a CHANNEL_FAILOVER timeline entry), or, on their last channel,
wait for the probe; when the down period ends, the alert whose turn comes is sent alone as the
probe (`models.policy.breaker` has the rules, `notifications.health` the table)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session

from models.policy.breaker import BreakerRule, ChannelState, Gate, Health, gate
from models.policy.routing import next_channel
from models.policy.states import EventKind, NotificationStatus
from notifications.claimed import Lane, Plan, plan_of
from notifications.health import load, take_probe
from notifications.outbox.rows import OUTBOX, TIMELINE, N, due_filter


def route(
    session: Session,
    lanes: list[Lane],
    *,
    me: str,
    now: datetime,
    rule: BreakerRule,
    planned: list[Plan],
) -> set[str]:
    """Plan each lane's message on its first alert's channel, or move the person's alerts off
    that channel if it is down; the people whose alerts moved (to be looked at again)."""
    health = load(session, {lane.rows[0].channel for lane in lanes})
    moved: set[str] = set()
    for lane in lanes:
        channel = lane.rows[0].channel
        verdict = gate(health[channel], now=now, me=me, rule=rule)
        if verdict is Gate.PROBE and take_probe(
            session, channel=channel, me=me, now=now, rule=rule
        ):
            planned.append(plan_of(lane, probe=True))
            health[channel] = load(session, [channel])[channel]
        elif verdict is Gate.SEND:
            planned.append(plan_of(lane))
        elif skip_down_channel(
            session, lane, channel, now=now, hold=hold_until(health[channel], now)
        ):
            moved.add(lane.recipient_id)
    return moved


def hold_until(health: Health, now: datetime) -> datetime:
    """Until when alerts wait on a person's last channel while it is down: its probe time, or
    a second while another alert is its probe."""
    if health.state is ChannelState.DOWN and health.retry_at is not None:
        return max(health.retry_at, now)
    return now + timedelta(seconds=1)


def skip_down_channel(
    session: Session, lane: Lane, channel: str, *, now: datetime, hold: datetime
) -> bool:
    """Move the person's pending alerts on `channel` (down) to their next channel, same ids;
    on their last channel, hold them until the probe may go. True when they moved."""
    following = next_channel(lane.channels, channel)
    mine = (N.recipient_id == lane.recipient_id) & (N.channel == channel)
    pending = mine & (N.status == NotificationStatus.PENDING)
    if following is None:
        session.execute(
            update(OUTBOX).where(pending, due_filter(hold)).values(next_attempt_at=hold)
        )
        return False
    rows = session.execute(
        update(OUTBOX)
        .where(pending)
        .values(channel=following, attempts=0, next_attempt_at=None)
        .returning(N.id, N.case_id)
        .execution_options(synchronize_session=False)
    ).all()
    events = [
        _failover(row, lane, channel, following, now) for row in rows if row.case_id is not None
    ]
    if events:
        session.execute(insert(TIMELINE), events)
    return bool(rows)


def _failover(row: Any, lane: Lane, channel: str, following: str, now: datetime) -> dict[str, Any]:
    """The CHANNEL_FAILOVER entry of one alert moved off a channel that is down."""
    return {
        "case_id": row.case_id,
        "at": now,
        "kind": EventKind.CHANNEL_FAILOVER,
        "actor": "system",
        "message": f"渠道 {channel} 故障（已熔断），直接改用 {following} 通知 {lane.name}"
        "（同一通知编号）",
        "data": {
            "notification": row.id,
            "channel": channel,
            "replacement": following,
            "reason": "channel_down",
        },
    }
