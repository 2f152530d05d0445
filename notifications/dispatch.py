"""The dispatcher: send what the outbox holds through Apprise. Per person and channel, the due
alerts go out one message each while the per-minute limit allows, and are merged into fewer
messages beyond it (a storm becomes one message, each alert keeping its notification id).

Each message is claimed (`pending` → `sending`, committed) before it is sent and recorded after
(`notifications.delivery`), so a second dispatcher never sends it and a retry never repeats a
recorded one. The one residual window is a crash after the channel accepted a message and before
the record commits: that row is left `sending`, goes back to `pending` after the lease and is
sent again under the same notification id, which the receiver can use to drop the repeat."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from models.db import session_scope
from notifications.channels import SendOutcome, send
from notifications.delivery import defer, record_outcome, recover_stale
from notifications.outbox import claim, due_pending, messages_sent_since
from notifications.render import render_batch
from yuqing.settings import Dispatch

ChannelUrl = Callable[[str], str | None]
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class DispatchResult:
    sent: int
    failed: int
    recovered: int = 0
    messages: int = 0


def dispatch_pending(
    engine: Engine,
    *,
    channel_url: ChannelUrl,
    now: datetime,
    options: Dispatch | None = None,
    language: str = "zh",
    limit: int = 1000,
) -> DispatchResult:
    """One dispatch round: recover crashed sends, then send what is due by `now`."""
    options = options or Dispatch()
    with session_scope(engine) as session:
        recovered = recover_stale(
            session, now=now, lease=timedelta(seconds=options.sending_lease_seconds)
        )
        rows = due_pending(session, now=now, limit=limit)
    groups: dict[tuple[str, str], list[str]] = {}
    for notification_id, recipient, channel in rows:
        groups.setdefault((recipient, channel), []).append(notification_id)
    sent = failed = messages = 0
    for (recipient, channel), ids in groups.items():
        for batch in _batches(engine, recipient, channel, ids, now=now, options=options):
            ok, count = _send_batch(
                engine, batch, channel_url=channel_url, now=now, options=options, language=language
            )
            messages += count > 0
            sent += count if ok else 0
            failed += 0 if ok else count
    return DispatchResult(sent=sent, failed=failed, recovered=recovered, messages=messages)


def _batches(
    engine: Engine,
    recipient: str,
    channel: str,
    ids: list[str],
    *,
    now: datetime,
    options: Dispatch,
) -> list[list[str]]:
    """Split a person's due alerts into the messages the per-minute budget allows now; the rest
    wait (merged later) until the oldest message of the minute drops out of the window."""
    with session_scope(engine) as session:
        used, earliest = messages_sent_since(
            session, recipient_id=recipient, channel=channel, since=now - MINUTE
        )
        budget = options.per_recipient_per_minute - used
        if len(ids) <= budget:
            return [[i] for i in ids]
        size = min(options.batch_max, math.ceil(len(ids) / max(budget, 1)))
        batches = [ids[n : n + size] for n in range(0, len(ids), size)][: max(budget, 0)]
        taken = {i for batch in batches for i in batch}
        defer(session, [i for i in ids if i not in taken], until=(earliest or now) + MINUTE)
        return batches


def _send_batch(
    engine: Engine,
    ids: list[str],
    *,
    channel_url: ChannelUrl,
    now: datetime,
    options: Dispatch,
    language: str,
) -> tuple[bool, int]:
    with session_scope(engine) as session:  # committed before the send: nobody else takes it
        claimed = claim(session, ids, now=now)
        messages = [(n.subject, n.body) for n in claimed]
        channel = claimed[0].channel if claimed else ""
    if not claimed:
        return False, 0
    subject, body = render_batch(messages, language=language)
    url = channel_url(channel)
    if url is None:
        outcome = SendOutcome(False, "NO_URL", f"渠道 {channel} 未配置地址")
    else:
        outcome = send(url, title=subject, body=body)
    with session_scope(engine) as session:
        record_outcome(
            session,
            [n.id for n in claimed],
            outcome,
            now=now,
            options=options,
            batch=len(claimed) > 1,
        )
    return outcome.ok, len(claimed)
