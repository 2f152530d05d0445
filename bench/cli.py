"""How long a command takes from the shell, as an office working from the command line waits:
`python -c pass` (the interpreter alone), `yuqing --help`, the read-only `case list` and `case
show`, and a case verb (`case report`) with a `yuqing serve` running (its steps are serve's),
each run N times in a fresh process; printed as best and median wall time.

    uv run python bench/cli.py [N] [--no-serve]

The office is a temporary SQLite database with one case. With `--no-serve` the verb is timed
without serve too: it starts a temporary Prefect server for its steps (one run; its own line
says how long that server took). Whether Python may cache compiled modules matters as much as
anything measured here: with PYTHONDONTWRITEBYTECODE=1 every start compiles every module it
imports again; the first line says which was the case. The final line is one JSON object."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import median

from deployments.serve_record import read_serve
from tests.e2e.test_serve import ONE_PERSON_CHANNEL, ONE_PERSON_OFFICE
from tests.support.web import free_port

YUQING = str(Path(sys.executable).with_name("yuqing"))


def timed(command: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[-3:])} failed: {done.stderr[-2000:]}")
    return elapsed


def figures(times: list[float]) -> dict[str, float]:
    return {"best_s": round(min(times), 3), "median_s": round(median(times), 3), "n": len(times)}


def show(label: str, found: dict[str, float]) -> None:
    print(f"{label:<28} best {found['best_s']:.2f} s, median {found['median_s']:.2f} s")


def office(directory: Path) -> Path:
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[web]\nport = {free_port()}\n\n'
        f"[serve]\nprefect_port = {free_port()}\n\n{ONE_PERSON_OFFICE}",
        encoding="utf-8",
    )
    (directory / "secrets.toml").write_text(ONE_PERSON_CHANNEL, encoding="utf-8")
    return config


@contextmanager
def serving(config: Path, env: dict[str, str]) -> Iterator[None]:
    serve = subprocess.Popen(
        [YUQING, "--config", str(config), "serve"],
        cwd=config.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while read_serve(config.parent / "data") is None:
            if serve.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("yuqing serve did not start")
            time.sleep(0.2)
        yield
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=60)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 10
    cached = not os.environ.get("PYTHONDONTWRITEBYTECODE")
    print(
        "compiled modules: "
        + (
            "cached as they are first imported"
            if cached
            else "PYTHONDONTWRITEBYTECODE is set: a "
            "module never compiled before is compiled again at every start"
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-cli-") as name:
        directory = Path(name)
        config = office(directory)
        yq = [YUQING, "--config", str(config)]
        for _ in range(n + 2):  # case 1 for the reads, one per timed verb
            title = f"投诉 {uuid.uuid4().hex}"  # unlike any other: never merged into another
            timed([*yq, "case", "register", "--title", title], cwd=directory, env=env)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "yuqing --help": [YUQING, "--help"],
            "case list": [*yq, "case", "list"],
            "case show 1": [*yq, "case", "show", "1"],
        }
        for label, command in commands.items():
            timed(command, cwd=directory, env=env)  # once to warm the caches
            results[label] = figures([timed(command, cwd=directory, env=env) for _ in range(n)])
            show(label, results[label])
        verb = [*yq, "case", "report"]
        with serving(config, env):
            times = [
                timed([*verb, str(c), "--by", "wang"], cwd=directory, env=env)
                for c in range(1, n + 1)
            ]
        results["case report (serve running)"] = figures(times)
        show("case report (serve running)", results["case report (serve running)"])
        if "--no-serve" in sys.argv:
            alone = timed([*verb, str(n + 1), "--by", "wang"], cwd=directory, env=env)
            results["case report (no serve)"] = figures([alone])
            print(f"{'case report (no serve)':<28} {alone:.2f} s (one run)")
    print(json.dumps({"bench": "cli", "bytecode_cached": cached, "commands": results}))


if __name__ == "__main__":
    main()
