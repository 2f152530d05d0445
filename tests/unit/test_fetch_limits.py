"""Fetch limits that hold, against a real local server: a server dripping a byte at a time is cut
off at the attempt's deadline; a gzip inside a gzip is refused at the size cap having held
little memory, and any stack of gzip/deflate layers decodes; transient faults are retried
within the attempts and the budget, permanent ones are not; and the retry product is bounded
by the budget whatever the host does (a truth table and a property over the same functions
the fetch runs)."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.http import (
    MIN_ATTEMPT,
    FetchError,
    FetchLimits,
    TransientFetchError,
    attempt_timeout,
    fetch,
    next_wait,
)
from yuqing.localservers import FeedServer

DOC = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel></channel></rss>'


def test_a_dripping_server_is_cut_off_at_the_deadline(feed_server: FeedServer) -> None:
    url = feed_server.serve("/drip.xml", DOC, drip=0.2)  # 80 bytes: 16 s to send them all
    limits = FetchLimits(timeout=1.0, max_bytes=10_000, attempts=1, budget=1.0)
    with pytest.raises(TransientFetchError, match="超时"):
        fetch(url, limits=limits)
    assert 0 < feed_server.dripped["/drip.xml"] < len(DOC)


def test_a_gzip_inside_a_gzip_is_refused_at_the_cap_holding_little(
    feed_server: FeedServer,
) -> None:
    bomb = gzip.compress(gzip.compress(b"<rss>" + b"x" * 200_000_000, 9), 9)  # 200 MB inside
    assert len(bomb) < 1_000_000
    url = feed_server.serve("/bomb.xml", bomb, encoding="gzip, gzip")
    limits = FetchLimits(timeout=60, max_bytes=5_000_000, attempts=1)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="内容过大"):
            fetch(url, limits=limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * limits.max_bytes, f"held {peak / 1e6:.0f} MB for a 5 MB cap"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("gzip, deflate", lambda data: zlib.compress(gzip.compress(data))),
        ("identity, gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
        ("x-gzip", lambda data: gzip.compress(data[:40]) + gzip.compress(data[40:])),  # 2 members
    ],
)
def test_stacked_encodings_decode(feed_server: FeedServer, encoding: str, encode: object) -> None:
    assert callable(encode)
    url = feed_server.serve("/z.xml", encode(DOC * 1000), encoding=encoding)
    fetched = fetch(url, limits=FetchLimits(timeout=30, max_bytes=1_000_000))
    assert fetched.body == DOC * 1000
    assert fetched.url == url


def test_an_encoding_not_asked_for_is_refused(feed_server: FeedServer) -> None:
    url = feed_server.serve("/br.xml", b"\x8b\x00\x80", encoding="br")
    with pytest.raises(FetchError, match="不支持的内容编码 br"):
        fetch(url, limits=FetchLimits(timeout=30, max_bytes=1_000_000))


def test_transient_faults_are_retried_permanent_ones_are_not(feed_server: FeedServer) -> None:
    limits = FetchLimits(timeout=10, max_bytes=10_000, attempts=3, budget=30)
    down = feed_server.serve("/down.xml", b"", status=503)
    with pytest.raises(TransientFetchError, match="HTTP 503（共 3 次尝试"):
        fetch(down, limits=limits)
    gone = feed_server.serve("/gone.xml", b"", status=404)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(gone, limits=limits)
    assert feed_server.requests.count("/down.xml") == 3
    assert feed_server.requests.count("/gone.xml") == 1


def test_the_budget_stops_attempts_before_their_number_does(feed_server: FeedServer) -> None:
    url = feed_server.serve("/slow.xml", DOC, delay=3)
    limits = FetchLimits(timeout=0.5, max_bytes=10_000, attempts=10, budget=1.0)
    with pytest.raises(TransientFetchError, match="共 1 次尝试"):
        fetch(url, limits=limits)
    assert feed_server.requests.count("/slow.xml") == 1


LIMITS = FetchLimits(timeout=20, max_bytes=1, attempts=3, budget=60)


@pytest.mark.parametrize(
    ("attempt", "elapsed", "retry_after", "wait"),
    [
        (1, 20.0, None, 0.2),  # first attempt timed out: back off 0.2 s
        (2, 40.2, None, 0.4),
        (3, 59.0, None, None),  # out of attempts
        (1, 59.4, None, None),  # 0.6 s left: a 0.2 s wait would leave less than MIN_ATTEMPT
        (1, 1.0, 10, 10),  # Retry-After honoured
        (1, 1.0, 100, 30),  # ... up to 30 s
        (1, 40.0, 30, None),  # ... unless it does not fit in the budget
    ],
)
def test_next_wait_truth_table(
    attempt: int, elapsed: float, retry_after: float | None, wait: float | None
) -> None:
    assert next_wait(LIMITS, attempt=attempt, elapsed=elapsed, retry_after=retry_after) == wait


def test_attempt_timeout_is_the_rest_of_the_budget_at_most() -> None:
    assert attempt_timeout(LIMITS, 0) == 20
    assert attempt_timeout(LIMITS, 50) == 10
    assert attempt_timeout(LIMITS, 61) == 0


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    timeout=st.floats(0.1, 300),
    attempts=st.integers(1, 10),
    budget=st.floats(0.1, 3600),
    durations=st.lists(st.floats(0, 1), min_size=10, max_size=10),
    retry_after=st.lists(st.one_of(st.none(), st.integers(0, 120)), min_size=10, max_size=10),
)
def test_a_fetch_never_costs_more_than_its_budget(
    timeout: float,
    attempts: int,
    budget: float,
    durations: list[float],
    retry_after: list[int | None],
) -> None:
    """Replay the fetch loop's arithmetic: each attempt takes some share of its allowance (a dead
    host takes all of it); the total never passes the budget, the count never the attempts."""
    limits = FetchLimits(timeout=timeout, max_bytes=1, attempts=attempts, budget=budget)
    elapsed, made = 0.0, 0
    for share, after in zip(durations, retry_after, strict=True):
        elapsed += share * attempt_timeout(limits, elapsed)
        made += 1
        wait = next_wait(limits, attempt=made, elapsed=elapsed, retry_after=after)
        if wait is None:
            break
        assert budget - elapsed - wait >= MIN_ATTEMPT
        elapsed += wait
    assert elapsed <= budget + 1e-9
    assert made <= attempts
