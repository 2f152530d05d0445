"""A stand-in for Feishu's (and Lark's) custom bot webhook (飞书/Lark 自定义机器人, `POST
/open-apis/bot/v2/hook/TOKEN`), answering as the platform does — HTTP 200 with `code` and
`msg`: an unknown token 19001; a bot with 签名校验 and a missing, stale (over an hour) or wrong
`timestamp`/`sign` in the body 19021; a bot with keywords and none in the message 19024; a body
over 20 KB or a message type it does not take 9499 (Bad Request); more than 100 messages a
minute or 5 a second 11232 (frequency limited). The signature is checked by its own
computation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from yuqing.standins.server import Got, Request, StandIn

PER_MINUTE, PER_SECOND, MAX_BYTES = 100, 5, 20 * 1024
_AT = re.compile(r"<at (?:id|user_id)=\"?([^\s\">]+)\"?")


@dataclass(frozen=True)
class Bot:
    token: str
    secret: str | None = None
    keywords: tuple[str, ...] = ()


class FeishuStandIn(StandIn):
    name = "飞书"
    scheme_name = "feishu"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bots: dict[str, Bot] = {}

    def add_bot(
        self, token: str, *, secret: str | None = None, keywords: tuple[str, ...] = ()
    ) -> str:
        self.bots[token] = Bot(token, secret, keywords)
        return self.url(token, secret=secret)

    def url(self, token: str, *, secret: str | None = None, **options: str) -> str:
        extra = "".join(f"&{k}={v}" for k, v in options.items())
        who = f"{secret}@" if secret else ""
        return f"{self.scheme_name}://{who}{token}/?api={self.api}&verify=no{extra}"

    def handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        prefix = "/open-apis/bot/v2/hook/"
        if not request.path.startswith(prefix):
            return 404, {"code": 404, "msg": "not found"}
        token = request.path[len(prefix) :].strip("/")
        bot = self.bots.get(token)
        if bot is None:
            return self._no(token, 19001, "param invalid: incoming webhook access token invalid")
        payload = request.json()
        if not isinstance(payload, dict) or len(request.body) > MAX_BYTES:
            return self._no(token, 9499, "Bad Request")
        if bot.secret and not self._signed(bot.secret, payload):
            return self._no(token, 19021, "sign match fail or timestamp is not within one hour")
        kind = payload.get("msg_type")
        if kind not in ("text", "post", "image", "share_chat", "interactive"):
            return self._no(token, 9499, "Bad Request")
        text = _text_of(payload)
        if bot.keywords and not any(word in text for word in bot.keywords):
            return self._no(token, 19024, "Key Words Not Found")
        if self.count(token, 60) >= PER_MINUTE or self.count(token, 1) >= PER_SECOND:
            return self._no(token, 11232, "frequency limited")
        buttons = tuple(
            (b.get("text", {}).get("content", ""), b.get("url", ""))
            for element in (payload.get("card") or {}).get("elements", ())
            if element.get("tag") == "action"
            for b in element.get("actions", ())
        )
        got = Got(token, self.clock(), payload, text, tuple(_AT.findall(text)), buttons)
        self.took(token, got)
        return 200, {"code": 0, "msg": "success", "data": {}}

    def _signed(self, secret: str, payload: dict[str, Any]) -> bool:
        stamp, sign = str(payload.get("timestamp", "")), str(payload.get("sign", ""))
        if not stamp.isdigit() or abs(self.wall() - int(stamp)) > 3600:
            return False
        expected = hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
        return hmac.compare_digest(sign, base64.b64encode(expected).decode())

    def _no(self, token: str, code: int, message: str) -> tuple[int, dict[str, Any]]:
        self.refuse(token, str(code))
        return 200, {"code": code, "msg": message, "data": {}}


class LarkStandIn(FeishuStandIn):
    name = "Lark"
    scheme_name = "lark"


def _text_of(payload: dict[str, Any]) -> str:
    """What people read: a text message's text, a card's header and its lark_md texts."""
    if payload.get("msg_type") == "text":
        return str((payload.get("content") or {}).get("text", ""))
    card = payload.get("card") or {}
    parts = [str(((card.get("header") or {}).get("title") or {}).get("content", ""))]
    for element in card.get("elements", ()):
        text = element.get("text") if isinstance(element, dict) else None
        if isinstance(text, dict):
            parts.append(str(text.get("content", "")))
    return "\n".join(parts) if parts else json.dumps(payload, ensure_ascii=False)
