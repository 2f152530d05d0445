"""Small real HTTP servers on 127.0.0.1 for the demo and the tests: a feed server that serves
fixed documents, and a webhook receiver that keeps every request it gets (what an Apprise
`json://` or `form://` channel delivers). Standard library only; each runs in a thread."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
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


class _FeedHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        owner: FeedServer = self.server.owner  # type: ignore[attr-defined]
        owner.requests.append(self.path)
        document = owner.documents.get(self.path.split("?", 1)[0])
        if document is None:
            self.send_error(404)
            return
        body, content_type = document
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FeedServer(_Server):
    """Serves `documents[path] = (body, content_type)`; the tests may replace them between runs."""

    def __init__(self) -> None:
        super().__init__(_FeedHandler)
        self.documents: dict[str, tuple[bytes, str]] = {}
        self.requests: list[str] = []

    def serve(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> str:
        self.documents[path] = (body, content_type)
        return self.url(path)


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        owner: WebhookReceiver = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with owner.lock:
            owner.received.append(Received(self.path, dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WebhookReceiver(_Server):
    """Accepts POSTs and keeps them in `received`, in arrival order."""

    def __init__(self) -> None:
        super().__init__(_ReceiverHandler)
        self.received: list[Received] = []
        self.lock = threading.Lock()

    def apprise_url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}{path}"
