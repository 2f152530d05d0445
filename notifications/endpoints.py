"""Each channel as the dispatcher must treat it: its platform, whether it posts into a group chat
(one message per event naming everyone it concerns, links that ask who pressed them), the
limits its endpoint keeps for everyone using it (a bot key: WeCom and DingTalk 20 a minute,
Feishu 100 a minute and 5 a second, or the settings' `[dispatch.limits.<id>]`) and the limits per
recipient on it (SMS to one phone), with the counts of what was sent recently that the limits
are measured against (`models.policy.limits`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from models.policy.limits import (
    ENDPOINT_LIMITS,
    EVENTS_PER_MESSAGE,
    RECIPIENT_LIMITS,
    Budget,
    Window,
    budget,
)
from models.policy.platforms import Platform
from models.policy.states import NotificationStatus
from models.store.tables import Delivery, Person
from notifications.channels import is_group_url, platform_of
from notifications.outbox.rows import N
from settings import Dispatch

D = Delivery.__table__.c  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
REFRESH_SECONDS = 30.0


@dataclass(frozen=True)
class Endpoint:
    channel: str
    platform: Platform | None = None
    group: bool = False
    windows: tuple[Window, ...] = ()  # shared by everyone using the channel
    per_recipient: tuple[Window, ...] = ()  # for each recipient on it

    @property
    def most_per_message(self) -> int:
        return EVENTS_PER_MESSAGE.get(self.platform, 20) if self.platform else 20


def endpoint_of(channel: str, url: str | None, options: Dispatch) -> Endpoint:
    platform = platform_of(url) if url else None
    windows = ENDPOINT_LIMITS.get(platform, ()) if platform else ()
    override = options.limits.get(channel)
    if override is not None:
        spans = (
            (override.per_second, 1.0),
            (override.per_minute, 60.0),
            (override.per_hour, 3600.0),
        )
        windows = tuple(Window(count, seconds) for count, seconds in spans if count)
    return Endpoint(
        channel=channel,
        platform=platform,
        group=bool(url) and is_group_url(url or ""),
        windows=windows,
        per_recipient=RECIPIENT_LIMITS.get(platform, ()) if platform else (),
    )


class Endpoints:
    """The channels of the directory, classified once per REFRESH_SECONDS (the directory only
    changes when a process starts with new settings)."""

    def __init__(self, channel_url: Callable[[str], str | None], options: Dispatch) -> None:
        self.channel_url, self.options = channel_url, options
        self._known: dict[str, Endpoint] = {}
        self._groups: frozenset[str] = frozenset()
        self._read_at = -REFRESH_SECONDS

    def get(self, channel: str) -> Endpoint:
        found = self._known.get(channel)
        if found is None:
            found = self._known[channel] = endpoint_of(
                channel, self.channel_url(channel), self.options
            )
        return found

    def per_recipient_channels(self) -> tuple[list[str], timedelta]:
        """The known channels with per-recipient windows (SMS), and the longest of those."""
        limited = [e for e in self._known.values() if e.per_recipient]
        spans = [w.seconds for e in limited for w in e.per_recipient]
        return [e.channel for e in limited], timedelta(seconds=max(spans, default=0.0))

    def groups(self, session: Session) -> frozenset[str]:
        """The directory's group channels (read again every REFRESH_SECONDS)."""
        if time.monotonic() - self._read_at >= REFRESH_SECONDS:
            channels = {c for row in session.execute(select(PERSON.c.channels)) for c in row[0]}
            self._groups = frozenset(c for c in channels if self.get(c).group)
            self._read_at = time.monotonic()
        return self._groups


def endpoint_budget(session: Session, endpoint: Endpoint, *, now: datetime) -> Budget:
    """What the channel's endpoint windows leave now, from its recent HTTP attempts (each a
    request the platform counted; a merged message's attempt is one)."""
    if not endpoint.windows:
        return Budget.unlimited()
    since = now - timedelta(seconds=max(w.seconds for w in endpoint.windows))
    sent = session.execute(
        select(D.at).where(D.channel == endpoint.channel, D.at > since).distinct()
    ).scalars()
    return budget(endpoint.windows, list(sent), now=now)


def recent_counts(
    session: Session, *, recipients: Iterable[str], since: datetime
) -> dict[tuple[str, str], tuple[int, datetime]]:
    """Per (recipient, channel): messages sent since `since` (a merged message counts once) and
    the earliest of them; pairs with none are left out. One aggregate query."""
    people = set(recipients)
    if not people:
        return {}
    query = (
        select(N.recipient_id, N.channel, func.count(func.distinct(N.sent_at)), func.min(N.sent_at))
        .where(
            N.recipient_id.in_(people),
            N.sent_at > since,
            N.status == NotificationStatus.SENT,
        )
        .group_by(N.recipient_id, N.channel)
    )
    return {
        (person, channel): (int(count), earliest)
        for person, channel, count, earliest in session.execute(query).all()
    }


def recent_times(
    session: Session, *, recipients: Iterable[str], channels: Iterable[str], since: datetime
) -> dict[tuple[str, str], list[datetime]]:
    """Per (recipient, channel) of `channels`: when their messages went since `since` (the
    long per-recipient windows of SMS need the times, not only a count)."""
    people, wanted = set(recipients), set(channels)
    if not people or not wanted:
        return {}
    rows = session.execute(
        select(N.recipient_id, N.channel, N.sent_at)
        .where(
            N.recipient_id.in_(people),
            N.channel.in_(wanted),
            N.sent_at > since,
            N.status == NotificationStatus.SENT,
        )
        .group_by(N.recipient_id, N.channel, N.sent_at)
    ).all()
    found: dict[tuple[str, str], list[datetime]] = {}
    for person, channel, at in rows:
        found.setdefault((person, channel), []).append(at)
    return found


def sent_count_since(session: Session, channel: str, since: datetime) -> int:
    """HTTP attempts on a channel since `since` (the status page and the benchmarks)."""
    found = session.execute(
        select(func.count(func.distinct(D.at))).where(D.channel == channel, D.at > since)
    ).scalar_one()
    return int(found)
