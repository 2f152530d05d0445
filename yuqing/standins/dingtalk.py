"""A stand-in for DingTalk's custom robot (钉钉自定义机器人, `POST
/robot/send?access_token=TOKEN[&timestamp=&sign=]`), answering as the platform does — HTTP 200
with `errcode`: an unknown token 300001; a robot with 加签 and a missing, stale (over an hour)
or wrong signature, or a robot with keywords and none in the message, 310000; a message type it
does not take 400105; a message over 20,000 bytes 460101 (a code yuqing's table does not know:
an unknown code is a refusal too); over 20 messages a minute 130101, after which the robot is
throttled for 10 minutes. The signature is checked here by its own computation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from yuqing.standins.server import Got, Request, StandIn

PER_MINUTE, THROTTLE, MAX_BYTES = 20, 600.0, 20_000


@dataclass(frozen=True)
class Robot:
    token: str
    secret: str | None = None
    keywords: tuple[str, ...] = ()


class DingTalkStandIn(StandIn):
    name = "钉钉"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.robots: dict[str, Robot] = {}
        self.throttled_until: dict[str, float] = {}

    def add_robot(
        self, token: str, *, secret: str | None = None, keywords: tuple[str, ...] = ()
    ) -> str:
        self.robots[token] = Robot(token, secret, keywords)
        return self.url(token, secret=secret)

    def url(self, token: str, *, secret: str | None = None, **options: str) -> str:
        extra = "".join(f"&{k}={v}" for k, v in options.items())
        who = f"{secret}@" if secret else ""
        return f"dingtalk://{who}{token}/?api={self.api}&verify=no{extra}"

    def handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.path != "/robot/send":
            return 404, {"errcode": 404, "errmsg": "not found"}
        token = request.query.get("access_token", "")
        robot = self.robots.get(token)
        if robot is None:
            return self._no(token, 300001, "token is not exist")
        if robot.secret and not self._signed(robot.secret, request):
            return self._no(token, 310000, "sign not match")
        payload = request.json()
        kind = payload.get("msgtype") if isinstance(payload, dict) else None
        if kind not in ("text", "markdown", "actionCard", "link", "feedCard"):
            return self._no(token, 400105, "不支持的消息类型")
        if len(request.body) > MAX_BYTES:
            return self._no(token, 460101, "message too long")
        text = _text_of(kind, payload)
        if robot.keywords and not any(word in text for word in robot.keywords):
            return self._no(token, 310000, "keywords not in content")
        now = self.clock()
        if now < self.throttled_until.get(token, -1.0):
            return self._no(token, 130101, "send too fast, exceed 20 times per minute")
        if self.count(token, 60) >= PER_MINUTE:
            self.throttled_until[token] = now + THROTTLE
            return self._no(token, 130101, "send too fast, exceed 20 times per minute")
        at = payload.get("at") or {}
        mentions = (*at.get("atMobiles", ()), *at.get("atUserIds", ()))
        buttons = tuple(
            (b.get("title", ""), b.get("actionURL", ""))
            for b in (payload.get("actionCard") or {}).get("btns", ())
        )
        self.took(token, Got(token, now, payload, text, tuple(mentions), buttons))
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _signed(self, secret: str, request: Request) -> bool:
        stamp, sign = request.query.get("timestamp", ""), request.query.get("sign", "")
        if not stamp.isdigit() or abs(self.wall() * 1000 - int(stamp)) > 3_600_000:
            return False
        expected = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256)
        return hmac.compare_digest(sign, base64.b64encode(expected.digest()).decode())

    def _no(self, token: str, code: int, message: str) -> tuple[int, dict[str, Any]]:
        self.refuse(token, str(code))
        return 200, {"errcode": code, "errmsg": message}


def _text_of(kind: str, payload: dict[str, Any]) -> str:
    part = payload.get(kind) or {}
    if kind == "text":
        return str(part.get("content", ""))
    if kind == "actionCard":
        return f"{part.get('title', '')}\n{part.get('text', '')}"
    return (
        json.dumps(part, ensure_ascii=False)
        if kind != "markdown"
        else (f"{part.get('title', '')}\n{part.get('text', '')}")
    )
