"""The delivery rules as truth tables (pure, no I/O): what an HTTP answer means, the one
predicate that retries within a send (and after how long, Retry-After honoured), what the
outbox does after a send, the circuit breaker's states, and lateness to the second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.policy.breaker import BreakerRule, ChannelState, Gate, Health, after_send, gate, probing
from models.policy.sending import (
    Next,
    Outcome,
    classify_status,
    format_seconds,
    lateness,
    retry_within_send,
)
from models.policy.sending import after_send as next_step

T = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
RULE = BreakerRule(failures=3, base=timedelta(seconds=10), cap=timedelta(seconds=60))


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (500, Outcome.BUSY),
        (503, Outcome.BUSY),
        (429, Outcome.BUSY),
        (408, Outcome.BUSY),
        (400, Outcome.REJECTED),
        (401, Outcome.REJECTED),
        (404, Outcome.REJECTED),
    ],
)
def test_http_status_classes(status: int, outcome: Outcome) -> None:
    assert classify_status(status) is outcome


@pytest.mark.parametrize(
    ("outcome", "attempt", "retry_after", "wait"),
    [
        (Outcome.REFUSED, 1, None, 0.2),
        (Outcome.REFUSED, 2, None, 0.4),
        (Outcome.REFUSED, 3, None, None),  # three attempts per send at most
        (Outcome.BUSY, 1, None, 0.2),
        (Outcome.BUSY, 1, 3.0, 3.0),  # Retry-After honoured ...
        (Outcome.BUSY, 1, 30.0, None),  # ... or, when long, left to the outbox
        (Outcome.UNKNOWN, 1, None, None),  # it may have arrived: no blind repeat
        (Outcome.REJECTED, 1, None, None),
        (Outcome.INVALID, 1, None, None),
        (Outcome.DELIVERED, 1, None, None),
    ],
)
def test_the_one_predicate_retries_only_what_cannot_have_arrived_or_was_asked_to_wait(
    outcome: Outcome, attempt: int, retry_after: float | None, wait: float | None
) -> None:
    assert retry_within_send(outcome, attempt=attempt, retry_after=retry_after) == wait


@pytest.mark.parametrize(
    ("outcome", "sends", "has_next", "step"),
    [
        (Outcome.DELIVERED, 1, True, Next.DONE),
        (Outcome.REFUSED, 1, True, Next.RETRY_LATER),
        (Outcome.REFUSED, 3, True, Next.FALL_OVER),
        (Outcome.REFUSED, 3, False, Next.GIVE_UP),
        (Outcome.BUSY, 2, False, Next.RETRY_LATER),
        (Outcome.UNKNOWN, 1, True, Next.FALL_OVER),  # at once, the same id goes on
        (Outcome.UNKNOWN, 1, False, Next.RETRY_LATER),  # the last channel: later, same id
        (Outcome.UNKNOWN, 3, False, Next.GIVE_UP),
        (Outcome.REJECTED, 1, True, Next.FALL_OVER),
        (Outcome.REJECTED, 1, False, Next.GIVE_UP),
        (Outcome.INVALID, 1, True, Next.FALL_OVER),
    ],
)
def test_what_the_outbox_does_after_a_send(
    outcome: Outcome, sends: int, has_next: bool, step: Next
) -> None:
    assert next_step(outcome, channel_sends=sends, sends_per_channel=3, has_next=has_next) is step


def test_a_failed_probe_moves_the_alert_on_at_once() -> None:
    step = next_step(
        Outcome.REFUSED, channel_sends=1, sends_per_channel=3, has_next=True, channel_down=True
    )
    assert step is Next.FALL_OVER
    last = next_step(
        Outcome.REFUSED, channel_sends=1, sends_per_channel=3, has_next=False, channel_down=True
    )
    assert last is Next.RETRY_LATER  # on the person's last channel it waits for the next probe


def test_worst_case_http_attempts_per_alert_and_channel_match_the_table() -> None:
    """Every send of a refusing channel: 3 attempts; 3 sends; then the next channel."""
    requests = 0
    for send in range(1, 10):
        attempt = 1
        while retry_within_send(Outcome.REFUSED, attempt=attempt) is not None:
            attempt += 1
        requests += attempt
        step = next_step(Outcome.REFUSED, channel_sends=send, sends_per_channel=3, has_next=True)
        if step is not Next.RETRY_LATER:
            break
    assert (requests, step) == (9, Next.FALL_OVER)


def test_a_channel_goes_down_after_failures_in_a_row_and_a_success_resets_the_count() -> None:
    health = Health()
    for _ in range(2):
        health = after_send(health, ok=False, probe=False, now=T, rule=RULE)
    assert (health.state, health.failures) == (ChannelState.UP, 2)
    assert after_send(health, ok=True, probe=False, now=T, rule=RULE) == Health()
    health = after_send(health, ok=False, probe=False, now=T, rule=RULE)
    assert health.state is ChannelState.DOWN and health.retry_at == T + timedelta(seconds=10)


def test_while_down_alerts_skip_it_until_one_probe_may_go() -> None:
    down = Health(ChannelState.DOWN, 3, T + timedelta(seconds=10), 10.0)
    assert gate(down, now=T + timedelta(seconds=9), me="a", rule=RULE) is Gate.SKIP
    assert gate(down, now=T + timedelta(seconds=10), me="a", rule=RULE) is Gate.PROBE
    taken = probing(down, now=T + timedelta(seconds=10), me="a")
    assert gate(taken, now=T + timedelta(seconds=11), me="b", rule=RULE) is Gate.SKIP
    assert gate(taken, now=T + timedelta(seconds=11), me="a", rule=RULE) is Gate.SKIP
    # A probe nobody heard of for the probe timeout may be taken again.
    assert gate(taken, now=T + timedelta(seconds=71), me="b", rule=RULE) is Gate.PROBE
    assert gate(Health(), now=T, me="a", rule=RULE) is Gate.SEND


def test_a_failed_probe_doubles_the_down_period_up_to_the_cap_and_a_good_one_brings_it_up() -> None:
    health = Health(ChannelState.PROBING, 3, T, 10.0, "a", T)
    periods = []
    for _ in range(4):
        health = after_send(health, ok=False, probe=True, now=T, rule=RULE)
        periods.append(health.backoff_seconds)
        health = probing(health, now=T, me="a")
    assert periods == [20.0, 40.0, 60.0, 60.0]
    assert after_send(health, ok=True, probe=True, now=T, rule=RULE).state is ChannelState.UP


def test_sends_in_flight_failing_after_it_went_down_do_not_push_the_probe_back() -> None:
    down = Health(ChannelState.DOWN, 3, T + timedelta(seconds=10), 10.0)
    later = after_send(down, ok=False, probe=False, now=T + timedelta(seconds=1), rule=RULE)
    assert (later.retry_at, later.failures) == (down.retry_at, 4)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0秒"), (63, "1分3秒"), (3723, "1小时2分3秒"), (3600, "1小时0分0秒"), (59.9, "59秒")],
)
def test_lateness_to_the_second(seconds: float, text: str) -> None:
    assert format_seconds(timedelta(seconds=seconds)) == text


def test_lateness_says_before_or_after_the_due_time() -> None:
    assert lateness(timedelta(seconds=61)) == "超时 1分1秒"
    assert lateness(timedelta(seconds=-300)) == "截止前 5分0秒"
    assert format_seconds(timedelta(seconds=63), language="en") == "1 min 3 s"
