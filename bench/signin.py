"""What a sign-in attempt costs the server, so the throttle is seen not to be a CPU lever: the real
app in process (SQLite by default), each attempt a POST of the sign-in form. Three kinds, each
timed per request (wall and this process's CPU):

- a wrong password for a real account (the scrypt check runs: the baseline);
- an unknown account (the scrypt of a dummy hash runs: it should cost the same as the baseline,
  so the time gives no hint whether an account exists);
- a throttled attempt (answered before any scrypt: it should cost a small fraction).

CPU is this process's (the client and the app share it, as the app runs in process), so the
HTTP and database work of every attempt is in all three figures alike.

    uv run python bench/signin.py [--attempts 200] [--postgres]

The last line is one JSON object: medians in ms and the throttled/baseline CPU ratio."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DO_NOT_TRACK", "1")

import warnings

with warnings.catch_warnings():  # Starlette asks for httpx2 under its TestClient; httpx does
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from notifications.links import derive_key
from tests.support.escalation import T0
from tests.support.postgres import running_postgres
from tests.support.web import LINK_KEY, Clock, write_web_config
from yuqing.localservers import WebhookReceiver
from yuqing.web.app import create_app
from yuqing.web.security import csrf_token

SEED = "bench-seed"


@contextmanager
def database(postgres: bool) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-signin-") as tmp:
        if not postgres:
            yield f"sqlite:///{Path(tmp) / 'signin.sqlite3'}"
            return
        with running_postgres() as server:
            yield server.url


def timed(attempt: Callable[[], int], expected: int, n: int) -> tuple[list[float], list[float]]:
    """Wall and CPU ms of `n` attempts, each answered `expected`."""
    walls, cpus = [], []
    for _ in range(n):
        wall, cpu = time.perf_counter(), time.process_time()
        status = attempt()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert status == expected, status
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=200)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with (
        database(args.postgres) as url,
        WebhookReceiver() as receiver,
        tempfile.TemporaryDirectory() as office,
    ):
        config = write_web_config(Path(office), database_url=url, receiver=receiver, port=9)
        clock = Clock(T0)
        with TestClient(create_app(str(config), now=clock.now)) as client:
            client.cookies.set("yq_csrf", SEED)
            token = csrf_token(derive_key(LINK_KEY, "session"), SEED)

            def attempt(username: str, *, fresh: bool) -> Callable[[], int]:
                def post() -> int:
                    if fresh:  # past the failure window: never throttled
                        clock.at += timedelta(days=2)
                    form = {"csrf": token, "username": username, "password": "猜一猜"}
                    answer = client.post("/login", data=form, follow_redirects=False)
                    status: int = answer.status_code
                    return status

                return post

            n = args.attempts
            results = {}
            for name, kind, expected in (
                ("wrong_password", attempt("wang", fresh=True), 401),
                ("unknown_account", attempt("nobody", fresh=True), 401),
            ):
                results[name] = timed(kind, expected, n)
            clock.at += timedelta(days=2)
            for _ in range(3):  # signin_free_failures: then every try is throttled
                attempt("wang", fresh=False)()
            results["throttled"] = timed(attempt("wang", fresh=False), 429, n)
    medians = {
        name: (statistics.median(wall), statistics.median(cpu))
        for name, (wall, cpu) in results.items()
    }
    for name, (wall, cpu) in medians.items():
        print(
            f"{name:16} median {wall:7.2f} ms wall, {cpu:7.2f} ms CPU  ({args.attempts} attempts)"
        )
    base_cpu = medians["wrong_password"][1]
    ratio = medians["throttled"][1] / base_cpu
    unknown = medians["unknown_account"][1] / base_cpu
    print(f"throttled / wrong password (CPU): {ratio:.3f}; unknown / wrong password: {unknown:.3f}")
    figures: dict[str, float | int | str] = {
        "backend": "postgresql" if args.postgres else "sqlite",
        "attempts": args.attempts,
    }
    for name, (wall, cpu) in medians.items():
        figures[f"{name}_wall_ms"] = round(wall, 3)
        figures[f"{name}_cpu_ms"] = round(cpu, 3)
    figures["throttled_to_scrypt_cpu_ratio"] = round(ratio, 4)
    figures["unknown_to_known_cpu_ratio"] = round(unknown, 4)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
