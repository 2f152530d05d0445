"""What Apprise's own plugins say on the wire, read from the log lines Apprise captures per call
("error=500", "Socket Exception: ... Read timed out"): the class of an attempt by an Apprise
plugin that is not one of yuqing's (those give the platform's answer). Only a short reason in
Chinese is kept of a line, never its text (it can carry a URL's secrets)."""

from __future__ import annotations

import re

from models.policy.sending import Outcome, classify_status

SOCKET = "Socket Exception"
_STATUS = re.compile(r"error=(\d{3})\b")
# Exception texts (requests, urllib3, smtplib) of a request that never left this machine.
_NEVER_SENT = (
    ("Failed to establish a new connection", "连接被拒绝"),
    ("Connection refused", "连接被拒绝"),
    ("NameResolutionError", "域名解析失败"),
    ("Failed to resolve", "域名解析失败"),
    ("Name or service not known", "域名解析失败"),
    ("ConnectTimeout", "连接超时"),
    ("connect timeout", "连接超时"),
    ("No route to host", "网络不可达"),
    ("Network is unreachable", "网络不可达"),
    ("SSLError", "TLS 握手失败"),
    ("CERTIFICATE_VERIFY_FAILED", "TLS 证书无效"),
)
# ... and of one that went out with no answer back: it may have arrived.
_MAYBE_SENT = (
    ("Read timed out", "读取超时"),
    ("timed out", "超时"),
    ("Connection aborted", "连接中断"),
    ("RemoteDisconnected", "连接中断"),
    ("Connection reset", "连接被重置"),
    ("Broken pipe", "连接中断"),
    ("IncompleteRead", "应答不完整"),
)


def classify(ok: bool, lines: list[str]) -> tuple[Outcome, int | None, str]:
    """(class, HTTP status, reason) of one attempt from Apprise's result and captured lines."""
    if ok:
        return Outcome.DELIVERED, None, ""
    for line in lines:
        found = _STATUS.search(line)
        if found:
            status = int(found.group(1))
            return classify_status(status), status, f"HTTP {status}"
    for line in (line for line in lines if line.startswith(SOCKET)):
        for patterns, outcome in ((_NEVER_SENT, Outcome.REFUSED), (_MAYBE_SENT, Outcome.UNKNOWN)):
            for pattern, reason in patterns:
                if pattern in line:
                    return outcome, None, reason
    return Outcome.UNKNOWN, None, "原因不明"  # no repeat where it may have arrived
