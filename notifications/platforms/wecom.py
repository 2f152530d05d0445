"""WeCom group bot (企业微信群机器人; 政务微信 with `api=` its host): `wecombot://KEY`, as in
Apprise, posting to `{api}/cgi-bin/webhook/send?key=KEY`.

The message goes as markdown (at most 4,096 bytes: headings, lines, the actions as links, the
people who must act @mentioned by WeCom user id) or, with `format=text` or when someone to be
named has only a mobile number, as text (at most 2,048 bytes, with `mentioned_list` and
`mentioned_mobile_list`). A longer message is shortened to fit, never sent to be refused. The
answer's `errcode` decides (`models.policy.platforms`)."""

from __future__ import annotations

from typing import Any

from models.policy.limits import SIZE_LIMITS
from models.policy.platforms import Answer, Platform
from notifications.envelope import Envelope
from notifications.platforms.base import PlatformPlugin, improper, matching
from notifications.platforms.fitting import Detail, fit, text_of, utf8

KEY = (r"^[a-z0-9_-]{1,128}$", "i")
CODE, MESSAGE = ("errcode",), ("errmsg",)


class YuqingWeComBot(PlatformPlugin):
    service_name = "WeCom Bot"
    service_url = "https://work.weixin.qq.com/"
    secure_protocol = "wecombot"
    platform = Platform.WECOM
    default_api = "https://qyapi.weixin.qq.com"
    templates = ("{schema}://{key}",)

    def __init__(self, key: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        found = matching(key, KEY)
        if not found:
            raise improper("企业微信机器人 key 无效")
        self.key: str = found

    @property
    def url_identifier(self) -> tuple[str, ...]:
        return (self.secure_protocol, self.key, self.api)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.common_params(privacy)
        key = self.pprint(self.key, privacy, safe="")
        return f"{self.secure_protocol}://{key}/?{self.urlencode(params)}"

    def deliver(self, envelope: Envelope) -> Answer:
        url = f"{self.api}/cgi-bin/webhook/send?key={self.key}"
        return self.post_json(url, wecom_payload(envelope, rich=self.rich), CODE, MESSAGE)

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        results: dict[str, Any] | None = PlatformPlugin.parse_url(url, verify_host=False)
        if not results:
            return results
        results["key"] = PlatformPlugin.unquote(results["host"])
        if results["qsd"].get("key"):
            results["key"] = PlatformPlugin.unquote(results["qsd"]["key"])
        return PlatformPlugin.common_results(results)


def wecom_payload(envelope: Envelope, *, rich: bool) -> dict[str, Any]:
    """The request body: markdown when every person named can be @mentioned in it, else text."""
    userids = [m.wecom_userid for m in envelope.mentions if m.wecom_userid]
    markdown_ok = all(m.wecom_userid or not m.mobile for m in envelope.mentions)
    if rich and markdown_ok:
        limit = SIZE_LIMITS[Platform.WECOM]["markdown"]

        def markdown(env: Envelope, detail: Detail) -> str:
            tail = " ".join(f"<@{uid}>" for uid in userids)
            return text_of(env, detail, markdown=True) + (f"\n{tail}" if tail else "")

        return {
            "msgtype": "markdown",
            "markdown": {"content": fit(envelope, markdown, utf8, limit)},
        }
    limit = SIZE_LIMITS[Platform.WECOM]["text"]
    content = fit(envelope, lambda env, detail: text_of(env, detail), utf8, limit)
    text: dict[str, Any] = {"content": content}
    if userids:
        text["mentioned_list"] = userids
    mobiles = [m.mobile for m in envelope.mentions if m.mobile and not m.wecom_userid]
    if mobiles:
        text["mentioned_mobile_list"] = mobiles
    return {"msgtype": "text", "text": text}
