"""A stand-in for WeCom's group bot webhook (企业微信群机器人, `POST
/cgi-bin/webhook/send?key=KEY`), answering as the platform does — HTTP 200 with `errcode`:
an unknown key 93000; a message type it does not take 40008; empty content 44004; text over
2,048 bytes or markdown over 4,096 bytes 45002; more than 20 messages a minute to one key 45009
(nothing delivered). What it took is in `received`, with the people @mentioned."""

from __future__ import annotations

import re
from typing import Any

from yuqing.standins.server import Got, Request, StandIn

TEXT_MAX, MARKDOWN_MAX, PER_MINUTE = 2048, 4096, 20
_AT = re.compile(r"<@([^>]+)>")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def _error(code: int, message: str) -> tuple[int, dict[str, Any]]:
    return 200, {"errcode": code, "errmsg": message}


class WeComStandIn(StandIn):
    name = "企业微信"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys: set[str] = set()
        self.per_minute = PER_MINUTE

    def add_bot(self, key: str) -> str:
        """Make `key` a bot of a group; the channel URL that sends to it here."""
        self.keys.add(key)
        return self.url(key)

    def url(self, key: str, **options: str) -> str:
        extra = "".join(f"&{k}={v}" for k, v in options.items())
        return f"wecombot://{key}?api={self.api}&verify=no{extra}"

    def handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.path != "/cgi-bin/webhook/send":
            return 404, {"errcode": 404, "errmsg": "not found"}
        key = request.query.get("key", "")
        if key not in self.keys:
            return self._no(key, 93000, "invalid webhook url")
        payload = request.json()
        kind = payload.get("msgtype") if isinstance(payload, dict) else None
        if kind not in ("text", "markdown", "template_card", "news", "image", "file"):
            return self._no(key, 40008, "invalid message type")
        content = (
            str((payload.get(kind) or {}).get("content", "")) if kind != "template_card" else "card"
        )
        if not content.strip():
            return self._no(key, 44004, "empty content")
        limit = TEXT_MAX if kind == "text" else MARKDOWN_MAX
        if len(content.encode()) > limit:
            return self._no(key, 45002, f"content exceed max length {limit}")
        if self.count(key, 60) >= self.per_minute:
            return self._no(key, 45009, "api freq out of limit")
        section = payload.get(kind) or {}
        mentions = (
            *section.get("mentioned_list", ()),
            *section.get("mentioned_mobile_list", ()),
            *_AT.findall(content),
        )
        buttons = tuple((label, url) for label, url in _LINK.findall(content))
        self.took(key, Got(key, self.clock(), payload, content, tuple(mentions), buttons))
        return _error(0, "ok")

    def _no(self, key: str, code: int, message: str) -> tuple[int, dict[str, Any]]:
        self.refuse(key, str(code))
        return _error(code, message)
