"""Channel health as people read it (`yuqing channels status`, the console's channel page):
every configured channel with who uses it, its address in privacy form, its state (正常,
故障（已熔断）, 探测中), failures in a row, the last success and the last failure with its
outcome (and the platform's code), when the next probe may go, its counts, the alerts waiting
on it now, and the platforms' refusals counted by code with what each code means."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from models.policy.breaker import STATE_LABELS, ChannelState
from models.policy.platforms import rule_for
from models.policy.sending import OUTCOME_LABELS, Outcome
from models.policy.states import NotificationStatus
from models.store.tables import ChannelHealth, Delivery
from notifications.channels import platform_of, privacy_url
from notifications.health import all_health
from notifications.outbox.rows import N
from settings import Settings


@dataclass(frozen=True)
class ChannelStatus:
    channel: str
    people: tuple[str, ...]  # names of the people with this channel
    address: str  # privacy form, or 未配置
    state: str  # up / down / probing / unknown (never used)
    state_label: str
    failures: int = 0
    last_ok_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_outcome: str | None = None
    last_reason: str | None = None
    down_since: datetime | None = None
    retry_at: datetime | None = None
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # alerts pending or being sent on it now
    last_code: str | None = None  # the platform's code of the last failure
    refusals: tuple[Refusal, ...] = ()  # the platform's refusals, by code

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "people": list(self.people),
            "refusals": [r.__dict__ for r in self.refusals],
        }


@dataclass(frozen=True)
class Refusal:
    """How often a channel's platform refused with one code, what the code means, and when
    it last did."""

    channel: str
    code: str
    meaning: str
    count: int
    last_at: datetime | None


D = Delivery.__table__.c  # type: ignore[attr-defined]


def refusals_by_code(session: Session, settings: Settings) -> list[Refusal]:
    """Every channel's refusals by the platform's code (attempts not delivered), most first."""
    rows = session.execute(
        select(D.channel, D.code, func.count(), func.max(D.at))
        .where(D.code.is_not(None), D.ok.is_(False))
        .group_by(D.channel, D.code)
    ).all()
    secrets = settings.secrets.channels
    found = []
    for channel, code, count, last in rows:
        url = secrets[channel].get_secret_value() if channel in secrets else None
        platform = platform_of(url) if url else None
        meaning = rule_for(platform, code).meaning if platform is not None else ""
        found.append(Refusal(channel, code, meaning, int(count), last))
    return sorted(found, key=lambda r: (-r.count, r.channel, r.code))


def channel_report(session: Session, settings: Settings) -> list[ChannelStatus]:
    """Every channel the settings name (people's channels and the secrets) or the record has."""
    users: dict[str, list[str]] = {}
    for person in settings.people:
        for channel in person.channels:
            users.setdefault(channel, []).append(person.name)
    secrets = settings.secrets.channels
    health = {row.channel: row for row in all_health(session)}
    waiting = dict(
        session.execute(
            select(N.channel, func.count())
            .where(N.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING]))
            .group_by(N.channel)
        ).all()
    )
    names = sorted({*users, *secrets, *health})
    refused: dict[str, list[Refusal]] = {}
    for refusal in refusals_by_code(session, settings):
        refused.setdefault(refusal.channel, []).append(refusal)
    return [
        replace(
            _status(
                name,
                users.get(name, []),
                secrets[name].get_secret_value() if name in secrets else None,
                health.get(name),
                int(waiting.get(name, 0)),
            ),
            refusals=tuple(refused.get(name, ())),
        )
        for name in names
    ]


def _status(
    channel: str, people: list[str], url: str | None, row: ChannelHealth | None, waiting: int
) -> ChannelStatus:
    address = privacy_url(url) if url else "未配置"
    if row is None:
        return ChannelStatus(
            channel, tuple(people), address, "unknown", "尚无发送记录", waiting=waiting
        )
    state = ChannelState(row.state)
    outcome = row.last_outcome
    return ChannelStatus(
        channel=channel,
        people=tuple(people),
        address=address,
        state=state.value,
        state_label=STATE_LABELS[state],
        failures=row.failures,
        last_ok_at=row.last_ok_at,
        last_failure_at=row.last_failure_at,
        last_outcome=OUTCOME_LABELS[Outcome(outcome)] if outcome else None,
        last_reason=row.last_reason,
        down_since=row.down_since,
        retry_at=row.retry_at if state is not ChannelState.UP else None,
        sent=row.sent,
        failed=row.failed,
        waiting=waiting,
        last_code=row.last_code,
    )
