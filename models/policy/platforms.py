"""What the Chinese messaging platforms answer, as one pure table: for each platform the codes
its API puts in the body of an HTTP 200 (or beside an error status), what each one means in
Chinese words, and its outcome class (`models.policy.sending.Outcome`). The platforms refuse
with HTTP 200 and a non-zero code, so the code decides, never the status alone:

- 0 / "OK" / "Ok": delivered;
- a frequency code: busy, with the platform's window as the wait (the alert is tried again
  after it, never lost; a wait longer than a few seconds is left to the outbox);
- a signature, keyword, invalid-key, bad-request or content code: rejected (the person's next
  channel at once under the same notification id; the channel's breaker counts it);
- any other non-zero code: rejected (an unknown code is never taken for success).

Where each table comes from (the platforms' own documentation):

- WeCom group bot (企业微信群机器人, and 政务微信 on its own host): 群机器人配置说明
  https://developer.work.weixin.qq.com/document/path/91770 and 全局错误码
  https://developer.work.weixin.qq.com/document/path/90313.
- DingTalk custom robot (钉钉自定义机器人, 浙政钉/专有钉钉 on their own hosts): 自定义机器人接入
  https://open.dingtalk.com/document/orgapp/custom-robot-access, 安全设置
  https://open.dingtalk.com/document/robots/customize-robot-security-settings and its
  错误码 table.
- Feishu / Lark custom bot (飞书/Lark 自定义机器人): 自定义机器人使用指南
  https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot and
  https://open.larksuite.com/document/client-docs/bot-v3/add-custom-bot.
- Aliyun SMS (阿里云短信 SendSms): https://help.aliyun.com/zh/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms
  and 错误码 https://help.aliyun.com/zh/sms/developer-reference/api-error-codes.
- Tencent Cloud SMS (腾讯云短信 SendSms 2021-01-11): https://cloud.tencent.com/document/api/382/55981
  and 错误码 https://cloud.tencent.com/document/api/382/52075.

Standard library only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from models.policy.sending import Outcome, classify_status

__all__ = [
    "CODES",
    "PLATFORM_LABELS",
    "SCHEMES",
    "Answer",
    "CodeRule",
    "Platform",
    "Verdict",
    "judge",
    "platform_of",
]


class Platform(StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"
    LARK = "lark"
    ALIYUN_SMS = "aliyun_sms"
    TENCENT_SMS = "tencent_sms"


PLATFORM_LABELS = {
    Platform.WECOM: "企业微信",
    Platform.DINGTALK: "钉钉",
    Platform.FEISHU: "飞书",
    Platform.LARK: "Lark",
    Platform.ALIYUN_SMS: "阿里云短信",
    Platform.TENCENT_SMS: "腾讯云短信",
}
# The Apprise URL schemes yuqing's own plugins answer for (the IM ones are Apprise's own
# schemes, so existing URLs keep working).
SCHEMES = {
    "wecombot": Platform.WECOM,
    "dingtalk": Platform.DINGTALK,
    "feishu": Platform.FEISHU,
    "lark": Platform.LARK,
    "aliyunsms": Platform.ALIYUN_SMS,
    "tencentsms": Platform.TENCENT_SMS,
}
SMS = frozenset({Platform.ALIYUN_SMS, Platform.TENCENT_SMS})


@dataclass(frozen=True)
class CodeRule:
    outcome: Outcome
    meaning: str  # the platform's errmsg, in Chinese words
    wait: float | None = None  # busy: the platform's window, seconds before trying again


def _ok(meaning: str = "发送成功") -> CodeRule:
    return CodeRule(Outcome.DELIVERED, meaning)


def _busy(meaning: str, wait: float | None = None) -> CodeRule:
    return CodeRule(Outcome.BUSY, meaning, wait)


def _no(meaning: str) -> CodeRule:
    return CodeRule(Outcome.REJECTED, meaning)


CODES: dict[Platform, dict[str, CodeRule]] = {
    Platform.WECOM: {
        "0": _ok(),
        "-1": _busy("系统繁忙"),
        "45009": _busy("接口调用超过频率限制（每个机器人每分钟最多 20 条）", 60),
        "45033": _busy("接口并发调用超过限制", 1),
        "40008": _no("消息类型不合法"),
        "40058": _no("参数不合法"),
        "44004": _no("消息内容为空"),
        "45002": _no("消息内容超过长度限制"),
        "93000": _no("机器人 webhook 地址无效，或机器人已被移出群聊"),
        "93004": _no("机器人已被停用"),
    },
    Platform.DINGTALK: {
        "0": _ok(),
        "-1": _busy("系统繁忙"),
        # Over 20 a minute the robot is throttled for 10 minutes (自定义机器人接入, 频率限制).
        "130101": _busy("发送太快，超过每分钟 20 条的限制（将被限流 10 分钟）", 600),
        "410100": _busy("发送速度太快而被限流", 600),
        "310000": _no(
            "安全设置校验未通过：关键词不在消息中、签名不匹配、时间戳无效或 IP 不在白名单"
        ),
        "300001": _no("机器人令牌（access_token）无效"),
        "300005": _no("机器人令牌（access_token）不存在"),
        "400013": _no("群已被解散"),
        "400101": _no("机器人令牌（access_token）不存在"),
        "400102": _no("机器人已停用"),
        "400105": _no("不支持的消息类型"),
        "400106": _no("机器人不存在"),
        "430101": _no("消息含有不安全的外链"),
        "430102": _no("消息含有不合适的文本"),
        "430104": _no("消息含有不合适的内容"),
        "40035": _no("缺少参数或参数不合法"),
    },
    Platform.FEISHU: {
        "0": _ok(),
        "9499": _no("请求不合法（消息格式或参数错误）"),
        "11232": _busy("发送频率超过限制（每个机器人每分钟 100 次、每秒 5 次）", 60),
        "19001": _no("webhook 令牌无效"),
        "19002": _no("参数不合法"),
        "19021": _no("签名校验失败，或时间戳与当前时间相差超过 1 小时"),
        "19022": _no("IP 不在白名单"),
        "19024": _no("关键词校验失败：消息中没有设置的关键词"),
    },
    Platform.ALIYUN_SMS: {
        "OK": _ok("短信已提交"),
        "isv.BUSINESS_LIMIT_CONTROL": _busy("业务限流：同一手机号发送过于频繁", 60),
        "Throttling.User": _busy("账号调用过于频繁", 1),
        "isp.SYSTEM_ERROR": _busy("平台系统错误"),
        "isv.DAY_LIMIT_CONTROL": _no("已达到该手机号当日发送上限"),
        "isv.SMS_SIGNATURE_ILLEGAL": _no("短信签名不合法或未审核通过"),
        "isv.SMS_TEMPLATE_ILLEGAL": _no("短信模板不合法或未审核通过"),
        "isv.TEMPLATE_MISSING_PARAMETERS": _no("模板缺少变量"),
        "isv.TEMPLATE_PARAMS_ILLEGAL": _no("模板变量不合法"),
        "isv.PARAM_LENGTH_LIMIT": _no("参数超出长度限制"),
        "isv.INVALID_JSON_PARAM": _no("模板变量不是合法的 JSON"),
        "isv.INVALID_PARAMETERS": _no("参数异常"),
        "isv.MOBILE_NUMBER_ILLEGAL": _no("手机号码格式错误"),
        "isv.SMS_CONTENT_ILLEGAL": _no("短信内容包含禁止发送的内容"),
        "isv.AMOUNT_NOT_ENOUGH": _no("账户余额不足"),
        "isv.OUT_OF_SERVICE": _no("业务停机"),
        "isv.BLACK_KEY_CONTROL_LIMIT": _no("命中黑名单管控"),
        "SignatureDoesNotMatch": _no("请求签名不匹配（AccessKey Secret 错误）"),
        "InvalidAccessKeyId.NotFound": _no("AccessKey ID 不存在"),
        "InvalidTimeStamp.Expired": _no("请求时间戳已过期"),
        "SignatureNonceUsed": _no("请求随机数已被使用"),
    },
    Platform.TENCENT_SMS: {
        "Ok": _ok("短信已提交"),
        "LimitExceeded.PhoneNumberThirtySecondLimit": _busy("同一手机号 30 秒内发送超过上限", 30),
        "LimitExceeded.PhoneNumberOneHourLimit": _busy("同一手机号 1 小时内发送超过上限", 3600),
        "RequestLimitExceeded": _busy("请求频率超过限制", 1),
        "InternalError.Timeout": _busy("平台内部超时"),
        "LimitExceeded.PhoneNumberDailyLimit": _no("已达到该手机号当日发送上限"),
        "LimitExceeded.PhoneNumberSameContentDailyLimit": _no("同一手机号当日相同内容超过上限"),
        "AuthFailure.SignatureFailure": _no("请求签名验证失败（SecretKey 错误）"),
        "AuthFailure.SecretIdNotFound": _no("SecretId 不存在"),
        "AuthFailure.SignatureExpire": _no("签名已过期（时间戳相差过大）"),
        "FailedOperation.SignatureIncorrectOrUnapproved": _no("短信签名不正确或未审核通过"),
        "FailedOperation.TemplateIncorrectOrUnapproved": _no("短信模板不正确或未审核通过"),
        "FailedOperation.ContainSensitiveWord": _no("短信内容含敏感词"),
        "FailedOperation.InsufficientBalanceInSmsPackage": _no("短信套餐包余量不足"),
        "FailedOperation.PhoneNumberInBlacklist": _no("手机号在免打扰名单中"),
        "InvalidParameterValue.IncorrectPhoneNumber": _no("手机号码格式错误"),
        "InvalidParameterValue.TemplateParameterFormatError": _no("模板变量格式错误"),
        "InvalidParameterValue.TemplateParameterLengthLimit": _no("模板变量超出长度限制"),
        "UnauthorizedOperation.SmsSdkAppIdVerifyFail": _no("短信应用 SdkAppId 校验失败"),
    },
}
CODES[Platform.LARK] = CODES[Platform.FEISHU]  # the same API on larksuite.com

# Feishu also answers 9499 when a bot is asked too often ("too many request"): busy, not bad.
_TOO_MANY = re.compile(r"too many request|frequency limit", re.IGNORECASE)
# What may not be shown of a platform's own message: addresses and anything key-like.
_SECRETISH = re.compile(r"https?://\S+|[A-Za-z0-9+/_=-]{16,}")


@dataclass(frozen=True)
class Answer:
    """What one request to a platform came back with: the HTTP status and the platform's code
    and message when it answered; `transport` (refused / unknown) with its reason when it did
    not."""

    platform: Platform
    http_status: int | None = None
    code: str | None = None  # None: no code could be read from the body
    message: str = ""
    transport: Outcome | None = None
    transport_reason: str = ""
    retry_after: float | None = None  # the Retry-After header, seconds


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str  # Chinese, for the timeline, `channels status` and the console
    retry_after: float | None = None


def rule_for(platform: Platform, code: str, message: str = "") -> CodeRule:
    """The table's row for a code; an unknown non-zero code is rejected."""
    if (
        platform in (Platform.FEISHU, Platform.LARK)
        and code == "9499"
        and _TOO_MANY.search(message)
    ):
        return CODES[platform]["11232"]
    found = CODES[platform].get(code)
    if found is not None:
        return found
    return _no("平台返回了未知的错误码")


