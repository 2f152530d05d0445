"""The only module that imports apprise: validate a channel URL, show it in privacy form, and send
one message, turning Apprise's result (apprise 2.x: an AppriseResult, not a bool) into an
explicit outcome. Second-scale retries of a send live here (tenacity); minute-scale retries are
the dispatcher's, through the outbox (`next_attempt_at`), and fall-over to the next channel too.
`send` is safe to call from several threads at once: parsed Apprise objects are reused (parsing
a URL costs more than a local send) but only ever used by one thread at a time.

Retry-After: a `SendOutcome.retry_after` is honoured by both layers (here when it is short,
else by the outbox). Apprise's webhook plugins do not surface response headers, so for them it
stays None and the exponential back-off applies."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import apprise
from apprise.attachment.memory import AttachMemory
from tenacity import (
    RetryCallState,
    retry,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")
PERMANENT = frozenset({"INVALID_URL", "NO_URL"})  # retrying cannot help: fall over at once
INNER_RETRY_AFTER_MAX = 5.0  # a longer Retry-After is left to the outbox's next round


@dataclass(frozen=True)
class Attachment:
    """A file a message carries (a stored report), held in memory: sent where the channel
    takes attachments (email, json:// webhooks), left out where it does not (the message then
    carries the report's signed download link)."""

    name: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    status: str  # SUCCESS, FAILURE, TIMEOUT, INVALID_URL, NO_URL, ...
    detail: str = ""
    retry_after: timedelta | None = None


def _plugin(url: str) -> object | None:
    """Apprise's parse of the URL, or None for anything it cannot use (never an exception)."""
    try:
        return apprise.Apprise.instantiate(url)
    except Exception:  # a malformed value must not stop a config check or a send
        return None


def is_valid_url(url: str) -> bool:
    """True when Apprise knows the scheme and can parse the URL."""
    return _plugin(url) is not None


@lru_cache(maxsize=1024)
def privacy_url(url: str) -> str:
    """The URL with its secrets masked, the only form in which a channel URL is ever logged or
    shown; a value Apprise cannot parse shows its scheme at most (a value without `://` may be
    nothing but a secret)."""
    plugin = _plugin(url)
    if plugin is not None:
        try:
            return str(plugin.url(privacy=True))  # type: ignore[attr-defined]
        except Exception:
            return "****"
    scheme = url.split("://", 1)[0] if "://" in url else ""
    return f"{scheme}://****" if _SCHEME.fullmatch(scheme) else "****"


def transient(outcome: SendOutcome) -> bool:
    """The one predicate: failed, and worth trying again (not a bad or missing URL, and not
    asked to wait longer than the inner loop waits)."""
    if outcome.ok or outcome.status in PERMANENT:
        return False
    wait = outcome.retry_after
    return wait is None or wait.total_seconds() <= INNER_RETRY_AFTER_MAX


_backoff = wait_exponential(multiplier=0.2, max=2)


def wait_retry_after(state: RetryCallState) -> float:
    """Honour the channel's Retry-After when it gave one, else exponential back-off."""
    outcome = state.outcome.result() if state.outcome and not state.outcome.failed else None
    if isinstance(outcome, SendOutcome) and outcome.retry_after is not None:
        return outcome.retry_after.total_seconds()
    return float(_backoff(state))


def _log_retry(state: RetryCallState) -> None:
    log.warning("send attempt %d failed, retrying", state.attempt_number)


# Worst case per message: 3 attempts with 0.2 s + 0.4 s waits (or a Retry-After of at most 5 s),
# each bounded by Apprise's socket timeouts; then the outbox retries the message later
# (`dispatch.attempts_per_channel` rounds) before falling over to the next channel.
@retry(
    retry=retry_if_result(transient),
    stop=stop_after_attempt(3),
    wait=wait_retry_after,
    before_sleep=_log_retry,
    retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
)
def send(url: str, *, title: str, body: str, attach: Sequence[Attachment] = ()) -> SendOutcome:
    """Send one message to one channel URL, with `attach` where the channel takes files."""
    notifier = _checkout(url)
    if notifier is None:
        return SendOutcome(False, "INVALID_URL", f"Apprise 无法识别该地址: {privacy_url(url)}")
    try:
        files = _attachments(notifier, attach)
        result = notifier.notify(title=title, body=body, attach=files)
    finally:
        _checkin(url, notifier)
    status = getattr(getattr(result, "status", None), "name", "SUCCESS" if result else "FAILURE")
    return SendOutcome(bool(result), str(status), privacy_url(url))


def _attachments(notifier: apprise.Apprise, attach: Sequence[Attachment]) -> Any:
    """Apprise's attachment list; None when there is nothing to attach or the channel takes no
    files (its message carries the report's download link instead)."""
    if not attach or not all(getattr(p, "attachment_support", False) for p in notifier):
        return None
    files = apprise.AppriseAttachment()
    for item in attach:
        memory = AttachMemory(  # type: ignore[no-untyped-call]
            content=item.content, name=item.name, mimetype=item.mimetype
        )
        files.add(memory)
    return files


# Idle parsed Apprise objects per URL. A thread takes one out for the length of a send (an
# Apprise object is not meant to be shared between threads), so there are at most as many per
# URL as sends to it ever ran at once.
_idle: dict[str, list[apprise.Apprise]] = {}
_idle_lock = threading.Lock()


def _checkout(url: str) -> apprise.Apprise | None:
    with _idle_lock:
        spare = _idle.get(url)
        if spare:
            return spare.pop()
    notifier = apprise.Apprise()
    return notifier if notifier.add(url) else None


def _checkin(url: str, notifier: apprise.Apprise) -> None:
    with _idle_lock:
        _idle.setdefault(url, []).append(notifier)
