"""What yuqing's Apprise plugins for the Chinese platforms share. Each one is a real Apprise
plugin (a `NotifyBase` registered for its scheme, `notifications.platforms.registry`), so a
channel stays an Apprise URL with Apprise's own options — `verify=no`, `cto`, `rto`,
`format=text` — and gains what Apprise's plugins lack: the platform's answer is read (the
code in the body decides, `models.policy.platforms`), the HTTP is httpx with pooled keep-alive
connections (`notifications.platforms.http`), the API host is an option for private deployments
(`api=https://host[:port]`: 政务微信, 浙政钉/专有钉钉, 飞书私有化, or a stand-in), and the message
goes in the platform's rich form (cards, buttons, @mentions) when the sender hands one over.

How a plugin and `notifications.channels` talk, beside Apprise's own call: before `notify()` the
sender may set `envelope` (the message's rich form); after it, `answer` holds what the platform
said to that request. An Apprise object (and so its plugin) is used by one thread at a time."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from apprise.common import NotifyFormat, NotifyType, OverflowMode
from apprise.exception import AppriseImproperlyConfigured
from apprise.plugins.base import NotifyBase
from apprise.utils.parse import validate_regex

from models.policy.platforms import Answer, Platform, judge
from models.policy.sending import Outcome
from notifications.envelope import Envelope, plain
from notifications.platforms.http import Reply, post

_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$")
# Apprise's base class is typed loosely (None class defaults, untyped helpers): yuqing's plugins
# derive from it as from an untyped base, and check what they take themselves.
_AppriseBase: Any = NotifyBase


def improper(message: str) -> Exception:
    """The exception Apprise expects from a plugin given a URL it cannot use."""
    error: Exception = AppriseImproperlyConfigured(message)  # type: ignore[no-untyped-call]
    return error


def matching(value: str | None, rule: tuple[str, str]) -> str | None:
    """`value` when it matches the (pattern, flags) rule, else None."""
    found = validate_regex(value, *rule)  # type: ignore[no-untyped-call]
    return found if isinstance(found, str) and found else None


def api_base(value: str | None, default: str) -> str:
    """The API base URL from the `api` option (`host`, `host:port` or a full http(s) URL; https
    unless it says otherwise), else the platform's own; AppriseImproperlyConfigured if malformed."""
    if not value:
        return default
    text = value if "://" in value else f"https://{value}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not _HOST.match(parts.netloc):
        raise improper("api: 需要主机名或 http(s) 地址")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class PlatformPlugin(_AppriseBase):  # type: ignore[misc]
    platform: ClassVar[Platform]
    default_api: ClassVar[str]
    title_maxlen = 250
    body_maxlen = 100_000  # yuqing fits the message to the platform's own limit itself
    overflow_mode = OverflowMode.UPSTREAM
    notify_format = (NotifyFormat.MARKDOWN, NotifyFormat.TEXT)
    attachment_support = False

    def __init__(self, *, api: str | None = None, group: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api = api_base(api, self.default_api)
        self.custom_api = bool(api)
        self.rich = str(kwargs.get("format") or "").lower() != "text"
        self.group = str(group).lower() not in ("no", "false", "0") if group is not None else True
        self.envelope: Envelope | None = None
        self.answer: Answer | None = None

    def send(
        self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO, **_: Any
    ) -> bool:
        envelope = self.envelope or plain(title, body)
        self.answer = self.deliver(envelope)
        return judge(self.answer).outcome is Outcome.DELIVERED

    def deliver(self, envelope: Envelope) -> Answer:  # pragma: no cover - each platform's
        raise NotImplementedError

    def post_json(
        self, url: str, payload: Any, codes: tuple[str, ...], messages: tuple[str, ...]
    ) -> Answer:
        """POST `payload` as UTF-8 JSON; the platform's answer (`codes`/`messages`: where its
        body keeps them)."""
        reply = self.request(
            url,
            content=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        return self.read(reply, codes, messages)

    def token_and_secret(
        self, token: str, secret: str | None, rules: tuple[tuple[str, str], tuple[str, str]]
    ) -> tuple[str, str | None]:
        """A bot's token and optional signing secret, each checked against its rule."""
        found = matching(token, rules[0])
        if not found:
            raise improper(f"{self.service_name} 机器人令牌无效")
        if not secret:
            return found, None
        checked = matching(secret, rules[1])
        if not checked:
            raise improper(f"{self.service_name} 机器人签名密钥无效")
        return found, checked

    def request(self, url: str, **kwargs: Any) -> Reply | Answer:
        return post(
            url,
            platform=self.platform,
            verify=self.verify_certificate,
            connect=self.socket_connect_timeout,
            read=self.socket_read_timeout,
            **kwargs,
        )

    def read(
        self, reply: Reply | Answer, code_keys: tuple[str, ...], msg_keys: tuple[str, ...]
    ) -> Answer:
        """The platform's Answer from its reply: the first of `code_keys` in the JSON body is
        the code (None when the body has none), the first of `msg_keys` its message."""
        if isinstance(reply, Answer):
            return reply
        data = reply.json()
        code = message = None
        if isinstance(data, dict):
            code = next((data[k] for k in code_keys if data.get(k) is not None), None)
            message = next((data[k] for k in msg_keys if isinstance(data.get(k), str)), None)
        return Answer(
            self.platform,
            http_status=reply.status,
            code=None if code is None else str(code),
            message=message or "",
            retry_after=reply.retry_after(),
        )

    def common_params(self, privacy: bool) -> dict[str, str]:
        """The URL options every platform plugin writes back (Apprise's and `api`)."""
        params: dict[str, str] = dict(self.url_parameters(privacy=privacy))
        if self.custom_api:
            params["api"] = self.api
        if not self.group:
            params["group"] = "no"
        return params

    @staticmethod
    def common_results(results: dict[str, Any]) -> dict[str, Any]:
        qsd = results.get("qsd", {})
        for key in ("api", "group", "secret"):
            if qsd.get(key):
                results[key] = _AppriseBase.unquote(qsd[key])
        return results
