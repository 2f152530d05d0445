"""The web surfaces' property tests, run longer: the same strategies and checks as
`tests/e2e/test_fuzz_web.py` (`tests/support/webfuzz`), with many more examples and a fresh
random seed each run, against the real app in process on a real database: the sign-in form, the
register form, every action's form, the library search, case pages by number, and the signed
links opened (GET) and submitted (POST) with forged, tampered, expired, replayed and genuine
tokens and random form bodies. Per surface it prints the inputs tried, the failures found (each
with its shrunk input) and what the app answered, by status.

    uv run python bench/fuzz_web.py                    # 1,000 examples a surface, SQLite
    uv run python bench/fuzz_web.py --examples 5000 --seed 7
    uv run python bench/fuzz_web.py --postgres         # PostgreSQL as well

The last line is one JSON object: inputs and failures per surface and backend."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DO_NOT_TRACK", "1")

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.support.postgres import PostgresAdmin, running_postgres, unique_database_name
from tests.support.webfuzz import SURFACES, World, world
from yuqing.localservers import WebhookReceiver


def run_surface(
    name: str, check: Callable[[World, st.DataObject], None], w: World, examples: int, run_seed: int
) -> dict[str, Any]:
    """Feed `examples` drawn requests to one surface; count them and the failures found."""
    tried = [0]

    def body(data: st.DataObject) -> None:
        tried[0] += 1
        check(w, data)

    test = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        report_multiple_bugs=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )(seed(run_seed)(given(st.data())(body)))
    started = time.perf_counter()
    failures: list[str] = []
    try:
        test()
    except BaseExceptionGroup as group:
        failures = [_describe(exc) for exc in group.exceptions]
    except Exception as exc:  # one failure, shrunk
        failures = [_describe(exc)]
    seconds = time.perf_counter() - started
    answered = ", ".join(f"{code}×{n}" for code, n in sorted(w.statuses.items()))
    print(
        f"{name}: {tried[0]:,} inputs tried, {len(failures)} failures "
        f"({seconds:.0f} s; answers {answered})"
    )
    for failure in failures:
        print(f"  FAILURE {failure}")
    return {"inputs": tried[0], "failures": len(failures), "seconds": round(seconds, 1)}


def _describe(exc: BaseException) -> str:
    notes = " | ".join(getattr(exc, "__notes__", []))
    return f"{type(exc).__name__}: {str(exc)[:400]} {notes[:800]}"


@contextmanager
def databases(postgres: bool) -> Iterator[Callable[[str], str]]:
    """A function giving a new, empty database URL on a backend, for each surface's office."""
    with tempfile.TemporaryDirectory(prefix="yuqing-fuzz-web-") as tmp:
        if not postgres:
            yield lambda name: f"sqlite:///{Path(tmp) / name}.sqlite3"
            return
        with running_postgres() as server:
            admin = PostgresAdmin(server.url)
            try:
                yield (
                    lambda name: (
                        f"sqlite:///{Path(tmp) / name}.sqlite3"
                        if name.startswith("sqlite")
                        else admin.create_database(unique_database_name("yuqing_fuzz"))
                    )
                )
            finally:
                admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=random.randrange(2**32))
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL as well as SQLite")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.postgres else ["sqlite"]
    print(f"seed {args.seed}; {args.examples} examples per surface on {', '.join(backends)}")
    results: dict[str, Any] = {}
    with databases(args.postgres) as new_database, WebhookReceiver() as receiver:
        for backend in backends:
            for name, check in SURFACES.items():
                slug = f"{backend}_{name.replace(' ', '_')}"
                with tempfile.TemporaryDirectory() as office_dir:
                    url = new_database(slug)
                    with world(Path(office_dir), url, receiver) as w:
                        results[slug] = run_surface(
                            f"{name} ({backend})", check, w, args.examples, args.seed
                        )
    total = sum(r["failures"] for r in results.values())
    tried = sum(r["inputs"] for r in results.values())
    print(f"inputs tried: {tried:,}; failures found: {total}")
    print(
        json.dumps(
            {"seed": args.seed, **results, "inputs_total": tried, "failures_total": total},
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
