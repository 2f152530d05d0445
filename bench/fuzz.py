"""The suite's property tests, run longer: the same strategies and checks as
`tests/unit/test_fuzz_feeds.py` and `tests/e2e/test_fuzz_surfaces.py` (`tests/support/properties`),
with many more examples and a fresh random seed each run. Per surface it prints the inputs tried
and the failures found (each with its shrunk input); for the feed differential, the agreement
rate of every field and how many documents the fast path read rather than handed to feedparser.

    uv run python bench/fuzz.py                # 2,000 examples a surface (intake, config: 500)
    uv run python bench/fuzz.py --examples 10000 --seed 7
    uv run python bench/fuzz.py --postgres         # the intake endpoint on PostgreSQL as well
    uv run python bench/fuzz.py --only feed_differential intake_sqlite

The last line is one JSON object: inputs and failures per surface, agreement per field."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DO_NOT_TRACK", "1")

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.support.configs import write_office_config
from tests.support.feedgen import feeds, mangled
from tests.support.postgres import running_postgres
from tests.support.properties import (
    FIELDS,
    INTAKE_SOURCES,
    TOKEN,
    check_canonical,
    check_config,
    check_fast_path_agrees,
    check_intake,
    check_parse_survives,
    check_reads_what_was_written,
    config_texts,
    intake_requests,
    urls,
)
from yuqing.localservers import WebhookReceiver
from yuqing.web.app import create_app


def run_surface(
    name: str, strategy: st.SearchStrategy[Any], check: Callable[[Any], object], examples: int
) -> dict[str, Any]:
    """Feed `examples` inputs to `check` (seeded by `--seed`); count them and the distinct
    failures hypothesis finds."""
    tried = Counter[str]()

    def body(value: Any) -> None:
        tried["inputs"] += 1
        check(value)

    test = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        report_multiple_bugs=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )(seed(SEED[0])(given(strategy)(body)))
    started = time.perf_counter()
    failures: list[str] = []
    try:
        test()
    except BaseExceptionGroup as group:
        failures = [_describe(exc) for exc in group.exceptions]
    except Exception as exc:  # one failure, shrunk
        failures = [_describe(exc)]
    seconds = time.perf_counter() - started
    print(f"{name}: {tried['inputs']:,} inputs tried, {len(failures)} failures ({seconds:.0f} s)")
    for failure in failures:
        print(f"  FAILURE {failure}")
    return {"inputs": tried["inputs"], "failures": len(failures)}


def _describe(exc: BaseException) -> str:
    notes = " | ".join(getattr(exc, "__notes__", []))
    return f"{type(exc).__name__}: {str(exc)[:400]} {notes[:600]}"


@contextmanager
def intake_app(database_url: str) -> Iterator[tuple[TestClient, str]]:
    with tempfile.TemporaryDirectory(prefix="yuqing-fuzz-") as tmp, WebhookReceiver() as receiver:
        config = str(
            write_office_config(
                Path(tmp),
                database_url=database_url,
                receiver=receiver,
                sources_toml=INTAKE_SOURCES,
                extra_secrets=f'intake_token = "{TOKEN}"',
            )
        )
        with TestClient(create_app(config), raise_server_exceptions=False) as client:
            yield client, config


def agreement(tally: Counter[str]) -> dict[str, float | None]:
    rates = {}
    for name in FIELDS:
        compared = tally[f"{name} compared"]
        rates[name] = round(tally[f"{name} agreed"] / compared, 6) if compared else None
    return rates


def differential(name: str, odd: bool, examples: int) -> dict[str, Any]:
    tally: Counter[str] = Counter()
    strategy = feeds(formats=("rss20",), oddities=odd)
    result = run_surface(name, strategy, lambda spec: check_fast_path_agrees(spec, tally), examples)
    rates = agreement(tally)
    read = tally["read by the fast path"]
    print(
        f"  fast path read {read:,} of {tally['documents']:,} documents "
        f"({read / max(1, tally['documents']):.1%}); items compared {tally['title compared']:,}; "
        + ", ".join(f"{field} {rate:.4%}" for field, rate in rates.items() if rate is not None)
    )
    return {
        **result,
        "fast_path_share": round(read / max(1, tally["documents"]), 4),
        **{f"{field}_agreement": rate for field, rate in rates.items()},
    }


def intake_surface(name: str, database_url: str, examples: int) -> dict[str, Any]:
    with intake_app(database_url) as (client, config):
        return run_surface(
            name, intake_requests(), lambda request: check_intake(client, config, request), examples
        )


def surfaces(examples: int, slow: int, tmp: Path, postgres: bool) -> dict[str, Callable[[], Any]]:
    """Each surface by name, as a thunk that runs it and returns its figures."""
    table: dict[str, Callable[[], Any]] = {
        "feed_differential": lambda: differential(
            "feed differential, odd RSS 2.0 (fast path vs feedparser)", True, examples
        ),
        "feed_differential_ordinary": lambda: differential(
            "feed differential, ordinary RSS 2.0", False, examples
        ),
        "feed_read_back": lambda: run_surface(
            "feed read-back, RSS 0.90-2.0 and Atom 0.3/1.0 in UTF-8/GBK/Big5/UTF-16/32",
            feeds(),
            check_reads_what_was_written,
            examples,
        ),
        "feed_mangled": lambda: run_surface(
            "feed parser, mangled bytes", mangled(), check_parse_survives, examples
        ),
        "canonical_urls": lambda: run_surface(
            "canonical URLs", st.tuples(urls, urls), lambda p: check_canonical(*p), examples
        ),
        "intake_sqlite": lambda: intake_surface(
            "intake endpoint (sqlite)", f"sqlite:///{tmp / 'fuzz.sqlite3'}", slow
        ),
        "config_check": lambda: run_surface(
            "config check", config_texts(), lambda text: check_config(tmp, text), slow
        ),
    }
    if postgres:
        table["intake_postgresql"] = lambda: _on_postgres(slow)
    return table


def _on_postgres(examples: int) -> dict[str, Any]:
    with running_postgres() as server:
        return intake_surface("intake endpoint (postgresql)", server.url, examples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=random.randrange(2**32))
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--only", nargs="*", default=None, help="surface names to run")
    args = parser.parse_args()
    SEED[0] = args.seed
    slow = max(50, args.examples // 4)
    print(f"seed {args.seed}; {args.examples} examples per surface, {slow} for intake and config")
    with tempfile.TemporaryDirectory() as tmp:
        table = surfaces(args.examples, slow, Path(tmp), args.postgres)
        chosen = args.only or list(table)
        results = {name: table[name]() for name in chosen}
    total = sum(r["failures"] for r in results.values())
    print(f"failures found: {total}")
    print(json.dumps({"seed": args.seed, **results, "failures_total": total}, ensure_ascii=False))


SEED = [0]  # the run's seed, set once from --seed

if __name__ == "__main__":
    main()
