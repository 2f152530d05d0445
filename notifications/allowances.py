"""How many messages a person may get now on a personal channel: the per-person rate
(`dispatch.per_recipient_per_minute`), the platform's per-recipient limits on it (SMS to one
phone: Aliyun 1 a minute, 5 an hour, 10 a day; Tencent 1 in 30 s, …) and, where the channel's
endpoint has limits of its own (a bot that is not a group, shared or not), what those leave. Read
once per claim from the recipients' recent sends and the endpoints' recent attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from models.policy.limits import Budget, budget
from notifications.endpoints import Endpoints, endpoint_budget, recent_counts, recent_times
from settings import Dispatch

MINUTE = timedelta(minutes=1)


class Allowances:
    def __init__(
        self,
        session: Session,
        people: Sequence[str],
        *,
        now: datetime,
        options: Dispatch,
        endpoints: Endpoints,
    ) -> None:
        self.session, self.now, self.options, self.endpoints = session, now, options, endpoints
        self.counts = recent_counts(session, recipients=people, since=now - MINUTE)
        channels, longest = endpoints.per_recipient_channels()
        self.times = recent_times(
            session, recipients=people, channels=channels, since=now - longest
        )
        self.shared: dict[str, Budget] = {}

    def of(self, person: str, channel: str) -> Budget:
        endpoint = self.endpoints.get(channel)
        mine = self._per_minute(person, channel)
        if endpoint.per_recipient:
            sent = self.times.get((person, channel), [])
            mine = mine & budget(endpoint.per_recipient, sent, now=self.now)
        if not endpoint.windows:
            return mine
        if channel not in self.shared:
            self.shared[channel] = endpoint_budget(self.session, endpoint, now=self.now)
        return mine & self.shared[channel]

    def _per_minute(self, person: str, channel: str) -> Budget:
        """`dispatch.per_recipient_per_minute`, from the count of the last minute's messages."""
        used, earliest = self.counts.get((person, channel), (0, self.now))
        left = self.options.per_recipient_per_minute - used
        return Budget(left) if left > 0 else Budget(0, earliest + MINUTE)

    def least(self, person: str, channels: Sequence[str]) -> int:
        """What the person's tightest channel leaves now (how deep a claim must read)."""
        return min((self.of(person, c).now for c in channels), default=1 << 30)

    def retry_at(self, now: datetime) -> datetime:
        return now + MINUTE
