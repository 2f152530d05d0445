"""Feishu and Lark custom bots (飞书/Lark 自定义机器人; 飞书私有化 with `api=` its host): as in
Apprise, `feishu://TOKEN` and `lark://TOKEN`, plus the 签名校验 secret as `feishu://SECRET@TOKEN`
or `?secret=`. Posts to `{api}/open-apis/bot/v2/hook/TOKEN`; with a secret the body carries
`timestamp` (seconds) and `sign` = Base64(HMAC-SHA256(key = "timestamp\\nsecret", empty message)).

The message goes as an interactive card (a header, the text in lark_md with the people who must
act as `<at id=…>` mentions, and one button per action for a single alert), or as text with
`<at user_id=…>` mentions under `format=text`; at most 20 KB either way. The answer's `code`
decides (`StatusCode` in older answers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from models.policy.limits import SIZE_LIMITS
from models.policy.platforms import Answer, Platform
from notifications.envelope import Envelope
from notifications.platforms.base import PlatformPlugin
from notifications.platforms.fitting import Detail, fit, text_of, utf8

TOKEN = (r"^[a-z0-9_-]{1,128}$", "i")
SECRET = (r"^[a-z0-9_-]{1,128}$", "i")


def feishu_sign(secret: str, timestamp: int) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


class YuqingFeishu(PlatformPlugin):
    service_name = "Feishu"
    service_url = "https://www.feishu.cn/"
    secure_protocol = "feishu"
    platform = Platform.FEISHU
    default_api = "https://open.feishu.cn"
    templates = ("{schema}://{token}", "{schema}://{secret}@{token}")

    def __init__(self, token: str, secret: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token, self.secret = self.token_and_secret(token, secret, (TOKEN, SECRET))

    @property
    def url_identifier(self) -> tuple[str, ...]:
        return (self.secure_protocol, self.token, self.api)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.common_params(privacy)
        token = self.pprint(self.token, privacy, safe="")
        secret = (
            ("****@" if privacy else f"{self.quote(self.secret, safe='')}@") if self.secret else ""
        )
        return f"{self.secure_protocol}://{secret}{token}/?{self.urlencode(params)}"

    def deliver(self, envelope: Envelope) -> Answer:
        payload = feishu_payload(envelope, rich=self.rich)
        if self.secret:
            now = int(time.time())
            payload = {"timestamp": str(now), "sign": feishu_sign(self.secret, now), **payload}
        url = f"{self.api}/open-apis/bot/v2/hook/{self.token}"
        return self.post_json(url, payload, ("code", "StatusCode"), ("msg", "StatusMessage"))

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        results: dict[str, Any] | None = PlatformPlugin.parse_url(url, verify_host=False)
        if not results:
            return results
        results["token"] = PlatformPlugin.unquote(results["host"])
        if results.get("user"):
            results["secret"] = PlatformPlugin.unquote(results["user"])
        if results["qsd"].get("token"):
            results["token"] = PlatformPlugin.unquote(results["qsd"]["token"])
        return PlatformPlugin.common_results(results)


class YuqingLark(YuqingFeishu):
    service_name = "Lark"
    service_url = "https://www.larksuite.com/"
    secure_protocol = "lark"
    platform = Platform.LARK
    default_api = "https://open.larksuite.com"


def feishu_payload(envelope: Envelope, *, rich: bool) -> dict[str, Any]:
    ids = [m.feishu_open_id for m in envelope.mentions if m.feishu_open_id]
    limit = SIZE_LIMITS[Platform.FEISHU]["body"] - 200  # room for timestamp and sign
    if not rich:
        text_tail = " ".join(f'<at user_id="{i}"></at>' for i in ids)
        return fit(envelope, lambda env, detail: _text(env, detail, text_tail), _size, limit)
    card_tail = " ".join(f"<at id={i}></at>" for i in ids)
    return fit(envelope, lambda env, detail: _card(env, detail, card_tail), _size, limit)


def _text(env: Envelope, detail: Detail, tail: str) -> dict[str, Any]:
    """A text message, the @mentions after it."""
    content = text_of(env, detail) + (f"\n{tail}" if tail else "")
    return {"msg_type": "text", "content": {"text": content}}


def _card(env: Envelope, detail: Detail, tail: str) -> dict[str, Any]:
    """An interactive card: the title as its header, the text (and the @mentions), and the
    buttons of a message that has one section."""
    single = detail is Detail.FULL and len(env.sections) == 1 and env.sections[0].buttons
    if single:
        body = "\n".join([f"**{env.sections[0].heading}**", *env.sections[0].lines])
    else:
        body = text_of(env, detail, markdown=True)
        body = body.split("\n", 1)[1] if "\n" in body else ""  # the title is the header
    elements: list[dict[str, Any]] = [
        {
            "tag": "div",
            "text": {"tag": "lark_md", "content": body + (f"\n{tail}" if tail else "")},
        }
    ]
    if single:
        buttons = [
            {
                "tag": "button",
                "text": {"tag": "plain_text", "content": b.label},
                "url": b.url,
                "type": "primary" if n == 0 else "default",
            }
            for n, b in enumerate(env.sections[0].buttons)
        ]
        elements.append({"tag": "action", "actions": buttons})
    header = {"title": {"tag": "plain_text", "content": env.title}, "template": "red"}
    return {"msg_type": "interactive", "card": {"header": header, "elements": elements}}


def _size(payload: dict[str, Any]) -> int:
    return utf8(json.dumps(payload, ensure_ascii=False))
