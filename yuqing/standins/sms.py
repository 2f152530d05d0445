"""Stand-ins for the two SMS gateways, each checking the request's signature by its own
computation, the account's registered signature name and template (with its variables), the
phone numbers and the per-phone limits, and answering with the platform's codes.

- Aliyun SMS (`POST /`, form, SendSms 2017-05-25, signature version 1.0 HMAC-SHA1): unknown
  AccessKeyId `InvalidAccessKeyId.NotFound` (404); a wrong signature `SignatureDoesNotMatch`
  (400); a timestamp off by over 15 minutes `InvalidTimeStamp.Expired`; a nonce used twice
  `SignatureNonceUsed`; an unknown signature name or template `isv.SMS_SIGNATURE_ILLEGAL` /
  `isv.SMS_TEMPLATE_ILLEGAL`; a missing variable `isv.TEMPLATE_MISSING_PARAMETERS`; a variable
  over 35 characters (links aside) `isv.PARAM_LENGTH_LIMIT`; a bad number
  `isv.MOBILE_NUMBER_ILLEGAL`; per phone over 1 a minute or 5 an hour
  `isv.BUSINESS_LIMIT_CONTROL`, over 10 a day `isv.DAY_LIMIT_CONTROL`.
- Tencent Cloud SMS (`POST /`, JSON, SendSms 2021-01-11, TC3-HMAC-SHA256): unknown SecretId
  `AuthFailure.SecretIdNotFound`; a wrong signature `AuthFailure.SignatureFailure`; a timestamp
  off by over 5 minutes `AuthFailure.SignatureExpire`; an unknown app
  `UnauthorizedOperation.SmsSdkAppIdVerifyFail`; an unknown signature name or template
  `FailedOperation.SignatureIncorrectOrUnapproved` / `…TemplateIncorrectOrUnapproved`; the wrong
  number of variables `InvalidParameterValue.TemplateParameterFormatError`; a variable over 12
  characters (links aside) `…TemplateParameterLengthLimit`; then per phone (in `SendStatusSet`)
  a bad number `InvalidParameterValue.IncorrectPhoneNumber`, over 1 in 30 s
  `LimitExceeded.PhoneNumberThirtySecondLimit`, 5 an hour `…OneHourLimit`, 10 a day
  `…DailyLimit`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from yuqing.standins.server import Got, Request, StandIn

_CN_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LINKISH = re.compile(r"^https?://")


@dataclass
class Account:
    key_id: str
    secret: str
    signs: set[str] = field(default_factory=set)
    templates: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code → variables


class _Sms(StandIn):
    var_max = 35
    limits: tuple[tuple[int, float, str], ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accounts: dict[str, Account] = {}

    def add_account(
        self, key_id: str, secret: str, *, sign: str, template: str, variables: tuple[str, ...]
    ) -> None:
        account = self.accounts.setdefault(key_id, Account(key_id, secret))
        account.signs.add(sign)
        account.templates[template] = variables

    def _limited(self, phone: str) -> str | None:
        for count, seconds, code in self.limits:
            if self.count(phone, seconds) >= count:
                return code
        return None

    def _too_long(self, values: list[str]) -> bool:
        return any(len(v) > self.var_max and not _LINKISH.match(v) for v in values)


class AliyunSmsStandIn(_Sms):
    name = "阿里云短信"
    var_max = 35
    limits = (
        (10, 86400.0, "isv.DAY_LIMIT_CONTROL"),
        (1, 60.0, "isv.BUSINESS_LIMIT_CONTROL"),
        (5, 3600.0, "isv.BUSINESS_LIMIT_CONTROL"),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.nonces: set[str] = set()

    def url(self, key_id: str, *, template: str, sign: str, **options: str) -> str:
        secret = quote(self.accounts[key_id].secret, safe="")
        extra = "".join(f"&{k}={quote(v, safe='')}" for k, v in options.items())
        name = quote(sign, safe="")
        return (
            f"aliyunsms://{key_id}:{secret}@{template}/?sign={name}&api={self.api}&verify=no{extra}"
        )

    def handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        params = dict(parse_qsl(request.body.decode(errors="replace"), keep_blank_values=True))
        account = self.accounts.get(params.get("AccessKeyId", ""))
        if account is None:
            return self._no("", "InvalidAccessKeyId.NotFound", 404)
        if not _aliyun_signed(account.secret, params):
            return self._no("", "SignatureDoesNotMatch", 400)
        if not self._fresh(params.get("Timestamp", "")):
            return self._no("", "InvalidTimeStamp.Expired", 400)
        if params.get("SignatureNonce", "") in self.nonces:
            return self._no("", "SignatureNonceUsed", 400)
        self.nonces.add(params.get("SignatureNonce", ""))
        if params.get("SignName") not in account.signs:
            return self._no("", "isv.SMS_SIGNATURE_ILLEGAL")
        variables = account.templates.get(params.get("TemplateCode", ""))
        if variables is None:
            return self._no("", "isv.SMS_TEMPLATE_ILLEGAL")
        try:
            values = json.loads(params.get("TemplateParam", "{}"))
        except ValueError:
            return self._no("", "isv.INVALID_JSON_PARAM")
        if not isinstance(values, dict) or any(v not in values for v in variables):
            return self._no("", "isv.TEMPLATE_MISSING_PARAMETERS")
        if self._too_long([str(values[v]) for v in variables]):
            return self._no("", "isv.PARAM_LENGTH_LIMIT")
        phones = params.get("PhoneNumbers", "").split(",")
        if not all(_CN_MOBILE.match(p) for p in phones):
            return self._no("", "isv.MOBILE_NUMBER_ILLEGAL")
        for phone in phones:
            if (code := self._limited(phone)) is not None:
                return self._no(phone, code)
        text = json.dumps(values, ensure_ascii=False)
        for phone in phones:
            self.took(phone, Got(phone, self.clock(), values, text))
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"{self.requests}", "RequestId": "r"}

    def _fresh(self, stamp: str) -> bool:
        try:
            at = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return False
        return abs(at.timestamp() - self.wall()) <= 900

    def _no(self, key: str, code: str, status: int = 200) -> tuple[int, dict[str, Any]]:
        self.refuse(key, code)
        return status, {"Code": code, "Message": code, "RequestId": "r"}


def _aliyun_signed(secret: str, params: dict[str, str]) -> bool:
    given = params.get("Signature", "")
    rest = {k: v for k, v in params.items() if k != "Signature"}
    encoded = "&".join(
        f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(rest.items())
    )
    to_sign = "POST&%2F&" + quote(encoded, safe="~")
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(given, base64.b64encode(digest).decode())


class TencentSmsStandIn(_Sms):
    name = "腾讯云短信"
    var_max = 12
    limits = (
        (10, 86400.0, "LimitExceeded.PhoneNumberDailyLimit"),
        (1, 30.0, "LimitExceeded.PhoneNumberThirtySecondLimit"),
        (5, 3600.0, "LimitExceeded.PhoneNumberOneHourLimit"),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.apps: set[str] = set()

    def url(self, key_id: str, *, app: str, template: str, sign: str, **options: str) -> str:
        secret = quote(self.accounts[key_id].secret, safe="")
        extra = "".join(f"&{k}={quote(v, safe='')}" for k, v in options.items())
        return (
            f"tencentsms://{key_id}:{secret}@{app}/{template}/?sign={quote(sign, safe='')}"
            f"&api={self.api}&verify=no{extra}"
        )

    def handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        auth = headers.get("authorization", "")
        found = re.match(r"TC3-HMAC-SHA256 Credential=([^/]+)/", auth)
        account = self.accounts.get(found.group(1) if found else "")
        if account is None:
            return self._error("AuthFailure.SecretIdNotFound")
        stamp = headers.get("x-tc-timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - self.wall()) > 300:
            return self._error("AuthFailure.SignatureExpire")
        if not _tc3_signed(account, headers, request.body, int(stamp)):
            return self._error("AuthFailure.SignatureFailure")
        body = request.json() or {}
        if body.get("SmsSdkAppId") not in self.apps:
            return self._error("UnauthorizedOperation.SmsSdkAppIdVerifyFail")
        if body.get("SignName") not in account.signs:
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved")
        variables = account.templates.get(str(body.get("TemplateId")))
        if variables is None:
            return self._error("FailedOperation.TemplateIncorrectOrUnapproved")
        values = [str(v) for v in body.get("TemplateParamSet") or []]
        if len(values) != len(variables):
            return self._error("InvalidParameterValue.TemplateParameterFormatError")
        if self._too_long(values):
            return self._error("InvalidParameterValue.TemplateParameterLengthLimit")
        statuses = [self._send(str(p), values) for p in body.get("PhoneNumberSet") or []]
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": "r"}}

    def _send(self, phone: str, values: list[str]) -> dict[str, Any]:
        local = phone.removeprefix("+86")
        code = "InvalidParameterValue.IncorrectPhoneNumber" if not _CN_MOBILE.match(local) else None
        code = code or self._limited(local)
        if code is None:
            self.took(local, Got(local, self.clock(), values, " ".join(values)))
            return {"PhoneNumber": phone, "Code": "Ok", "Message": "send success"}
        self.refuse(local, code)
        return {"PhoneNumber": phone, "Code": code, "Message": code}

    def _error(self, code: str) -> tuple[int, dict[str, Any]]:
        self.refuse("", code)
        return 200, {"Response": {"Error": {"Code": code, "Message": code}, "RequestId": "r"}}


def _tc3_signed(account: Account, headers: dict[str, str], body: bytes, stamp: int) -> bool:
    day = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{headers.get('content-type', '')}",
            f"host:{headers.get('host', '')}",
            "",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{day}/sms/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(stamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"TC3{account.secret}".encode()
    for part in (day, "sms", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    given = re.search(r"Signature=([0-9a-f]+)", headers.get("authorization", ""))
    return given is not None and hmac.compare_digest(given.group(1), expected)
