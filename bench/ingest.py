"""Collection throughput: 100,000 generated items served by a local feed server (20 RSS feeds
of 5,000) go through fetch → parse → normalise → match → dedup → cluster → persist on SQLite,
as the real `collect` flow under Prefect and as the same task bodies called as plain functions
(`.fn`), each pass on a fresh database. The passes alternate, plain, Prefect, plain, Prefect…,
so neither always runs first on a cold cache; each kind's min, median and max are reported.
Then the feed parser alone (`models.parse.feeds.parse_feed`, the fast path) against
`feedparser.parse` on the same 20 documents. About 2% of items concern a topic, in clusters of
near-duplicate reposts; the rest are unrelated local news.

    uv run python bench/ingest.py                       # 100,000 items, 3 rounds
    uv run python bench/ingest.py --items 20000 --rounds 5

The final line is one JSON object: items_per_s (Prefect, median), its min and max,
plain_items_per_s (median, min, max), ratio (median Prefect / median plain), peak_rss_mb (the
whole process, all passes, before the parser comparison), and the parser's items/s beside
feedparser's on the same bytes."""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import tempfile
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import feedparser

from deployments.prefect_api import prefect_api
from flows.collect import collect
from models.parse.feeds import parse_feed
from tasks.collect import fetch_source, finish_source, plan_sources, snapshot_cases, store_batch
from tasks.runtime import prepare
from yuqing.localservers import FeedServer

