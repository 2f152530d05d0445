"""The only module that imports apprise: validate a channel URL, show it in privacy form, and send
one message, turning Apprise's result (apprise 2.x: an AppriseResult, not a bool) into an
explicit outcome. Second-scale retries of a send live here (tenacity); minute-scale retries are
the dispatcher's, through the outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import apprise
from tenacity import RetryCallState, retry, retry_if_result, stop_after_attempt, wait_exponential

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    status: str  # SUCCESS, FAILURE, TIMEOUT, INVALID_URL, ...
    detail: str = ""


def is_valid_url(url: str) -> bool:
    """True when Apprise knows the scheme and can parse the URL."""
    return apprise.Apprise.instantiate(url) is not None


def privacy_url(url: str) -> str:
    """The URL with its secrets masked, the only form in which a channel URL is ever logged."""
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return url.split("://", 1)[0] + "://****"
    return str(plugin.url(privacy=True))  # type: ignore[no-untyped-call]


def _transient(outcome: SendOutcome) -> bool:
    return not outcome.ok and outcome.status != "INVALID_URL"


def _log_retry(state: RetryCallState) -> None:
    log.warning("send attempt %d failed, retrying", state.attempt_number)


# Worst case per message: 3 attempts with 0.2 s + 0.4 s waits, each bounded by Apprise's own
# socket timeouts; anything still failing stays in the outbox for the next dispatch round.
@retry(
    retry=retry_if_result(_transient),
    stop=stop_after_attempt(3),
    wait=wait_exponential(multiplier=0.2, max=2),
    before_sleep=_log_retry,
    retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
)
def send(url: str, *, title: str, body: str) -> SendOutcome:
    """Send one message to one channel URL."""
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return SendOutcome(False, "INVALID_URL", f"Apprise 无法识别该地址: {privacy_url(url)}")
    result = notifier.notify(title=title, body=body)
    status = getattr(getattr(result, "status", None), "name", "SUCCESS" if result else "FAILURE")
    return SendOutcome(bool(result), str(status), privacy_url(url))
