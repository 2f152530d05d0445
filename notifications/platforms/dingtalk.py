"""DingTalk custom robot (钉钉自定义机器人; 浙政钉/专有钉钉 with `api=` their host): as in Apprise,
`dingtalk://TOKEN/`, `dingtalk://SECRET@TOKEN/` or `?secret=` (加签), phone numbers in the path
to @mention always; also `dingtalk://TOKEN/SECRET` (a path part starting `SEC` is the secret).
Posts to `{api}/robot/send?access_token=TOKEN`, signed when there is a secret: `timestamp` (ms)
and `sign` = Base64(HMAC-SHA256(secret, "timestamp\\nsecret")) (安全设置, 加签).

One alert with actions and nobody to @: an actionCard with a button per action. Otherwise
markdown (actions as links) with `at.atMobiles` / `at.atUserIds` of the people who must act
(their numbers or ids also written in the text, which DingTalk needs to show the mention);
`format=text` sends text with the same `at`. The answer's `errcode` decides."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import quote_plus

from models.policy.limits import SIZE_LIMITS
from models.policy.platforms import Answer, Platform
from notifications.envelope import Envelope
from notifications.platforms.base import PlatformPlugin
from notifications.platforms.fitting import Detail, fit, text_of, utf8

TOKEN = (r"^[a-z0-9]{1,128}$", "i")
SECRET = (r"^[a-z0-9]{1,128}$", "i")
PHONE = re.compile(r"^\+?[0-9]{11,14}$")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


class YuqingDingTalk(PlatformPlugin):
    service_name = "DingTalk"
    service_url = "https://www.dingtalk.com/"
    secure_protocol = "dingtalk"
    platform = Platform.DINGTALK
    default_api = "https://oapi.dingtalk.com"
    templates = ("{schema}://{token}/", "{schema}://{secret}@{token}/")

    def __init__(
        self, token: str, secret: str | None = None, targets: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.token, self.secret = self.token_and_secret(token, secret, (TOKEN, SECRET))
        self.targets = [t.lstrip("+") for t in (targets or []) if PHONE.match(t)]

    @property
    def url_identifier(self) -> tuple[str, ...]:
        return (self.secure_protocol, self.token, self.api)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.common_params(privacy)
        token = self.pprint(self.token, privacy, safe="")
        secret = f"{self.pprint(self.secret, privacy, safe='')}@" if self.secret else ""
        if privacy and self.secret:
            secret = "****@"
        path = "/".join(self.targets)
        return f"{self.secure_protocol}://{secret}{token}/{path}?{self.urlencode(params)}"

    def deliver(self, envelope: Envelope) -> Answer:
        url = f"{self.api}/robot/send?access_token={self.token}"
        if self.secret:
            now = int(time.time() * 1000)
            url += f"&timestamp={now}&sign={quote_plus(dingtalk_sign(self.secret, now))}"
        payload = dingtalk_payload(envelope, rich=self.rich, always=self.targets)
        return self.post_json(url, payload, ("errcode",), ("errmsg",))

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        results: dict[str, Any] | None = PlatformPlugin.parse_url(url, verify_host=False)
        if not results:
            return results
        results["token"] = PlatformPlugin.unquote(results["host"])
        if results.get("user"):
            results["secret"] = PlatformPlugin.unquote(results["user"])
        parts = PlatformPlugin.split_path(results["fullpath"])
        results["targets"] = [p for p in parts if not p.upper().startswith("SEC")]
        secrets = [p for p in parts if p.upper().startswith("SEC")]
        if secrets and not results.get("secret"):
            results["secret"] = secrets[0]
        if results["qsd"].get("token"):
            results["token"] = PlatformPlugin.unquote(results["qsd"]["token"])
        return PlatformPlugin.common_results(results)


def dingtalk_payload(
    envelope: Envelope, *, rich: bool, always: list[str] | None = None
) -> dict[str, Any]:
    mobiles = [*(always or []), *(m.mobile for m in envelope.mentions if m.mobile)]
    userids = [m.dingtalk_userid for m in envelope.mentions if m.dingtalk_userid and not m.mobile]
    tail = " ".join(f"@{who}" for who in [*mobiles, *userids])
    at = {"atMobiles": mobiles, "atUserIds": userids, "isAtAll": False}
    limit = SIZE_LIMITS[Platform.DINGTALK]["markdown"]
    single = len(envelope.sections) == 1 and envelope.sections[0].buttons
    if rich and single and not tail:
        section = envelope.sections[0]

        def card(env: Envelope, detail: Detail) -> dict[str, Any]:
            text = text_of(env, detail, markdown=True) if detail else _card_text(env)
            btns = [{"title": b.label, "actionURL": b.url} for b in section.buttons]
            return {"title": env.title, "text": text, "btnOrientation": "1", "btns": btns}

        body = fit(envelope, card, lambda c: utf8(json.dumps(c, ensure_ascii=False)), limit)
        return {"msgtype": "actionCard", "actionCard": body}
    if rich:

        def markdown(env: Envelope, detail: Detail) -> str:
            return text_of(env, detail, markdown=True) + (f"\n\n{tail}" if tail else "")

        text = fit(envelope, markdown, utf8, limit)
        return {
            "msgtype": "markdown",
            "markdown": {"title": envelope.title, "text": text},
            "at": at,
        }
    content = fit(
        envelope, lambda env, d: text_of(env, d) + (f"\n{tail}" if tail else ""), utf8, limit
    )
    return {"msgtype": "text", "text": {"content": content}, "at": at}


def _card_text(envelope: Envelope) -> str:
    """The actionCard's text: the section without its actions (they are the buttons)."""
    section = envelope.sections[0]
    return "\n\n".join([f"**{section.heading}**", *section.lines])
