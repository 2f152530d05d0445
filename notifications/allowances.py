"""How many messages a person may get now on a personal channel: the per-person rate
(`dispatch.per_recipient_per_minute`), the platform's per-recipient limits on it (SMS to one
phone: Aliyun 1 a minute, 5 an hour, 10 a day; Tencent 1 in 30 s, …) and, where the channel's
endpoint has limits of its own (a bot that is not a group, shared or not), what those leave. Read
once per claim from the recipients' recent sends and the endpoints' recent attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from models.policy.limits import Budget, Window, budget
from notifications.endpoints import Endpoints, endpoint_budget, recipient_sends
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
        since = now - max(MINUTE, endpoints.longest_recipient_window())
        self.sends = recipient_sends(session, recipients=people, since=since)
        self.shared: dict[str, Budget] = {}

    def of(self, person: str, channel: str) -> Budget:
        endpoint = self.endpoints.get(channel)
        windows = (Window(self.options.per_recipient_per_minute, 60.0), *endpoint.per_recipient)
        mine = budget(windows, self.sends.get((person, channel), []), now=self.now)
        if not endpoint.windows:
            return mine
        if channel not in self.shared:
            self.shared[channel] = endpoint_budget(self.session, endpoint, now=self.now)
        return mine & self.shared[channel]

    def least(self, person: str, channels: Sequence[str]) -> int:
        """What the person's tightest channel leaves now (how deep a claim must read)."""
        return min((self.of(person, c).now for c in channels), default=1 << 30)

    def retry_at(self, now: datetime) -> datetime:
        return now + MINUTE
