"""Fetching a source over HTTP with httpx: conditional GET, a size cap, and tenacity retries for
second-scale transient faults (connection errors, 429, 5xx, honouring Retry-After). Permanent
faults (other 4xx, an oversized body) fail at once. No Prefect here."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)
USER_AGENT = "yuqing/0.1 (+public-opinion case tracker)"
_BACKOFF = wait_exponential_jitter(multiplier=0.2, max=5, jitter=0.2)


class FetchError(Exception):
    """A fetch that failed for good; the message names the URL and the reason."""


@dataclass(frozen=True)
class Fetched:
    status_code: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304


def is_transient(exc: BaseException) -> bool:
    """The one predicate that says which faults are worth retrying."""
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code == 429 or exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, httpx.HTTPStatusError):
        retry_after = exc.response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return min(float(retry_after), 30.0)
    return float(_BACKOFF(state))


# Worst case: 4 attempts, waits of at most ~0.4 + 0.8 + 1.6 s plus jitter (or Retry-After, capped
# at 30 s each), each attempt bounded by the per-source timeout.
@retry(retry=retry_if_exception(is_transient), stop=stop_after_attempt(4), wait=_wait, reraise=True)
def fetch(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        return _get(url, headers=headers, timeout=timeout, max_bytes=max_bytes)
    except httpx.TooManyRedirects:
        raise FetchError(f"{url}: 重定向次数过多（重定向循环）") from None
    except httpx.HTTPStatusError as exc:
        if is_transient(exc):
            raise
        raise FetchError(f"{url}: HTTP {exc.response.status_code}") from None


def _get(url: str, *, headers: dict[str, str], timeout: float, max_bytes: int) -> Fetched:
    with (
        httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        if response.status_code != 304:
            response.raise_for_status()
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"{url}: 内容过大（{declared} 字节，上限 {max_bytes}）")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(f"{url}: 内容过大（超过上限 {max_bytes} 字节）")
        return Fetched(
            response.status_code,
            bytes(body),
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
            response.headers.get("Content-Type"),
        )
