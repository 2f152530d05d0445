"""Signed download links of stored reports, as pure functions: a link names one report and one
recipient, carries its expiry, and is signed with HMAC-SHA256 under a key derived from the
`link_key` secret for this purpose only (an action link is never a download link, nor the
reverse). Unlike an action link it may be opened many times until it expires: downloading
changes nothing. Standard library only."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from notifications.links import derive_key

SIGNATURE_BYTES = 16


class DownloadRefused(Exception):
    """A download link that does not open its report; the message is for the person."""


@dataclass(frozen=True)
class DownloadSigner:
    key: bytes
    base_url: str
    ttl: timedelta

    @classmethod
    def from_secret(cls, secret: str, *, base_url: str, ttl: timedelta) -> DownloadSigner:
        return cls(derive_key(secret, "report-download"), base_url.rstrip("/"), ttl)

    def url(self, *, report_id: int, recipient: str, now: datetime) -> str:
        expires = int((now + self.ttl).timestamp())
        query = {"r": recipient, "e": expires, "s": _tag(self.key, report_id, recipient, expires)}
        return f"{self.base_url}/reports/{report_id}/download?{urlencode(query)}"

    def check(
        self, *, report_id: int, recipient: str, expires: str, tag: str, now: datetime
    ) -> None:
        """Nothing when the link is genuine and unexpired; DownloadRefused saying why."""
        if not expires.isdigit() or not recipient:
            raise DownloadRefused("下载链接不完整，请从原通知中完整复制")
        expected = _tag(self.key, report_id, recipient, int(expires))
        if not hmac.compare_digest(tag.encode(), expected.encode()):
            raise DownloadRefused("下载链接签名不符：链接是伪造的，或其中内容被改动过")
        if now >= datetime.fromtimestamp(int(expires), UTC):
            raise DownloadRefused("下载链接已过期，请登录控制台下载，或联系办公室")


def _tag(key: bytes, report_id: int, recipient: str, expires: int) -> str:
    body = f"v1|report|{report_id}|{recipient}|{expires}"
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).rstrip(b"=").decode()
