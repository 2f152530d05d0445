"""What the two SMS plugins share: the URL shape and options, the phones a message goes to, and
an alert mapped to the template's variables.

    aliyunsms://ACCESS_KEY_ID:ACCESS_KEY_SECRET@TEMPLATE_CODE/[PHONE/...]?sign=签名名称
    tencentsms://SECRET_ID:SECRET_KEY@SDK_APP_ID/TEMPLATE_ID/[PHONE/...]?sign=签名名称

The URL (a secret: it holds the access key) names the account; phones in the path are always
sent to; without them a message goes to the mobile numbers of the people it is for (the
directory's `mobile`), so one SMS channel serves a whole office, each person their own SMS.
`vars=` lists the template's variables in order, each the name the template uses and,
after a colon, which fact fills it: `case` (案件编号), `item` (事项), `due` (截止时间), `link`
(链接); default `case,item,due,link` (Aliyun passes them by name, Tencent by position). Each
value is
cut to the platform's variable length (`models.policy.limits.SMS_VAR_CHARS`); a link is kept
whole. `region=` picks the region; `api=` a private endpoint or a stand-in."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from models.policy.limits import SMS_VAR_CHARS
from models.policy.platforms import Answer, Platform
from models.policy.sending import Outcome
from notifications.envelope import Envelope
from notifications.platforms.base import PlatformPlugin, improper

FACTS = ("case", "item", "due", "link")
_VAR = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_PHONE = re.compile(r"^\+?[0-9]{11,15}$")


def parse_vars(value: str | None) -> tuple[tuple[str, str], ...]:
    """`vars=` as (template variable, fact) pairs; AppriseImproperlyConfigured if malformed."""
    if not value:
        return tuple((fact, fact) for fact in FACTS)
    pairs = []
    for part in value.split(","):
        name, _, fact = part.strip().partition(":")
        fact = fact or name
        if not _VAR.match(name) or fact not in FACTS:
            raise improper(f"vars: {part!r} 应为 模板变量[:{'|'.join(FACTS)}]")
        pairs.append((name, fact))
    return tuple(pairs)


def template_values(
    envelope: Envelope, pairs: tuple[tuple[str, str], ...], platform: Platform
) -> list[tuple[str, str]]:
    """Each template variable with its value, cut to the platform's length (links whole)."""
    facts = envelope.sms.as_dict()
    if not facts["item"]:
        facts["item"] = envelope.title
    most = SMS_VAR_CHARS[platform]
    return [
        (name, facts[fact] if fact == "link" else _cut(facts[fact] or "—", most))
        for name, fact in pairs
    ]


def _cut(value: str, most: int) -> str:
    return value if len(value) <= most else value[: most - 1] + "…"


def phones(fixed: list[str], envelope: Envelope) -> list[str]:
    """Who the SMS goes to: the URL's phones, else the message's people's mobiles."""
    found = fixed or list(envelope.mobiles)
    return list(dict.fromkeys(p for p in found if _PHONE.match(p)))


def no_phone(platform: Platform) -> Answer:
    return Answer(platform, transport=Outcome.INVALID, transport_reason="收件人没有登记手机号")


def sms_results(results: dict[str, Any]) -> dict[str, Any]:
    """The options both SMS URLs share, and the path: its phone numbers (`targets`) and the
    other parts in order (`names`: Tencent's template id)."""
    qsd = results.get("qsd", {})
    parts = PlatformPlugin.split_path(results.get("fullpath") or "")
    results["targets"] = [p for p in parts if _PHONE.match(p)]
    results["names"] = [p for p in parts if not _PHONE.match(p)]
    for key in ("sign", "vars", "region", "api"):
        if qsd.get(key):
            results[key] = PlatformPlugin.unquote(qsd[key])
    return results


class SmsPlugin(PlatformPlugin):
    """What both SMS plugins hold: the signature name, the template's variables, the region and
    the fixed phones; never a group (each person gets their own SMS)."""

    default_region: ClassVar[str]

    def __init__(
        self,
        *,
        sign: str | None = None,
        vars: str | None = None,
        region: str | None = None,
        targets: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sign = sign or ""
        self.region = region or self.default_region
        self.vars = parse_vars(vars)
        self.targets = targets or []
        self.group = False

    def account_url(self, privacy: bool, host: str, path: list[str]) -> str:
        """The URL back: the account (its secret masked when `privacy`), the host part and the
        path, with the options."""
        params = self.common_params(privacy)
        params |= {"sign": self.sign, "region": self.region}
        params["vars"] = ",".join(f"{n}:{f}" for n, f in self.vars)
        user = self.pprint(self.user, privacy, safe="")
        secret = "****" if privacy else self.quote(self.password, safe="")
        where = "/".join(path)
        return f"{self.secure_protocol}://{user}:{secret}@{host}/{where}?{self.urlencode(params)}"
