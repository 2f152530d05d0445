"""What a dispatcher claims, as plain values: a `Message` is one send (a person's next alert, or
several merged, on one channel), carrying each `Alert` with what sending it and recording the
outcome need; a `Lane` is one person's due alerts in order, as a claim reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Alert:
    """One claimed alert: what sending it and recording the outcome need."""

    id: str
    case_id: int | None
    obligation_id: int | None
    recipient_id: str
    channel: str
    subject: str
    body: str
    due_at: datetime
    attempts: int  # sends on this channel before this one
    http_attempts: int
    ack_window_seconds: int | None
    acked: bool  # its obligation was acknowledged when claimed


@dataclass(frozen=True)
class Message:
    """One send: a person's next alert, or several merged, on one channel."""

    recipient_id: str
    recipient_name: str
    channels: tuple[str, ...]  # the person's channels, in order of preference
    channel: str
    alerts: tuple[Alert, ...]
    probe: bool = False  # sent as the probe of a channel that was down
    waiting: int = 1  # the person's due alerts when claimed (the rate limit merges beyond)


@dataclass(frozen=True)
class Lane:
    recipient_id: str
    name: str
    channels: tuple[str, ...]
    rows: list[Any]  # due rows, in order
    due: int  # due rows in all


def message_of(lane: Lane, rows: list[Any], *, probe: bool = False) -> Message:
    return Message(
        recipient_id=lane.recipient_id,
        recipient_name=lane.name,
        channels=lane.channels,
        channel=rows[0].channel,
        alerts=tuple(alert_of(row) for row in rows),
        probe=probe,
        waiting=lane.due,
    )


def alert_of(row: Any) -> Alert:
    return Alert(
        id=row.id,
        case_id=row.case_id,
        obligation_id=row.obligation_id,
        recipient_id=row.recipient_id,
        channel=row.channel,
        subject=row.subject,
        body=row.body,
        due_at=row.due_at,
        attempts=row.attempts,
        http_attempts=row.http_attempts,
        ack_window_seconds=row.ack_window_seconds,
        acked=False,
    )


def leading_run(rows: list[Any]) -> list[Any]:
    """The first alerts in order that share the first one's channel."""
    run = []
    for row in rows:
        if row.channel != rows[0].channel:
            break
        run.append(row)
    return run