def judge(answer: Answer) -> Verdict:
    """The outcome class of one request from the platform's answer: the code decides; without
    one, the transport or the HTTP status does, and a 2xx without a readable code is unknown
    (it may have arrived; it is never taken for delivered)."""
    label = PLATFORM_LABELS[answer.platform]
    if answer.transport is not None:
        return Verdict(answer.transport, answer.transport_reason)
    if answer.code is not None:
        rule = rule_for(answer.platform, answer.code, answer.message)
        reason = f"{label}错误码 {answer.code}：{rule.meaning}"
        if rule.outcome is Outcome.DELIVERED:
            reason = ""
        elif answer.code not in CODES[answer.platform]:
            reason += f"（{shown(answer.message)}）" if shown(answer.message) else ""
        wait = rule.wait if rule.wait is not None else answer.retry_after
        return Verdict(rule.outcome, reason, wait if rule.outcome is Outcome.BUSY else None)
    status = answer.http_status
    if status is None or 200 <= status < 300:
        return Verdict(Outcome.UNKNOWN, f"{label}的应答无法识别（没有错误码）")
    outcome = classify_status(status)
    return Verdict(outcome, f"{label} HTTP {status}", answer.retry_after)


def shown(message: str) -> str:
    """A platform's own message as it may be shown: no address, nothing key-like, short."""
    return _SECRETISH.sub("…", message.replace("\n", " ")).strip()[:80]


def platform_of(url: str) -> Platform | None:
    """The platform of a channel URL (by its scheme), or None for any other channel."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    return SCHEMES.get(scheme)
