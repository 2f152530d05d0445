"""Recording what sends did, a group at a time, in bulk Core statements: every HTTP attempt
becomes a Delivery row and a timeline entry (送达 evidence, `notifications.delivery_rows`) with
its own time, its outcome class and its lateness to the second; then, in causal order after the
attempts, what follows the send (`models.policy.sending.after_send`): sent (the ack window
starts), a later retry on the same channel (exponential back-off, Retry-After honoured),
fall-over to the person's next channel under the same notification id (a CHANNEL_FAILOVER
entry), or every channel exhausted: a new round from the first channel, the person noted as
unreachable (`notifications.exhausted`). The outbox rows are updated with one executemany
statement, each only while the recording dispatcher still holds it (a dispatcher presumed dead
records its attempts, never a row another one has taken over)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session

from models.policy.breaker import BreakerRule
from models.policy.routing import next_channel, retry_delay
from models.policy.sending import Next, after_send
from models.policy.states import NotificationStatus
from models.repo.unreachable import note_reach
from models.store.tables import Delivery
from notifications.channels import Attempt
from notifications.claimed import Alert, Message
from notifications.delivery_rows import attempt_entry, delivery_row, failover_entry
from notifications.exhausted import exhausted, exhausted_entry
from notifications.health import SendResult
from notifications.health import record as record_health
from notifications.outbox.rows import OUTBOX, TIMELINE, N
from settings import Dispatch

DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
Stamp = Callable[[float], datetime]  # a monotonic time → the dispatcher's clock


@dataclass(frozen=True)
class Sent:
    """A message a dispatcher sent, and every attempt it took; no attempts: it was claimed but
    not sent (an earlier message of its person's chain failed), and goes back unsent."""

    message: Message
    attempts: tuple[Attempt, ...]


@dataclass
class Tally:
    sent: int = 0  # alerts delivered
    failed: int = 0  # alerts whose send did not deliver them
    messages: int = 0
    attempts: int = 0
    fell_over: int = 0
    recovered: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Rows:
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    health: list[SendResult] = field(default_factory=list)
    released: list[dict[str, Any]] = field(default_factory=list)
    unreachable: dict[str, datetime] = field(default_factory=dict)  # person → since
    reached: dict[str, datetime] = field(default_factory=dict)  # person → delivered at


def record(
    session: Session,
    sent: Sequence[Sent],
    *,
    me: str,
    stamp: Stamp,
    options: Dispatch,
    rule: BreakerRule,
) -> Tally:
    """Record the sends of one group in a few statements; the tally of what they did."""
    rows, tally = _Rows(), Tally()
    for item in sent:
        if item.attempts:
            _record_send(item, rows, tally, me=me, stamp=stamp, options=options)
        else:
            rows.released += [{"b_id": a.id, "b_me": me} for a in item.message.alerts]
    if rows.deliveries:
        session.execute(insert(DELIVERY), rows.deliveries)
    if rows.timeline:
        session.execute(insert(TIMELINE), rows.timeline)
    if rows.updates:
        session.execute(_UPDATE, rows.updates)
    if rows.released:
        session.execute(_RELEASE, rows.released)
    record_health(session, rows.health, rule=rule)
    note_reach(session, unreachable=rows.unreachable, reached=rows.reached)
    return tally


_SET = (
    "status",
    "channel",
    "attempts",
    "http_attempts",
    "sent_at",
    "next_attempt_at",
    "last_error",
    "ack_due_at",
    "unreachable_since",
    "rounds",
)
_UPDATE = (
    update(OUTBOX)
    .where(N.id == bindparam("b_id"), N.claimed_by == bindparam("b_me"))
    .values(
        {
            **{name: bindparam(f"v_{name}", type_=N[name].type) for name in _SET},
            "claimed_by": None,
            "claimed_at": None,
        }
    )
    .execution_options(synchronize_session=False)
)


_RELEASE = (
    update(OUTBOX)
    .where(N.id == bindparam("b_id"), N.claimed_by == bindparam("b_me"))
    .values(status=NotificationStatus.PENDING, claimed_by=None, claimed_at=None)
    .execution_options(synchronize_session=False)
)


def _record_send(
    item: Sent, rows: _Rows, tally: Tally, *, me: str, stamp: Stamp, options: Dispatch
) -> None:
    message, attempts = item.message, item.attempts
    last = attempts[-1]
    ended = stamp(last.started + last.elapsed)
    tally.messages += 1
    tally.attempts += len(attempts)
    for alert in message.alerts:
        step = _record_alert(item, alert, rows, me=me, stamp=stamp, ended=ended, options=options)
        tally.sent += step is Next.DONE
        tally.failed += step is not Next.DONE
        tally.fell_over += step is Next.FALL_OVER
    rows.health.append(
        SendResult(
            message.channel,
            last.ok,
            message.probe,
            ended,
            last.outcome.value,
            last.reason,
            last.code,
        )
    )


def _record_alert(
    item: Sent,
    alert: Alert,
    rows: _Rows,
    *,
    me: str,
    stamp: Stamp,
    ended: datetime,
    options: Dispatch,
) -> Next:
    """One alert of a sent message: its attempts' rows, its outbox row's values, what follows."""
    message, attempts = item.message, item.attempts
    last = attempts[-1]
    following = next_channel(alert.channels or message.channels, message.channel)
    step = after_send(
        last.outcome,
        channel_sends=alert.attempts + 1,
        sends_per_channel=options.attempts_per_channel,
        has_next=following is not None,
        channel_down=message.probe,
    )
    merged = len(message.alerts) > 1
    for number, attempt in enumerate(attempts, start=alert.http_attempts + 1):
        at = stamp(attempt.started)
        rows.deliveries.append(delivery_row(alert, attempt, number, at, me))
        if alert.case_id is not None:
            rows.timeline.append(attempt_entry(message, alert, attempt, number, at, merged=merged))
    values = _outcome(alert, step, last, ended, following, options)
    values["http_attempts"] = alert.http_attempts + len(attempts)
    _follow(rows, message, alert, step, values, last, ended, following, options)
    rows.updates.append({"b_id": alert.id, "b_me": me, **{f"v_{k}": v for k, v in values.items()}})
    return step


def _follow(
    rows: _Rows,
    message: Message,
    alert: Alert,
    step: Next,
    values: dict[str, Any],
    last: Attempt,
    ended: datetime,
    following: str | None,
    options: Dispatch,
) -> None:
    """What follows a send beyond its row's values: the fall-over's timeline entry; every
    channel failed (a new round, the person unreachable); the person reached."""
    if step is Next.DONE:
        rows.reached[alert.recipient_id] = ended
    elif step is Next.GIVE_UP:
        values |= exhausted(alert, message, ended, options)
        rows.unreachable.setdefault(alert.recipient_id, values["unreachable_since"])
        if alert.case_id is not None:
            rows.timeline.append(exhausted_entry(message, alert, values, last, ended))
    elif step is Next.FALL_OVER and alert.case_id is not None:
        rows.timeline.append(failover_entry(message, alert, last, ended, following))


def _outcome(
    alert: Alert,
    step: Next,
    last: Attempt,
    ended: datetime,
    following: str | None,
    options: Dispatch,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": NotificationStatus.PENDING,
        "channel": alert.channel,
        "attempts": alert.attempts + 1,
        "sent_at": None,
        "next_attempt_at": None,
        "last_error": None if last.ok else f"{last.outcome.value}: {last.reason}",
        "ack_due_at": None,
        "unreachable_since": alert.unreachable_since,
        "rounds": alert.rounds,
    }
    if step is Next.DONE:
        values["status"], values["sent_at"] = NotificationStatus.SENT, ended
        if alert.ack_window_seconds is not None and alert.obligation_id and not alert.acked:
            values["ack_due_at"] = ended + timedelta(seconds=alert.ack_window_seconds)
    elif step is Next.RETRY_LATER:
        values["next_attempt_at"] = ended + retry_delay(
            alert.attempts + 1,
            base=timedelta(seconds=options.retry_base_seconds),
            cap=timedelta(seconds=options.retry_cap_seconds),
            retry_after=None if last.retry_after is None else timedelta(seconds=last.retry_after),
        )
    elif step is Next.FALL_OVER:
        values["channel"], values["attempts"] = following, 0
    return values
