"""Where yuqing meets Apprise (with yuqing's own Apprise plugins, `notifications.platforms`, the
only modules importing apprise): validate a channel URL, show it in privacy form, tell a group
channel from a personal one, and send one message, every HTTP attempt of it told apart by
outcome class (`models.policy.sending` has the classes, the one retry predicate and the table of
worst cases).

For the platforms of `notifications.platforms` (WeCom, DingTalk, Feishu, Lark, Aliyun and
Tencent SMS) the platform's own answer decides: the plugin keeps it (`answer`: the HTTP status
and the code in the body) and `models.policy.platforms.judge` classes it by the platform's code
table; the message goes in the platform's rich form when an `Envelope` is handed over. For every
other Apprise plugin Apprise 2.x answers SUCCESS or FAILURE only; what happened on the wire is in
the log lines its plugins write during the call ("error=500", "Socket Exception: ... Read timed
out"), which Apprise captures per call. This module reads those captured lines: the Apprise
logger is set to keep its socket-exception lines (debug) and warnings, and not to pass them on
to the application's logs, because they can carry a URL's secrets. What is kept of them is a
short reason in Chinese, never the text.

The second-scale retries within a send are tenacity's, each attempt its own `Attempt` with its
own start time (minute-scale retries and fall-over are the outbox's). Apprise runs each send in
the calling thread (`service_timeout=0`: no hop through its shared executor, whose six workers
would cap a process at six sends in flight); the dispatcher's own pool is sized to the work,
and each send is bounded by the plugin's socket timeouts (`cto`/`rto` URL options, 4 s each by
default). Parsed Apprise objects are reused per URL, one thread at a time per object.

Retry-After: Apprise's webhook plugins do not report response headers, so for them
`Attempt.retry_after` stays None and the back-off applies; the plugins that read it (Discord,
Matrix, ...) honour it themselves within their attempt."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import apprise
from apprise.attachment.memory import AttachMemory
from tenacity import RetryCallState, Retrying, retry_if_result, stop_never

from models.policy.platforms import Answer, Platform, judge
from models.policy.platforms import platform_of as scheme_platform
from models.policy.sending import Outcome, retry_within_send
from notifications.envelope import Envelope
from notifications.platforms import PlatformPlugin, register
from notifications.wire_lines import SOCKET, classify

log = logging.getLogger(__name__)
_ASSET = apprise.AppriseAsset(service_timeout=0)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")


@dataclass(frozen=True)
class Attachment:
    """A file a message carries (a stored report), held in memory: sent where the channel
    takes attachments (email, json:// webhooks), left out where it does not (the message then
    carries the report's signed download link)."""

    name: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt: when it started (monotonic seconds), how long it took, its class, the
    HTTP status when the receiver answered, and a short privacy-safe reason."""

    started: float
    elapsed: float
    outcome: Outcome
    status: int | None = None
    reason: str = ""
    retry_after: float | None = None
    code: str | None = None  # the platform's own code (errcode / code / Code), when it gave one

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.DELIVERED


class _KeepWireLines(logging.Filter):
    """Of Apprise's log records keep the warnings and the socket-exception lines (debug)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or str(record.msg).startswith(SOCKET)


def _quiet_apprise_logger() -> None:
    logger = logging.getLogger("apprise")  # apprise.logger.LOGGER_NAME
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # its lines may hold a URL's secrets: captured per call, no further
    if not any(isinstance(f, _KeepWireLines) for f in logger.filters):
        logger.addFilter(_KeepWireLines())


_quiet_apprise_logger()
register()


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
def platform_of(url: str) -> Platform | None:
    """The platform a URL sends to through yuqing's own plugins (None: any other channel)."""
    if scheme_platform(url) is None:
        return None
    plugin = _plugin(url)
    return plugin.platform if isinstance(plugin, PlatformPlugin) else None


@lru_cache(maxsize=1024)
def is_group_url(url: str) -> bool:
    """True for a channel that posts into a group chat (a WeCom, DingTalk, Feishu or Lark bot,
    unless its URL says `group=no`): its messages name everyone they concern, and its action
    links ask who is pressing them."""
    if scheme_platform(url) is None:
        return False
    plugin = _plugin(url)
    return isinstance(plugin, PlatformPlugin) and plugin.group


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


def send(
    url: str | None,
    *,
    title: str,
    body: str,
    attach: Sequence[Attachment] = (),
    envelope: Envelope | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Attempt, ...]:
    """Send one message to one channel URL, with `attach` where the channel takes files and in
    the platform's rich form (`envelope`) where the channel is a platform's; every attempt made,
    in order (one, when the first was delivered or must not be repeated)."""
    if url is None:
        return (Attempt(time.monotonic(), 0.0, Outcome.INVALID, reason="渠道未配置地址"),)
    attempts: list[Attempt] = []

    def once() -> Attempt:
        attempts.append(_attempt(url, title=title, body=body, attach=attach, envelope=envelope))
        if not attempts[-1].ok:
            log.warning(
                "send to %s: %s (%s), attempt %d",
                privacy_url(url),
                attempts[-1].outcome.value,
                attempts[-1].reason,
                len(attempts),
            )
        return attempts[-1]

    retrying = Retrying(
        retry=retry_if_result(lambda a: _wait_before_next(a, len(attempts)) is not None),
        wait=lambda state: _wait(state),
        stop=stop_never,  # the predicate stops: `retry_within_send`
        sleep=sleep,
        reraise=True,
    )
    retrying(once)
    return tuple(attempts)


def _wait_before_next(attempt: Attempt, number: int) -> float | None:
    return retry_within_send(attempt.outcome, attempt=number, retry_after=attempt.retry_after)


def _wait(state: RetryCallState) -> float:
    last = state.outcome.result() if state.outcome is not None else None
    if not isinstance(last, Attempt):
        return 0.0
    return _wait_before_next(last, state.attempt_number) or 0.0


def _attempt(
    url: str,
    *,
    title: str,
    body: str,
    attach: Sequence[Attachment],
    envelope: Envelope | None,
) -> Attempt:
    started = time.monotonic()
    notifier = _checkout(url)
    if notifier is None:
        reason = f"Apprise 无法识别该地址：{privacy_url(url)}"
        return Attempt(started, 0.0, Outcome.INVALID, reason=reason)
    lines: list[str] = []
    platform = next((p for p in notifier if isinstance(p, PlatformPlugin)), None)
    if platform is not None:
        platform.envelope, platform.answer = envelope, None
    try:
        result = notifier.notify(
            title=title,
            body=body,
            attach=_attachments(notifier, attach),
            log_callback=lambda entry, _service: lines.append(str(entry.message)),
            log_level=logging.DEBUG,
        )
        answer = platform.answer if platform is not None else None
    finally:
        if platform is not None:
            platform.envelope = platform.answer = None
        _checkin(url, notifier)
    elapsed = time.monotonic() - started
    return _outcome(started, elapsed, answer, bool(result), lines, plugin=platform is not None)


def _outcome(
    started: float,
    elapsed: float,
    answer: Answer | None,
    result: bool,
    lines: list[str],
    *,
    plugin: bool,
) -> Attempt:
    """The attempt's outcome: the platform's own answer, else Apprise's result and log lines."""
    if answer is not None:  # the platform's own answer decides
        verdict = judge(answer)
        return Attempt(
            started, elapsed, verdict.outcome, answer.http_status, verdict.reason,
            verdict.retry_after, answer.code,
        )  # fmt: skip
    outcome, status, reason = classify(result, lines)
    if plugin and outcome is Outcome.DELIVERED:  # the plugin never got to answer
        outcome, reason = Outcome.UNKNOWN, "平台插件没有给出应答"
    return Attempt(started, elapsed, outcome, status, reason)


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
_idle: dict[str, list[Any]] = {}
_idle_lock = threading.Lock()


def _checkout(url: str) -> Any:
    with _idle_lock:
        spare = _idle.get(url)
        if spare:
            return spare.pop()
    notifier = apprise.Apprise(asset=_ASSET)
    return notifier if notifier.add(url) else None


def _checkin(url: str, notifier: Any) -> None:
    with _idle_lock:
        _idle.setdefault(url, []).append(notifier)
