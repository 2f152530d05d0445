"""Channel health as pure rules (a circuit breaker): a channel whose sends keep failing, across
messages, is marked down for a back-off period; while it is down new alerts go straight to the
person's next channel; when the period ends one alert is let through as a probe, and its
outcome brings the channel back up or keeps it down for twice as long (up to a cap).
Standard library only; the table and its updates are `notifications.health`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class ChannelState(StrEnum):
    UP = "up"
    DOWN = "down"  # failing: skipped until `retry_at`
    PROBING = "probing"  # one alert is testing it


STATE_LABELS = {
    ChannelState.UP: "正常",
    ChannelState.DOWN: "故障（已熔断）",
    ChannelState.PROBING: "探测中",
}


@dataclass(frozen=True)
class BreakerRule:
    failures: int = 3  # failed sends in a row (across messages) that mark a channel down
    base: timedelta = timedelta(seconds=10)  # the first down period; doubles per failed probe
    cap: timedelta = timedelta(minutes=5)
    probe_timeout: timedelta = timedelta(seconds=60)  # a probe not heard of by then is retried


@dataclass(frozen=True)
class Health:
    state: ChannelState = ChannelState.UP
    failures: int = 0  # failed sends in a row
    retry_at: datetime | None = None  # down: when a probe may go
    backoff_seconds: float = 0.0  # the current down period
    probe_by: str | None = None  # the dispatcher whose alert is the probe
    probe_at: datetime | None = None


class Gate(StrEnum):
    SEND = "send"
    PROBE = "probe"  # send it as the probe (after taking the probe for oneself)
    SKIP = "skip"  # go to the next channel at once (or wait for the probe when none)


def gate(health: Health, *, now: datetime, me: str, rule: BreakerRule) -> Gate:
    """May an alert go to this channel now?"""
    if health.state is ChannelState.UP:
        return Gate.SEND
    if health.state is ChannelState.PROBING:
        if health.probe_by == me:
            return Gate.SKIP  # one probe at a time, even from its own dispatcher
        stale = health.probe_at is None or health.probe_at + rule.probe_timeout <= now
        return Gate.PROBE if stale else Gate.SKIP
    return Gate.PROBE if health.retry_at is None or health.retry_at <= now else Gate.SKIP


def probing(health: Health, *, now: datetime, me: str) -> Health:
    return replace(health, state=ChannelState.PROBING, probe_by=me, probe_at=now)


def after_send(
    health: Health, *, ok: bool, probe: bool, now: datetime, rule: BreakerRule
) -> Health:
    """The channel's health after a send (its last attempt's outcome decides): any success
    brings it up; failures in a row take it down; a failed probe keeps it down twice as long.
    Another send failing while it is down (it was in flight already) only adds to the count."""
    if ok:
        return Health()
    failures = health.failures + 1
    if not probe and (health.state is not ChannelState.UP or failures < rule.failures):
        return replace(health, failures=failures)
    backoff = rule.base.total_seconds()
    if probe:
        backoff = min(rule.cap.total_seconds(), max(health.backoff_seconds, backoff / 2) * 2)
    return Health(
        state=ChannelState.DOWN,
        failures=failures,
        retry_at=now + timedelta(seconds=backoff),
        backoff_seconds=backoff,
    )
