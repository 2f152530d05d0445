"""Small real HTTP servers on 127.0.0.1 for the demo and the tests: a feed server that serves
fixed documents, and a webhook receiver that keeps every request it gets (what an Apprise
`json://` or `form://` channel delivers) and can misbehave the ways real channels do: answer
with an error status, refuse connections, answer too late, reset the connection after reading
the request, or flap between failing and working. Standard library only; each runs in a
thread."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs

from notifications.render import NOTIFICATION_ID_RE


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)  # arrival, seconds since the epoch

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


class _Listener(ThreadingHTTPServer):
    # A storm opens hundreds of connections at once (Apprise opens one per message); the
    # standard backlog of 5 would refuse or time out most of them, as no real receiver does.
    request_queue_size = 1024


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = _Listener(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Route:
    """What the feed server answers on a path: a document, or a failure, a delay, a redirect."""

    body: bytes = b""
    content_type: str = "application/rss+xml"
    status: int = 200
    delay: float = 0.0  # seconds before answering: a slow server
    etag: str | None = None  # answer 304 when the client sends it back
    location: str | None = None  # a redirect target
    encoding: str | None = None  # a Content-Encoding the body is already in
    drip: float = 0.0  # seconds between bytes: a server that never quite stops


class _FeedHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        owner: FeedServer = self.server.owner  # type: ignore[attr-defined]
        owner.requests.append(self.path)
        route = owner.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send_error(404)
            return
        if route.delay:
            time.sleep(route.delay)
        if route.etag is not None and self.headers.get("If-None-Match") == route.etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(route.status)
        if route.location is not None:
            self.send_header("Location", route.location)
        if route.etag is not None:
            self.send_header("ETag", route.etag)
        if route.encoding is not None:
            self.send_header("Content-Encoding", route.encoding)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        # The client may give up first (size cap, timeout): that is the test, not an error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if not route.drip:
                self.wfile.write(route.body)
                return
            for sent in range(len(route.body)):
                self.wfile.write(route.body[sent : sent + 1])
                self.wfile.flush()
                owner.dripped[self.path] = sent + 1
                time.sleep(route.drip)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FeedServer(_Server):
    """Serves `routes[path]`; the tests may replace them between runs."""

    def __init__(self) -> None:
        super().__init__(_FeedHandler)
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.dripped: dict[str, int] = {}  # path → bytes a dripping route got out

    def serve(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/rss+xml",
        *,
        status: int = 200,
        delay: float = 0.0,
        etag: str | None = None,
        encoding: str | None = None,
        drip: float = 0.0,
    ) -> str:
        self.routes[path] = Route(
            body, content_type, status=status, delay=delay, etag=etag, encoding=encoding, drip=drip
        )
        return self.url(path)

    def redirect(self, path: str, to: str) -> str:
        """A 302 from `path` to `to` (point two paths at each other for a redirect loop)."""
        self.routes[path] = Route(status=302, location=to, content_type="text/plain")
        return self.url(path)


def _message_text(request: Received) -> str:
    """The alert text of an Apprise `json://` or `form://` delivery ("" for anything else)."""
    try:
        data = request.json() if request.body.startswith(b"{") else request.form()
    except ValueError:
        return ""
    message = data.get("message", "") if isinstance(data, dict) else ""
    return message if isinstance(message, str) else ""


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        owner: WebhookReceiver = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with owner.lock:
            status = owner.script.pop(0) if owner.script else owner.status
            if status == 200:
                owner.accept(Received(self.path, dict(self.headers.items()), body))
            else:
                owner.rejected += 1
            delay, reset = owner.delay, owner.reset
        if reset:  # read it, keep it, then drop the connection without a word (RST)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            self.connection.close()
            self.close_connection = True
            return
        if delay:
            time.sleep(delay)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"no")

    def log_message(self, format: str, *args: Any) -> None:
        pass


_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a reset


class WebhookReceiver(_Server):
    """Accepts POSTs and keeps them in `received`, in arrival order. Like a careful real
    receiver it drops a repeat by notification id: `delivered` holds each (path, id) the first
    time it arrives, `repeats` every later copy (answered 200 all the same). It can answer
    after a `delay`, as a real endpoint across a network does. For outage tests it
    can answer with an error status (`fail_with(500)`), stop listening so connections are
    refused (`refuse()`), and come back on the same port (`recover()`); for the other faults of
    real channels it can answer `delay` seconds late (`slow(10)`: the message has arrived, the
    answer has not), reset the connection after reading each request (`reset_after_read()`),
    and answer a `script` of statuses, one per request, before its usual one (`flap([500, 200,
    500])`)."""

    def __init__(self) -> None:
        super().__init__(_ReceiverHandler)
        self.received: list[Received] = []
        self.delivered: list[tuple[str, str]] = []
        self.repeats: list[tuple[str, str]] = []
        self._seen: set[tuple[str, str]] = set()
        self.rejected = 0
        self.status = 200
        self.delay = 0.0  # seconds between taking a message and answering (`slow`)
        self.reset = False
        self.script: list[int] = []
        self.lock = threading.Lock()
        self._port = self.port

    def accept(self, request: Received) -> None:
        """Keep a request and sort its alerts into first arrivals and repeats (caller holds
        the lock)."""
        self.received.append(request)
        for notification_id in NOTIFICATION_ID_RE.findall(_message_text(request)):
            key = (request.path, notification_id)
            if key in self._seen:
                self.repeats.append(key)
            else:
                self._seen.add(key)
                self.delivered.append(key)

    def fail_with(self, status: int) -> None:
        with self.lock:
            self.status = status

    def slow(self, delay: float) -> None:
        with self.lock:
            self.delay = delay

    def reset_after_read(self, on: bool = True) -> None:
        with self.lock:
            self.reset = on

    def flap(self, statuses: list[int]) -> None:
        with self.lock:
            self.script = list(statuses)

    def copies(self, path: str, notification_id: str) -> int:
        """How many times the alert `notification_id` arrived on `path`."""
        key = (path, notification_id)
        with self.lock:
            return int(key in self._seen) + self.repeats.count(key)

    def refuse(self) -> None:
        """Close the listening socket: connections are refused until `recover()`."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def recover(self) -> None:
        """Behave again (200 at once), listening on the same port if `refuse()` closed it."""
        with self.lock:
            self.status, self.delay, self.reset, self.script = 200, 0.0, False, []
        if self.httpd.socket.fileno() == -1:
            self.httpd = _Listener(("127.0.0.1", self._port), _ReceiverHandler)
            self.httpd.daemon_threads = True
            self.httpd.owner = self  # type: ignore[attr-defined]
            self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
            self.thread.start()

    def __exit__(self, *exc: object) -> None:
        if self.httpd.socket.fileno() != -1:
            super().__exit__(*exc)

    def form_url(self, path: str) -> str:
        return f"form://127.0.0.1:{self._port}{path}"

    def apprise_url(self, path: str) -> str:
        return f"json://127.0.0.1:{self._port}{path}"
