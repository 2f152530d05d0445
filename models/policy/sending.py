"""What a send attempt's outcome means and what follows it, as pure rules: the outcome classes,
the one predicate that says whether to try the same channel again within a send (and after how
long), what the outbox does after a send, and lateness to the second. Standard library only.

| outcome   | what happened                   | within the send       | after it (outbox)          |
|-----------|---------------------------------|-----------------------|----------------------------|
| delivered | the receiver answered 2xx       | stop                  | sent                       |
| refused   | never reached it: connection    | again after 0.2 s,    | later (back-off), up to    |
|           | refused, DNS, connect timeout,  | then 0.4 s: 3         | `attempts_per_channel`     |
|           | TLS handshake                   | attempts at most      | sends; then next channel   |
| busy      | it answered 5xx, 408 or 429     | as refused, or after  | as refused                 |
|           |                                 | a Retry-After ≤ 5 s   |                            |
| rejected  | it answered another 4xx: this   | stop                  | the next channel at once   |
|           | message cannot pass this channel|                       |                            |
| unknown   | the request went out and no     | stop (no blind        | the next channel at once,  |
|           | answer came: read timeout,      | repeat)               | same id; on the person's   |
|           | connection reset mid-response   |                       | last channel later, same id|
| invalid   | no URL, or one Apprise can't use| stop (nothing sent)   | the next channel at once   |

Worst case per alert and channel with the defaults (`attempts_per_channel` = 3): refused or
busy 3 sends × 3 attempts = 9 HTTP requests, none of which the receiver accepted; unknown 1
request (on the person's last channel 3, all with the same notification id); rejected and
invalid 1 request (0 for invalid). A person with k channels gets an alert at most once per
channel, and all copies carry the same notification id, so a receiver can drop repeats."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class Outcome(StrEnum):
    DELIVERED = "delivered"
    REFUSED = "refused"
    BUSY = "busy"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    INVALID = "invalid"


OUTCOME_LABELS = {
    Outcome.DELIVERED: "已送达",
    Outcome.REFUSED: "未送出（连接被拒）",
    Outcome.BUSY: "对方繁忙",
    Outcome.REJECTED: "对方拒收",
    Outcome.UNKNOWN: "结果不明（已发出，未收到应答）",
    Outcome.INVALID: "地址无效",
}

SEND_ATTEMPTS = 3  # HTTP attempts within one send, at most
SEND_WAIT_MAX = 5.0  # seconds: a longer Retry-After is left to the outbox's next round
SEND_BACKOFF = 0.2  # seconds before the second attempt; doubles


def classify_status(status: int) -> Outcome:
    """The class of an HTTP answer."""
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status >= 500 or status in (408, 429):
        return Outcome.BUSY
    return Outcome.REJECTED


def retry_within_send(
    outcome: Outcome, *, attempt: int, retry_after: float | None = None
) -> float | None:
    """The one predicate: seconds to wait before trying the same channel again within this send
    (attempt `attempt` just ended), or None to stop and leave the rest to the outbox."""
    if attempt >= SEND_ATTEMPTS or outcome not in (Outcome.REFUSED, Outcome.BUSY):
        return None
    wait = SEND_BACKOFF * 2 ** (attempt - 1)
    if outcome is Outcome.BUSY and retry_after is not None:
        wait = retry_after
    return wait if wait <= SEND_WAIT_MAX else None


class Next(StrEnum):
    """What the outbox does with an alert after a send."""

    DONE = "done"
    RETRY_LATER = "retry_later"  # the same channel, after the back-off
    FALL_OVER = "fall_over"  # the person's next channel, same notification id, at once
    GIVE_UP = "give_up"  # every channel tried: people must reach the person


def after_send(
    outcome: Outcome,
    *,
    channel_sends: int,
    sends_per_channel: int,
    has_next: bool,
    channel_down: bool = False,
) -> Next:
    """The outbox's step after a send whose last attempt had `outcome`; `channel_sends` counts
    the sends on this channel so far, this one included; `channel_down`: the send was the
    probe of a channel that is down, and it failed (no point waiting on that channel)."""
    if outcome is Outcome.DELIVERED:
        return Next.DONE
    at_once = channel_down or outcome in (Outcome.REJECTED, Outcome.INVALID, Outcome.UNKNOWN)
    if has_next and at_once:  # unknown: no repeat where it may have arrived; the id goes on
        return Next.FALL_OVER
    if outcome in (Outcome.REJECTED, Outcome.INVALID):
        return Next.GIVE_UP  # the person's last channel will not take it
    if channel_sends < sends_per_channel:
        return Next.RETRY_LATER
    return Next.FALL_OVER if has_next else Next.GIVE_UP


def format_seconds(span: timedelta, *, language: str = "zh") -> str:
    """'1小时2分3秒' / '1 h 2 min 3 s': a lateness to the second."""
    total = max(0, int(span.total_seconds()))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    units = ("h", "min", "s") if language == "en" else ("小时", "分", "秒")
    parts = [(hours, units[0]), (minutes, units[1]), (seconds, units[2])]
    shown = parts[0 if hours else 1 if minutes else 2 :]
    if language == "en":
        return " ".join(f"{n} {unit}" for n, unit in shown)
    return "".join(f"{n}{unit}" for n, unit in shown)


def lateness(late_by: timedelta) -> str:
    """'超时 1分3秒' or '截止前 5分0秒' (a reminder is sent before the due time)."""
    if late_by < timedelta(0):
        return f"截止前 {format_seconds(-late_by)}"
    return f"超时 {format_seconds(late_by)}"
