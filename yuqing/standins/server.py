"""The machinery every platform stand-in shares: a real HTTP/1.1 server on 127.0.0.1 (keep-alive,
as the platforms' own; TLS with a given certificate, to be reached with `verify=no` as a
platform at its own host name would be), a clock that tests can move (the platforms' limits are
counted on it: nothing sleeps), sliding-window counters per key, a script of answers to give
next (a platform that is busy, or has revoked a key), a delay before answering (a slow
platform), and the record of what arrived and what was refused with which code. Standard
library only; each server runs in a thread."""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from notifications.render import NOTIFICATION_ID_RE

MAX_BODY = 1_000_000
Clock = Callable[[], float]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class Got:
    """A message the stand-in took: to which key, when (its clock), the request body as JSON,
    the text people would read, the people @mentioned and the buttons or links it carried."""

    key: str
    at: float
    payload: Any
    text: str
    mentions: tuple[str, ...] = ()
    buttons: tuple[tuple[str, str], ...] = ()

    @property
    def notification_ids(self) -> list[str]:
        return NOTIFICATION_ID_RE.findall(self.text)


@dataclass
class Window:
    """Times (on the stand-in's clock) of what a key was sent, to count a sliding window."""

    times: list[float] = field(default_factory=list)

    def count(self, now: float, seconds: float) -> int:
        return sum(1 for t in self.times if t > now - seconds)


class _Listener(ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the platforms' own servers

    def setup(self) -> None:
        super().setup()
        owner: StandIn = self.server.owner  # type: ignore[attr-defined]
        with owner.lock:
            owner.connections += 1

    def _serve(self, method: str) -> None:
        owner: StandIn = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(min(length, MAX_BODY))
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        request = Request(method, parts.path, query, dict(self.headers.items()), body)
        with owner.lock:
            owner.requests += 1
            status, answer = owner.answer(request)
            delay = owner.delay
        if delay:  # a slow platform: it has taken the message, the answer is late
            time.sleep(delay)
        data = json.dumps(answer, ensure_ascii=False).encode()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class StandIn:
    """A platform's stand-in: subclasses answer requests (`handle`, called under the lock)."""

    name = "stand-in"

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        wall: Clock = time.time,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.clock, self.wall = clock, wall
        self.lock = threading.Lock()
        self.received: list[Got] = []
        self.refused: list[tuple[str, str]] = []  # (key, code) of every refusal
        self.script: list[tuple[int, dict[str, Any]]] = []  # answers to give next, in order
        self.requests = 0
        self.connections = 0  # TCP (TLS) connections accepted: keep-alive reuses one
        self.delay = 0.0  # seconds between taking a request and answering it
        self.windows: dict[str, Window] = {}
        self.httpd = _Listener(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.httpd.socket = context.wrap_socket(
                self.httpd.socket, server_side=True, do_handshake_on_connect=False
            )
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def api(self) -> str:
        """What a channel URL's `api=` option points at to use this stand-in."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        if self.script:
            return self.script.pop(0)
        return self.handle(request)

    def handle(self, request: Request) -> tuple[int, dict[str, Any]]:  # pragma: no cover
        raise NotImplementedError

    def answer_next(self, *answers: dict[str, Any], status: int = 200) -> None:
        """Answer the next requests with these bodies, whatever they are (a busy platform, a
        revoked key), then go back to checking them."""
        with self.lock:
            self.script += [(status, body) for body in answers]

    def count(self, key: str, seconds: float) -> int:
        return self.windows.setdefault(key, Window()).count(self.clock(), seconds)

    def took(self, key: str, got: Got) -> None:
        self.windows.setdefault(key, Window()).times.append(got.at)
        self.received.append(got)

    def refuse(self, key: str, code: str) -> None:
        self.refused.append((key, code))

    def to(self, key: str) -> list[Got]:
        with self.lock:
            return [g for g in self.received if g.key == key]

    def most_in(self, key: str, seconds: float) -> int:
        """The most messages `key` took within any `seconds` (to check a limit was kept)."""
        times = sorted(g.at for g in self.to(key))
        return max(
            (sum(1 for t in times[n:] if t < start + seconds) for n, start in enumerate(times)),
            default=0,
        )
