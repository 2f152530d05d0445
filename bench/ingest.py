"""Collection throughput: 100,000 generated items served by a local feed server (20 RSS feeds
of 5,000) go through fetch → parse → normalise → match → dedup → cluster → persist on SQLite,
once as the real `collect` flow under Prefect and once as the same task bodies called as plain
functions (`.fn`), each on a fresh database. About 2% of items concern a topic, in clusters of
near-duplicate reposts; the rest are unrelated local news.

    uv run python bench/ingest.py             # 100,000 items
    uv run python bench/ingest.py --items 20000

The final line is one JSON object: items_per_s (Prefect), plain_items_per_s, ratio,
peak_rss_mb (the whole process, both runs)."""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from deployments.prefect_api import prefect_api
from flows.collect import collect
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
    """The flow's steps, the same task bodies, called as plain functions (no Prefect)."""
    settings = prepare(config).settings
    due = plan_sources.fn(AT, config, None, True, False)
    new = 0
    size, window = settings.collect.batch_size, settings.collect.concurrency
    with ThreadPoolExecutor(window) as pool:
        waiting, in_flight = deque(due), deque[Future[Any]]()
        while waiting or in_flight:
            while waiting and len(in_flight) < window:
                in_flight.append(pool.submit(fetch_source.fn, waiting.popleft(), config))
            outcome = in_flight.popleft().result()
            totals: dict[str, Any] = {"new_items": 0}
            for batch in outcome.items.batches(size):
                totals["new_items"] += store_batch.fn(outcome.source_id, batch, AT, config)[
                    "new_items"
                ]
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


def main() -> None:
    total = int(sys.argv[sys.argv.index("--items") + 1]) if "--items" in sys.argv else 100_000
    per_feed = total // FEEDS
    rng = random.Random(7)
    with (
        prefect_api(None, say=print),
        FeedServer() as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        urls = [server.serve(f"/f{n}.xml", feed(n, per_feed, rng)) for n in range(FEEDS)]
        print(f"serving {FEEDS} feeds × {per_feed} items from {server.url('/')}")
        configs = []
        for name in ("plain", "prefect"):
            (Path(tmp) / name).mkdir()
            configs.append(write_config(Path(tmp) / name, urls))
        warm_up_prefect()
        plain = timed("plain functions", run_plain, configs[0], per_feed * FEEDS)
        flowed = timed("prefect flow   ", run_prefect, configs[1], per_feed * FEEDS)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = flowed / plain
    print(f"ratio (prefect / plain): {ratio:.3f}; peak RSS {peak:.0f} MB")
    print(
        json.dumps(
            {
                "items_per_s": round(flowed),
                "plain_items_per_s": round(plain),
                "ratio": round(ratio, 3),
                "peak_rss_mb": round(peak),
            }
        )
    )


if __name__ == "__main__":
    main()
