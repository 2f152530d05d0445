"""What a dispatcher claims, as plain values: a `Message` is one send (a person's next alert, or
several merged, on one channel; on a group channel, the alerts of one or more events to
everyone they concern), carrying each `Alert` with what sending it and recording the outcome
need (its recipient's channels, for fall-over); a `Lane` is one person's due alerts in order, as
a claim first reads them, and a `Plan` the alerts a claim means to send them before it marks
them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from notifications.channels import Attachment
    from notifications.envelope import Mention


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
    attachment: str | None = None  # a stored report's reference ("report:<id>")
    unreachable_since: datetime | None = None  # every channel failed, the first time
    rounds: int = 0  # times every channel failed
    recipient_name: str = ""
    channels: tuple[str, ...] = ()  # the recipient's channels, in order of preference
    card: dict[str, Any] | None = None  # its structured form (`notifications.cards`)
    key: str = ""  # its outbox key: the event it is about is the key less recipient and channel

    @property
    def event(self) -> str:
        return self.key.rsplit(":", 2)[0] if self.key.count(":") >= 2 else self.id


@dataclass(frozen=True)
class Message:
    """One send: a person's next alert, or several merged, on one channel."""

    recipient_id: str
    recipient_name: str
    channels: tuple[str, ...]  # the person's channels, in order of preference
    channel: str
    alerts: tuple[Alert, ...]
    probe: bool = False  # sent as the probe of a channel that was down
    files: tuple[Attachment, ...] = ()  # its alerts' files, where the channel takes them
    group: bool = False  # to a group chat: one message naming everyone its alerts concern
    mentions: tuple[Mention, ...] = ()  # the people it names, with their platform ids


@dataclass(frozen=True)
class Lane:
    """One person's due alerts as a claim first reads them: ids and channels, in order."""

    recipient_id: str
    name: str
    channels: tuple[str, ...]
    rows: list[Any]  # (id, channel) of the first due alerts, in order
    due: int  # due alerts in all
    mention: Mention | None = None


@dataclass(frozen=True)
class Plan:
    """What a claim means to send a person: the leading alerts in order that share the first
    one's channel (`ids`; the probe: the first alone), and, once the rate limit has decided,
    the messages they go in (`messages`: one alert each, or several merged), in order."""

    lane: Lane
    ids: tuple[str, ...]
    probe: bool = False
    messages: tuple[tuple[str, ...], ...] = ()


def plan_of(lane: Lane, *, probe: bool = False) -> Plan:
    run = []
    for row in lane.rows[: 1 if probe else None]:
        if row.channel != lane.rows[0].channel:
            break
        run.append(row.id)
    return Plan(lane, tuple(run), probe)


def messages_of(
    plan: Plan, rows: dict[str, Any], acked: set[int], files: dict[str, Attachment] | None = None
) -> list[Message]:
    """The messages of `plan` from its claimed rows, in order (alerts another claimer took
    first are left out)."""
    lane, chain = plan.lane, []
    for ids in plan.messages:
        alerts = tuple(
            alert_of(rows[i], acked, name=lane.name, channels=lane.channels)
            for i in ids
            if i in rows
        )
        if alerts:
            chain.append(
                Message(
                    recipient_id=lane.recipient_id,
                    recipient_name=lane.name,
                    channels=lane.channels,
                    channel=alerts[0].channel,
                    alerts=alerts,
                    probe=plan.probe,
                    files=tuple(
                        (files or {})[a.attachment]
                        for a in alerts
                        if a.attachment and a.attachment in (files or {})
                    ),
                    mentions=(lane.mention,) if lane.mention else (),
                )
            )
    return chain


def alert_of(row: Any, acked: set[int], *, name: str = "", channels: tuple[str, ...] = ()) -> Alert:
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
        acked=row.obligation_id in acked,
        attachment=row.attachment,
        unreachable_since=row.unreachable_since,
        rounds=row.rounds,
        recipient_name=name or row.recipient_id,
        channels=channels,
        card=row.card,
        key=row.key,
    )
