"""The dispatcher: send what the outbox holds through Apprise. Per person and channel, the due
alerts go out one message each while the per-minute limit allows, and are merged into fewer
messages beyond it (a storm becomes one message, each alert keeping its notification id).

A round claims all its messages at once (`pending` → `sending`, one committed transaction)
before it sends any, so a second dispatcher never sends them. It then sends on a few threads,
one person-and-channel per thread at a time so each person gets their messages in order, and
records the outcomes (`notifications.delivery`) a group at a time: every RECORD_EVERY messages
or RECORD_SECONDS, whichever comes first. A message still unsent when half the lease has passed
since the claim is handed back to `pending` unsent, so no row is ever `sending` past the lease
while its dispatcher lives. The one residual window is a crash after a channel accepted a
message and before its record commits (at most RECORD_EVERY messages or RECORD_SECONDS per
thread's work): those rows stay `sending`, go back to `pending` after the lease and are sent
again under the same notification id, which the receiver can use to drop the repeat. Rows
claimed but not yet sent when a crash hits are likewise sent after the lease (once)."""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from models.store.db import session_scope
from notifications.attachments import load_attachments
from notifications.channels import Attachment, SendOutcome, send
from notifications.delivery import Attempt, defer, record_attempts, recover_stale
from notifications.outbox import Claimed, claim, due_pending, messages_sent_since
from notifications.render import render_batch
from settings import Dispatch

ChannelUrl = Callable[[str], str | None]
MINUTE = timedelta(minutes=1)
SEND_WORKERS = 8  # sends in flight at once (each to a different person and channel)
RECORD_EVERY = 16  # outcomes recorded per transaction at most ...
RECORD_SECONDS = 0.02  # ... and no outcome waits longer than this for its record


@dataclass(frozen=True)
class DispatchResult:
    sent: int
    failed: int
    recovered: int = 0
    messages: int = 0


@dataclass(frozen=True)
class _Done:
    """A sender thread finished its person's messages (error: it stopped on an exception)."""

    error: BaseException | None = None


def dispatch_pending(
    engine: Engine,
    *,
    channel_url: ChannelUrl,
    now: datetime,
    options: Dispatch | None = None,
    language: str = "zh",
    limit: int = 1000,
    workers: int = SEND_WORKERS,
) -> DispatchResult:
    """One dispatch round: recover crashed sends, then send what is due by `now`. `workers=1`
    sends one message at a time."""
    options = options or Dispatch()
    with session_scope(engine) as session:  # committed before any send: nobody else takes them
        recovered = recover_stale(
            session, now=now, lease=timedelta(seconds=options.sending_lease_seconds)
        )
        planned = _plan(session, due_pending(session, now=now, limit=limit), now, options)
        claimed = {
            c.id: c for c in claim(session, [i for m in planned for b in m for i in b], now=now)
        }
        files = load_attachments(session, [c.attachment for c in claimed.values()])
    release_at = time.monotonic() + options.sending_lease_seconds / 2
    # Each person-and-channel's messages, in order, as claimed (another dispatcher may have
    # taken some first).
    queues: list[list[list[Claimed]]] = []
    for batches in planned:
        messages = [[claimed[i] for i in batch if i in claimed] for batch in batches]
        if any(messages):
            queues.append([message for message in messages if message])
    if not queues:
        return DispatchResult(sent=0, failed=0, recovered=recovered)
    urls = {m[0][0].channel: channel_url(m[0][0].channel) for m in queues}
    results: queue.Queue[Attempt | _Done] = queue.Queue()
    stop = threading.Event()  # recording failed: send nothing more that could not be recorded

    def sender(messages: list[list[Claimed]]) -> None:
        try:
            for message in messages:
                ids = tuple(n.id for n in message)
                if stop.is_set() or time.monotonic() >= release_at:
                    results.put(Attempt(ids, None))
                    continue
                url = urls[message[0].channel]
                results.put(Attempt(ids, _send(message, url, language, files)))
        except BaseException as error:  # reported to the recording loop, which re-raises
            results.put(_Done(error))
        else:
            results.put(_Done())

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(queues)))) as pool:
        for messages in queues:
            pool.submit(sender, messages)
        try:
            attempts, error = _record_as_they_come(engine, results, len(queues), now, options)
        except BaseException:
            stop.set()
            raise
    if error is not None:
        raise error
    tried = [(len(a.ids), a.outcome.ok) for a in attempts if a.outcome is not None]
    return DispatchResult(
        sent=sum(n for n, ok in tried if ok),
        failed=sum(n for n, ok in tried if not ok),
        recovered=recovered,
        messages=len(tried),
    )


def _record_as_they_come(
    engine: Engine,
    results: queue.Queue[Attempt | _Done],
    senders: int,
    now: datetime,
    options: Dispatch,
) -> tuple[list[Attempt], BaseException | None]:
    """Record outcomes as the sender threads report them, a group per transaction, until every
    sender is done; everything reported is recorded even when a sender failed."""
    attempts: list[Attempt] = []
    waiting: list[Attempt] = []
    error: BaseException | None = None
    oldest = 0.0
    while senders:
        try:
            item = results.get(timeout=RECORD_SECONDS)
        except queue.Empty:
            item = None
        if isinstance(item, _Done):
            senders -= 1
            error = error or item.error
        elif item is not None:
            oldest = oldest if waiting else time.monotonic()
            waiting.append(item)
        full = len(waiting) >= RECORD_EVERY or time.monotonic() - oldest >= RECORD_SECONDS
        if waiting and (full or not senders):
            with session_scope(engine) as session:
                record_attempts(session, waiting, now=now, options=options)
            attempts += waiting
            waiting = []
    return attempts, error


def _send(
    message: Sequence[Claimed], url: str | None, language: str, files: Mapping[str, Attachment]
) -> SendOutcome:
    subject, body = render_batch([(n.subject, n.body) for n in message], language=language)
    if url is None:
        return SendOutcome(False, "NO_URL", f"渠道 {message[0].channel} 未配置地址")
    attach = [files[n.attachment] for n in message if n.attachment and n.attachment in files]
    return send(url, title=subject, body=body, attach=attach)


def _plan(
    session: Session, rows: Sequence[tuple[str, str, str]], now: datetime, options: Dispatch
) -> list[list[list[str]]]:
    """Per person and channel, split the due alerts into the messages the per-minute budget
    allows now; the rest wait (merged later) until the oldest message of the minute drops out
    of the window."""
    groups: dict[tuple[str, str], list[str]] = {}
    for notification_id, recipient, channel in rows:
        groups.setdefault((recipient, channel), []).append(notification_id)
    recent = messages_sent_since(session, channels=groups, since=now - MINUTE)
    planned = []
    for pair, ids in groups.items():
        used, earliest = recent.get(pair, (0, now))
        budget = options.per_recipient_per_minute - used
        if len(ids) <= budget:
            planned.append([[i] for i in ids])
            continue
        size = min(options.batch_max, math.ceil(len(ids) / max(budget, 1)))
        batches = [ids[n : n + size] for n in range(0, len(ids), size)][: max(budget, 0)]
        taken = {i for batch in batches for i in batch}
        defer(session, [i for i in ids if i not in taken], until=earliest + MINUTE)
        planned.append(batches)
    return planned