FEEDS = 20
CHARS = "市区街道社区居民反映近日出现情况相关部门表示正在处理交通道路施工噪音停车物业供暖供水"
TOPICS = [("school", ["学校", "中学"]), ("land", ["征地", "拆迁"]), ("food", ["食品安全"])]
MATTERS = ["某中学食堂饭菜变质多名学生腹泻", "某村征地补偿款迟迟未发放", "超市出售过期食品安全堪忧"]
AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def feed(n: int, per_feed: int, rng: random.Random) -> bytes:
    items = []
    for i in range(per_feed):
        if rng.random() < 0.02:
            matter = rng.choice(MATTERS) + f"（{rng.randrange(60)}号）"
            title = rng.choice(["", "转发：", "网友爆料："]) + matter
        else:
            title = "".join(rng.choice(CHARS) for _ in range(rng.randrange(12, 30)))
        when = (AT - timedelta(minutes=i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        items.append(
            f"<item><title>{escape(title)}</title><link>http://site{n}.test/p/{i}?utm_source=x"
            f"</link><description>{escape(title)}，详情见原帖。</description>"
            f"<pubDate>{when}</pubDate><yq:clicks>{rng.randrange(3000)}</yq:clicks></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:yq="urn:yuqing:metrics">'
        f"<channel><title>feed {n}</title>{''.join(items)}</channel></rss>"
    ).encode()


def write_config(directory: Path, urls: list[str]) -> str:
    sources = "".join(
        f'[[sources]]\nid = "s{n}"\nname = "来源{n}"\nurl = "{url}"\nmax_bytes = 50000000\n\n'
        for n, url in enumerate(urls)
    )
    topics = "".join(
        f'[[topics]]\nid = "{tid}"\nname = "{tid}"\ninclude_any = {json.dumps(terms)}\n\n'
        for tid, terms in TOPICS
    )
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[collect]\nfetch_attempts = 1\n\n{sources}{topics}',
        encoding="utf-8",
    )
    return str(config)


def run_plain(config: str) -> dict[str, Any]:
    """The flow's steps, the same task bodies, called as plain functions (no Prefect): the same
    window of fetches, each source stored as soon as its fetch is done."""
    settings = prepare(config).settings
    due = plan_sources.fn(AT, config, None, True, False)
    new = 0
    size, window = settings.collect.batch_size, settings.collect.concurrency
    with ThreadPoolExecutor(window) as pool:
        waiting, in_flight = deque(due), set[Future[Any]]()
        while waiting or in_flight:
            while waiting and len(in_flight) < window:
                in_flight.add(pool.submit(fetch_source.fn, waiting.popleft(), config))
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = future.result()
                totals: dict[str, Any] = {"new_items": 0}
                for batch in outcome.items.batches(size):
                    stored = store_batch.fn(outcome.source_id, batch, AT, config)
                    totals["new_items"] += stored["new_items"]
                new += totals["new_items"]
                finish_source.fn(outcome, totals, AT, config)
    snapshot_cases.fn(AT, config, False)
    return {"new_items": new}


def run_prefect(config: str) -> dict[str, Any]:
    result = collect(config=config, at=AT, force=True)
    return {"new_items": sum(s["new_items"] for s in result["sources"]), "failed": result["failed"]}


def timed(label: str, fn: Any, config: str, total: int) -> float:
    started = time.perf_counter()
    result = fn(config)
    elapsed = time.perf_counter() - started
    rate = total / elapsed
    print(f"{label}: {result['new_items']} new items in {elapsed:.2f} s = {rate:,.0f} items/s")
    if result["new_items"] != total:
        print(f"  warning: expected {total} new items: {result}")
    return rate


def warm_up_prefect() -> None:
    from prefect import flow

    @flow
    def warm() -> int:
        return 1

    warm()  # the first flow run's set-up stays outside the timed runs


def spread(rates: list[float]) -> str:
    return (
        f"min {min(rates):,.0f} / median {statistics.median(rates):,.0f} / "
        f"max {max(rates):,.0f} items/s"
    )


def parser_race(bodies: list[bytes], url: str) -> tuple[float, float]:
    """Items/s of the feed parser (fast path) and of feedparser.parse on the same documents,
    best of three each (alternating), one document at a time."""
    count = 0
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(3):
        started = time.perf_counter()
        count = sum(len(parse_feed(body, base_url=url).items) for body in bodies)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        for body in bodies:
            feedparser.parse(body)
        theirs.append(time.perf_counter() - started)
    return count / min(ours), count / min(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description="collection throughput, plain and Prefect")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    per_feed = args.items // FEEDS
    total = per_feed * FEEDS
    rng = random.Random(7)
    plain: list[float] = []
    flowed: list[float] = []
    with (
        prefect_api(None, say=print),
        FeedServer() as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        bodies = [feed(n, per_feed, rng) for n in range(FEEDS)]
        urls = [server.serve(f"/f{n}.xml", body) for n, body in enumerate(bodies)]
        print(f"serving {FEEDS} feeds × {per_feed} items from {server.url('/')}")
        warm_up_prefect()
        for round_ in range(args.rounds):
            for kind, fn, rates in (("plain", run_plain, plain), ("prefect", run_prefect, flowed)):
                directory = Path(tmp) / f"{kind}-{round_}"
                directory.mkdir()
                config = write_config(directory, urls)
                rates.append(timed(f"round {round_ + 1} {kind:7}", fn, config, total))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ours, theirs = parser_race(bodies, urls[0])
    ratio = statistics.median(flowed) / statistics.median(plain)
    print(f"plain functions: {spread(plain)}")
    print(f"prefect flow:    {spread(flowed)}")
    print(f"ratio (median prefect / median plain): {ratio:.3f}; peak RSS {peak:.0f} MB")
    print(
        f"feed parser alone: {ours:,.0f} items/s; feedparser.parse on the same bytes: "
        f"{theirs:,.0f} items/s ({ours / theirs:.1f}× faster)"
    )
    print(
        json.dumps(
            {
                "items_per_s": round(statistics.median(flowed)),
                "items_per_s_min": round(min(flowed)),
                "items_per_s_max": round(max(flowed)),
                "plain_items_per_s": round(statistics.median(plain)),
                "plain_items_per_s_min": round(min(plain)),
                "plain_items_per_s_max": round(max(plain)),
                "ratio": round(ratio, 3),
                "peak_rss_mb": round(peak),
                "parser_items_per_s": round(ours),
                "feedparser_items_per_s": round(theirs),
                "parser_speedup": round(ours / theirs, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
