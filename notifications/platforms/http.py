"""The HTTP under yuqing's platform plugins: pooled keep-alive httpx clients (one per
certificate-checking mode, shared by every channel and thread of the process, so a storm to one
bot reuses its TLS connections instead of opening one per message), each request with the
channel's own connect and read timeouts (Apprise's `cto` and `rto`), and what became of it as a
platform `Answer`: the HTTP status, headers and body when the platform answered, or refused
(it never reached the platform: connection refused, DNS, connect timeout, TLS) and unknown (it
went out and no answer came: read timeout, connection dropped) with a reason in Chinese."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import httpx

from models.policy.platforms import Answer, Platform
from models.policy.sending import Outcome

_clients: dict[bool, httpx.Client] = {}
_lock = threading.Lock()
LIMITS = httpx.Limits(max_connections=128, max_keepalive_connections=64, keepalive_expiry=60)


def client(*, verify: bool) -> httpx.Client:
    """The process's pooled client for this certificate mode."""
    with _lock:
        found = _clients.get(verify)
        if found is None:
            found = _clients[verify] = httpx.Client(
                verify=verify, limits=LIMITS, follow_redirects=False, http2=False
            )
        return found


@dataclass(frozen=True)
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def retry_after(self) -> float | None:
        value = self.headers.get("retry-after", "")
        try:
            seconds = float(value)
        except ValueError:
            return None
        return seconds if 0 <= seconds < 86_400 else None


def post(
    url: str,
    *,
    platform: Platform,
    verify: bool,
    connect: float,
    read: float,
    json: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply | Answer:
    """POST once; the reply, or the Answer saying why there was none."""
    timeout = httpx.Timeout(connect=connect, read=read, write=read, pool=connect)
    try:
        response = client(verify=verify).post(
            url, json=json, content=content, headers=headers, timeout=timeout
        )
    except httpx.HTTPError as error:
        outcome, reason = transport_failure(error)
        return Answer(platform, transport=outcome, transport_reason=reason)
    return Reply(response.status_code, response.headers, response.content)


def transport_failure(error: httpx.HTTPError) -> tuple[Outcome, str]:
    """The class of a request that got no answer, and why, in Chinese."""
    text = f"{type(error).__name__}: {error}"
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return Outcome.REFUSED, "TLS 证书无效"
    if isinstance(error, httpx.ConnectTimeout):
        return Outcome.REFUSED, "连接超时"
    if isinstance(error, httpx.PoolTimeout):
        return Outcome.REFUSED, "连接池已满"
    if isinstance(error, httpx.ConnectError):
        if "SSL" in text or "TLS" in text:
            return Outcome.REFUSED, "TLS 握手失败"
        if "Name or service not known" in text or "resolution" in text.lower():
            return Outcome.REFUSED, "域名解析失败"
        if "unreachable" in text.lower():
            return Outcome.REFUSED, "网络不可达"
        return Outcome.REFUSED, "连接被拒绝"
    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return Outcome.INVALID, "地址无效"
    if isinstance(error, httpx.ReadTimeout | httpx.WriteTimeout):
        return Outcome.UNKNOWN, "读取超时"
    if isinstance(error, httpx.RemoteProtocolError):
        return Outcome.UNKNOWN, "连接中断"
    if isinstance(error, httpx.ReadError):
        return Outcome.UNKNOWN, "连接被重置"
    return Outcome.UNKNOWN, "原因不明"
