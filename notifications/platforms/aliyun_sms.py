"""Aliyun SMS (阿里云短信, SendSms of dysmsapi 2017-05-25) as an Apprise plugin:
`aliyunsms://ACCESS_KEY_ID:ACCESS_KEY_SECRET@TEMPLATE_CODE/[PHONE/...]?sign=签名名称`
(`notifications.platforms.sms` has the options). The request is the RPC style, POSTed as a form
to `{api}/` (default https://dysmsapi.aliyuncs.com), signed with signature version 1.0: the
parameters sorted and percent-encoded (RFC 3986), `POST&%2F&` + the encoded query, HMAC-SHA1
under `ACCESS_KEY_SECRET&`, Base64. The answer's `Code` decides (`OK`: submitted)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from models.policy.platforms import Answer, Platform
from notifications.envelope import Envelope
from notifications.platforms.base import PlatformPlugin, improper
from notifications.platforms.sms import (
    SmsPlugin,
    no_phone,
    phones,
    sms_results,
    template_values,
)


def rfc3986(value: str) -> str:
    return quote(value, safe="~")


def aliyun_signature(secret: str, params: dict[str, str], method: str = "POST") -> str:
    query = "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{rfc3986('/')}&{rfc3986(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class YuqingAliyunSms(SmsPlugin):
    service_name = "Aliyun SMS"
    service_url = "https://www.aliyun.com/product/sms"
    secure_protocol = "aliyunsms"
    platform = Platform.ALIYUN_SMS
    default_api = "https://dysmsapi.aliyuncs.com"
    templates = ("{schema}://{user}:{password}@{template}",)
    default_region = "cn-hangzhou"

    def __init__(self, template: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not (self.user and self.password and template and self.sign):
            raise improper("阿里云短信需要 AccessKey、模板 CODE 和 sign=签名名称")
        self.template: str = template

    @property
    def url_identifier(self) -> tuple[str, ...]:
        return (self.secure_protocol, str(self.user), self.template, self.api)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        return self.account_url(privacy, self.template, self.targets)

    def deliver(self, envelope: Envelope) -> Answer:
        to = phones(self.targets, envelope)
        if not to:
            return no_phone(self.platform)
        values = template_values(envelope, self.vars, self.platform)
        params = {
            "AccessKeyId": str(self.user),
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": secrets.token_hex(16),
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": ",".join(p.removeprefix("+86") for p in to),
            "SignName": self.sign,
            "TemplateCode": self.template,
            "TemplateParam": json.dumps(dict(values), ensure_ascii=False),
        }
        params["Signature"] = aliyun_signature(str(self.password), params)
        body = "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in params.items())
        reply = self.request(
            f"{self.api}/",
            content=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return self.read(reply, ("Code",), ("Message",))

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        results: dict[str, Any] | None = PlatformPlugin.parse_url(url, verify_host=False)
        if not results:
            return results
        results["template"] = PlatformPlugin.unquote(results["host"])
        return sms_results(results)
