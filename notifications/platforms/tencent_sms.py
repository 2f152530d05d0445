"""Tencent Cloud SMS (腾讯云短信, SendSms 2021-01-11) as an Apprise plugin:
`tencentsms://SECRET_ID:SECRET_KEY@SDK_APP_ID/TEMPLATE_ID/[PHONE/...]?sign=签名名称`
(`notifications.platforms.sms` has the options). The request is JSON POSTed to `{api}/`
(default https://sms.tencentcloudapi.com) with the X-TC-* headers, signed TC3-HMAC-SHA256: the
canonical request over content-type and host, the string to sign with the credential scope
`DATE/sms/tc3_request`, the key derived from `TC3` + SECRET_KEY through the date, the service
and `tc3_request`. The answer's `Response.Error.Code`, else each number's `SendStatusSet` code,
decides (`Ok`: submitted)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from models.policy.platforms import Answer, Platform
from notifications.envelope import Envelope
from notifications.platforms.base import PlatformPlugin, improper
from notifications.platforms.http import Reply
from notifications.platforms.sms import (
    no_phone,
    parse_vars,
    phones,
    sms_results,
    template_values,
)

SERVICE, VERSION = "sms", "2021-01-11"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tc3_authorization(
    secret_id: str, secret_key: str, *, host: str, payload: str, timestamp: int
) -> str:
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    headers = f"content-type:application/json; charset=utf-8\nhost:{host}\n"
    digest = hashlib.sha256(payload.encode()).hexdigest()
    canonical = f"POST\n/\n\n{headers}\ncontent-type;host\n{digest}"
    scope = f"{day}/{SERVICE}/tc3_request"
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), day), SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


class YuqingTencentSms(PlatformPlugin):
    service_name = "Tencent Cloud SMS"
    service_url = "https://cloud.tencent.com/product/sms"
    secure_protocol = "tencentsms"
    platform = Platform.TENCENT_SMS
    default_api = "https://sms.tencentcloudapi.com"
    templates = ("{schema}://{user}:{password}@{app}/{template}",)

    def __init__(
        self,
        app: str | None = None,
        names: list[str] | None = None,
        sign: str | None = None,
        vars: str | None = None,
        region: str | None = None,
        targets: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        template = names[0] if names else None
        if not (self.user and self.password and app and template and sign):
            raise improper("腾讯云短信需要 SecretId、SecretKey、SdkAppId、模板 ID 和 sign=签名名称")
        self.app, self.template, self.sign = app, template, sign
        self.region = region or "ap-guangzhou"
        self.vars = parse_vars(vars)
        self.targets = targets or []
        self.group = False

    @property
    def url_identifier(self) -> tuple[str, ...]:
        return (self.secure_protocol, str(self.user), self.app, self.api)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.common_params(privacy)
        params |= {"sign": self.sign, "region": self.region}
        params["vars"] = ",".join(f"{n}:{f}" for n, f in self.vars)
        user = self.pprint(self.user, privacy, safe="")
        secret = "****" if privacy else self.quote(self.password, safe="")
        path = "/".join([self.template, *self.targets])
        return (
            f"{self.secure_protocol}://{user}:{secret}@{self.app}/{path}?{self.urlencode(params)}"
        )

    def deliver(self, envelope: Envelope) -> Answer:
        to = phones(self.targets, envelope)
        if not to:
            return no_phone(self.platform)
        payload = json.dumps(
            {
                "PhoneNumberSet": [p if p.startswith("+") else f"+86{p}" for p in to],
                "SmsSdkAppId": self.app,
                "SignName": self.sign,
                "TemplateId": self.template,
                "TemplateParamSet": [
                    v for _, v in template_values(envelope, self.vars, self.platform)
                ],
            },
            ensure_ascii=False,
        )
        now = int(time.time())
        host = urlsplit(self.api).netloc
        auth = tc3_authorization(
            str(self.user), str(self.password), host=host, payload=payload, timestamp=now
        )
        headers = {
            "Authorization": auth,
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(now),
            "X-TC-Version": VERSION,
            "X-TC-Region": self.region,
        }
        reply = self.request(f"{self.api}/", content=payload.encode(), headers=headers)
        return tencent_answer(reply)

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        results: dict[str, Any] | None = PlatformPlugin.parse_url(url, verify_host=False)
        if not results:
            return results
        results["app"] = PlatformPlugin.unquote(results["host"])
        return sms_results(results)


def tencent_answer(reply: Reply | Answer) -> Answer:
    """The code that decides: the request's error, else the first number not sent."""
    if isinstance(reply, Answer):
        return reply
    data = reply.json()
    response = data.get("Response") if isinstance(data, dict) else None
    code, message = None, ""
    if isinstance(response, dict):
        error = response.get("Error")
        statuses = response.get("SendStatusSet")
        if isinstance(error, dict):
            code, message = error.get("Code"), str(error.get("Message", ""))
        elif isinstance(statuses, list) and statuses:
            failed = [s for s in statuses if isinstance(s, dict) and s.get("Code") != "Ok"]
            first = failed[0] if failed else statuses[0]
            if isinstance(first, dict):
                code, message = first.get("Code"), str(first.get("Message", ""))
    return Answer(
        Platform.TENCENT_SMS,
        http_status=reply.status,
        code=None if code is None else str(code),
        message=message,
        retry_after=reply.retry_after(),
    )
