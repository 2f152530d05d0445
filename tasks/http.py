"""Fetching a source over HTTP (httpx): conditional GET; one deadline per attempt, from connect to
last byte, that a server dripping a byte at a time cannot stretch (the attempt is an asyncio
task cancelled at its deadline); the body counted after decompression, as it streams, across
any number of Content-Encoding layers (`tasks.inflate`), against the size cap; and tenacity
retries of transient faults (connection errors, timeouts, 429, 5xx, honouring Retry-After).
Permanent faults (other 4xx, too large, an encoding not asked for, a redirect loop) fail at once.

The retry product, written once (`FetchLimits`, `attempt_timeout`, `next_wait`): a fetch costs at
most `budget` seconds, attempts and waits together. An attempt runs until the earlier of its own
`timeout` and the end of the budget; a wait that would leave less than `MIN_ATTEMPT` seconds of
budget is not begun; `attempts` caps the count. Nothing else retries a fetch (the flow sets no
Prefect retries on it): the next scheduled collection run is the minute-scale retry, and
`collect.gap_runs` failures in a row open a 监测盲区. No Prefect here."""

from __future__ import annotations

import asyncio
import concurrent.futures
import ssl
import zlib
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from tasks.inflate import Inflater, TooLarge, UnsupportedEncoding

USER_AGENT = "yuqing/0.1 (+public-opinion case tracker)"
ACCEPT_ENCODING = "gzip, deflate"  # what tasks.inflate undoes; never br or zstd
MIN_ATTEMPT = 0.5  # seconds: less budget than this left is not worth another attempt
WAIT_BASE, WAIT_CAP, RETRY_AFTER_CAP = 0.2, 5.0, 30.0


class FetchError(Exception):
    """A fetch that failed for good; the message names the URL and the reason."""


class TransientFetchError(FetchError):
    """A fault worth another attempt (a timeout, a dropped connection, 429, 5xx)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class FetchLimits:
    timeout: float  # one attempt, connect to last byte
    max_bytes: int  # the body after decompression
    attempts: int = 3
    budget: float = 60.0  # every attempt and wait of one fetch together


@dataclass(frozen=True)
class Fetched:
    status_code: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None = None
    url: str = ""  # where the body came from, after redirects: relative links resolve here
    attempts: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304


def attempt_timeout(limits: FetchLimits, elapsed: float) -> float:
    """How long the attempt starting `elapsed` seconds into the fetch may run."""
    return max(0.0, min(limits.timeout, limits.budget - elapsed))


def next_wait(
    limits: FetchLimits, *, attempt: int, elapsed: float, retry_after: float | None = None
) -> float | None:
    """The wait before attempt `attempt + 1`, or None to give up: out of attempts, or too
    little budget left after the wait (Retry-After, else exponential back-off, both capped)."""
    if attempt >= limits.attempts:
        return None
    backoff = min(WAIT_CAP, WAIT_BASE * 2 ** (attempt - 1))
    wait = min(retry_after, RETRY_AFTER_CAP) if retry_after is not None else backoff
    if limits.budget - elapsed - wait < MIN_ATTEMPT:
        return None
    return wait


def fetch(
    url: str,
    *,
    limits: FetchLimits,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """Fetch `url` within `limits`; FetchError (or TransientFetchError, when the last attempt
    failed in a way another run might not) when it cannot."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return _run(_fetch_with_retries(url, headers, limits))


async def _fetch_with_retries(url: str, headers: dict[str, str], limits: FetchLimits) -> Fetched:
    def stop(state: RetryCallState) -> bool:
        return _wait_for(state) is None

    def wait(state: RetryCallState) -> float:
        return _wait_for(state) or 0.0

    def _wait_for(state: RetryCallState) -> float | None:
        exc = state.outcome.exception() if state.outcome else None
        after = exc.retry_after if isinstance(exc, TransientFetchError) else None
        return next_wait(
            limits,
            attempt=state.attempt_number,
            elapsed=state.seconds_since_start or 0.0,
            retry_after=after,
        )

    loop = asyncio.get_running_loop()
    started = loop.time()
    retrying = AsyncRetrying(
        retry=retry_if_exception(lambda exc: isinstance(exc, TransientFetchError)),
        stop=stop,
        wait=wait,
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                deadline = attempt_timeout(limits, loop.time() - started)
                fetched = await _attempt(url, headers, limits, deadline)
                return replace(fetched, attempts=attempt.retry_state.attempt_number)
    except TransientFetchError as exc:
        tries, spent = retrying.statistics.get("attempt_number", 1), loop.time() - started
        raise TransientFetchError(f"{exc}（共 {tries} 次尝试，用时 {spent:.1f} 秒）") from None
    raise AssertionError("unreachable: tenacity re-raises the last fault")  # pragma: no cover


async def _attempt(
    url: str, headers: dict[str, str], limits: FetchLimits, deadline: float
) -> Fetched:
    try:
        async with asyncio.timeout(deadline):
            return await _get(url, headers, limits)
    except TimeoutError:
        raise TransientFetchError(f"{url}: 超时（{deadline:.1f} 秒内未取完）") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"{url}: 重定向次数过多（重定向循环）") from None
    except httpx.HTTPStatusError as exc:
        code = exc.response.status_code
        if code == 429 or code >= 500:
            after = exc.response.headers.get("Retry-After", "")
            wait = float(after) if after.isdigit() else None
            raise TransientFetchError(f"{url}: HTTP {code}", retry_after=wait) from None
        raise FetchError(f"{url}: HTTP {code}") from None
    except (httpx.TransportError, httpx.StreamError) as exc:
        raise TransientFetchError(f"{url}: {type(exc).__name__}: {exc}"[:300]) from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"{url}: 地址无效（{exc}）") from None
    except TooLarge:
        raise FetchError(f"{url}: 内容过大（解压后超过上限 {limits.max_bytes} 字节）") from None
    except UnsupportedEncoding as exc:
        raise FetchError(f"{url}: 不支持的内容编码 {exc}") from None
    except zlib.error as exc:
        raise FetchError(f"{url}: 压缩数据损坏（{exc}）") from None


async def _get(url: str, headers: dict[str, str], limits: FetchLimits) -> Fetched:
    async with (
        httpx.AsyncClient(
            timeout=limits.timeout, follow_redirects=True, max_redirects=5, verify=_tls()
        ) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        if response.status_code != 304:
            response.raise_for_status()
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise TooLarge(int(declared))
        inflater = Inflater(response.headers.get("Content-Encoding", ""), limits.max_bytes)
        body, raw = bytearray(), 0
        async for chunk in response.aiter_raw():
            raw += len(chunk)
            if raw > limits.max_bytes:
                raise TooLarge(raw)
            body += inflater.feed(chunk)
        body += inflater.finish()
        return Fetched(
            response.status_code,
            bytes(body),
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
            response.headers.get("Content-Type"),
            url=str(response.url),
        )


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context for every fetch: building one reads the CA bundle (milliseconds)."""
    return httpx.create_ssl_context()


def _run(coroutine: Coroutine[Any, Any, Fetched]) -> Fetched:
    """Run the fetch to completion from synchronous code (a task's worker thread), on a loop
    of its own; from inside a running loop, on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
