"""The platforms' own answers decide, one test per row of the code table: each platform's
stand-in answers the code (HTTP 200 with the code in the body, as the platforms do), one real
send goes through Apprise and yuqing's plugin for that scheme, and the attempt's class is the one
written here (the expectations are this file's, not read from the table: a row added to the table
without one here fails). The reason shown is Chinese words with the code, never the key or
address; frequency codes carry the platform's window and are not hammered within the send; an
unknown non-zero code is a refusal, and a 200 without a code is never taken for delivered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from models.policy.platforms import CODES, Platform
from notifications.channels import Attempt, send
from yuqing.standins import (
    AliyunSmsStandIn,
    DingTalkStandIn,
    FeishuStandIn,
    LarkStandIn,
    StandIn,
    TencentSmsStandIn,
    WeComStandIn,
)

EXPECTED: dict[Platform, dict[str, list[str]]] = {
    Platform.WECOM: {
        "delivered": ["0"],
        "busy": ["-1", "45009", "45033"],
        "rejected": ["40008", "40058", "44004", "45002", "93000", "93004"],
    },
    Platform.DINGTALK: {
        "delivered": ["0"],
        "busy": ["-1", "130101", "410100"],
        "rejected": [
            "310000",
            "300001",
            "300005",
            "400013",
            "400101",
            "400102",
            "400105",
            "400106",
            "430101",
            "430102",
            "430104",
            "40035",
        ],
    },
    Platform.FEISHU: {
        "delivered": ["0"],
        "busy": ["11232"],
        "rejected": ["9499", "19001", "19002", "19021", "19022", "19024"],
    },
    Platform.ALIYUN_SMS: {
        "delivered": ["OK"],
        "busy": ["isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "isp.SYSTEM_ERROR"],
        "rejected": [
            "isv.DAY_LIMIT_CONTROL",
            "isv.SMS_SIGNATURE_ILLEGAL",
            "isv.SMS_TEMPLATE_ILLEGAL",
            "isv.TEMPLATE_MISSING_PARAMETERS",
            "isv.TEMPLATE_PARAMS_ILLEGAL",
            "isv.PARAM_LENGTH_LIMIT",
            "isv.INVALID_JSON_PARAM",
            "isv.INVALID_PARAMETERS",
            "isv.MOBILE_NUMBER_ILLEGAL",
            "isv.SMS_CONTENT_ILLEGAL",
            "isv.AMOUNT_NOT_ENOUGH",
            "isv.OUT_OF_SERVICE",
            "isv.BLACK_KEY_CONTROL_LIMIT",
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId.NotFound",
            "InvalidTimeStamp.Expired",
            "SignatureNonceUsed",
        ],
    },
    Platform.TENCENT_SMS: {
        "delivered": ["Ok"],
        "busy": [
            "LimitExceeded.PhoneNumberThirtySecondLimit",
            "LimitExceeded.PhoneNumberOneHourLimit",
            "RequestLimitExceeded",
            "InternalError.Timeout",
        ],
        "rejected": [
            "LimitExceeded.PhoneNumberDailyLimit",
            "LimitExceeded.PhoneNumberSameContentDailyLimit",
            "AuthFailure.SignatureFailure",
            "AuthFailure.SecretIdNotFound",
            "AuthFailure.SignatureExpire",
            "FailedOperation.SignatureIncorrectOrUnapproved",
            "FailedOperation.TemplateIncorrectOrUnapproved",
            "FailedOperation.ContainSensitiveWord",
            "FailedOperation.InsufficientBalanceInSmsPackage",
            "FailedOperation.PhoneNumberInBlacklist",
            "InvalidParameterValue.IncorrectPhoneNumber",
            "InvalidParameterValue.TemplateParameterFormatError",
            "InvalidParameterValue.TemplateParameterLengthLimit",
            "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
        ],
    },
}
EXPECTED[Platform.LARK] = EXPECTED[Platform.FEISHU]
# The platform's window (seconds) a frequency code asks for: longer than a send waits, so the
# send stops after one attempt and the outbox tries again after the window.
WINDOWS = {
    "45009": 60, "130101": 600, "410100": 600, "11232": 60, "isv.BUSINESS_LIMIT_CONTROL": 60,
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30,
    "LimitExceeded.PhoneNumberOneHourLimit": 3600,
}  # fmt: skip
# A per-second limit: waited out within the send (three attempts, a second apart).
SECONDS = {"45033": 1.0, "Throttling.User": 1.0, "RequestLimitExceeded": 1.0}
PHONE = "13800000001"
SECRET_KEY = "AbCdEf0123456789xyz"

ROWS = [
    (platform, outcome, code)
    for platform, classes in EXPECTED.items()
    for outcome, codes in classes.items()
    for code in codes
]


def body_for(platform: Platform, code: str) -> dict[str, Any]:
    """What the platform answers with `code` (HTTP 200)."""
    if platform in (Platform.WECOM, Platform.DINGTALK):
        return {"errcode": int(code), "errmsg": "answered by the stand-in"}
    if platform in (Platform.FEISHU, Platform.LARK):
        return {"code": int(code), "msg": "answered by the stand-in", "data": {}}
    if platform is Platform.ALIYUN_SMS:
        return {"Code": code, "Message": "answered by the stand-in", "RequestId": "r"}
    if code == "Ok":
        return {"Response": {"SendStatusSet": [{"Code": "Ok", "PhoneNumber": f"+86{PHONE}"}]}}
    return {"Response": {"Error": {"Code": code, "Message": "answered"}, "RequestId": "r"}}


@pytest.fixture(scope="module")
def stand_ins() -> Iterator[dict[Platform, tuple[StandIn, str]]]:
    """A stand-in per platform, and a channel URL that sends to it."""
    with (
        WeComStandIn() as wecom,
        DingTalkStandIn() as dingtalk,
        FeishuStandIn() as feishu,
        LarkStandIn() as lark,
        AliyunSmsStandIn() as aliyun,
        TencentSmsStandIn() as tencent,
    ):
        aliyun.add_account("KEYID", SECRET_KEY, sign="网信办", template="SMS_1", variables=("c",))
        tencent.add_account("SECID", SECRET_KEY, sign="网信办", template="77", variables=("a",))
        tencent.apps.add("1400")
        yield {
            Platform.WECOM: (wecom, wecom.add_bot("wecomkey0001")),
            Platform.DINGTALK: (dingtalk, dingtalk.add_robot("dtoken0001", secret="SECdt0001")),
            Platform.FEISHU: (feishu, feishu.add_bot("ftoken-0001", secret="fsecret1")),
            Platform.LARK: (lark, lark.add_bot("ltoken-0001")),
            Platform.ALIYUN_SMS: (
                aliyun,
                aliyun.url("KEYID", template="SMS_1", sign="网信办").replace("/?", f"/{PHONE}?"),
            ),
            Platform.TENCENT_SMS: (
                tencent,
                tencent.url("SECID", app="1400", template="77", sign="网信办").replace(
                    "/77/?", f"/77/{PHONE}?"
                ),
            ),
        }


def one_send(url: str) -> tuple[list[Attempt], list[float]]:
    waits: list[float] = []
    attempts = send(url, title="【一级舆情】快报已超时：案件12", body="测试", sleep=waits.append)
    return list(attempts), waits


def test_every_row_of_the_table_has_its_expectation_here() -> None:
    for platform, rows in CODES.items():
        written = {code for codes in EXPECTED[platform].values() for code in codes}
        assert set(rows) == written, platform


@pytest.mark.parametrize(
    ("platform", "outcome", "code"), ROWS, ids=[f"{p.value}-{c}" for p, _, c in ROWS]
)
def test_the_platforms_code_decides(
    stand_ins: dict[Platform, tuple[StandIn, str]], platform: Platform, outcome: str, code: str
) -> None:
    stand_in, url = stand_ins[platform]
    stand_in.answer_next(*[body_for(platform, code)] * 3)
    attempts, waits = one_send(url)
    stand_in.script.clear()
    assert {a.outcome.value for a in attempts} == {outcome}
    assert all(a.code == code for a in attempts)
    if outcome == "delivered":
        assert (len(attempts), attempts[0].reason) == (1, "")
        return
    reason = attempts[0].reason
    assert code in reason and any("\u4e00" <= ch <= "\u9fff" for ch in reason)
    for secret in ("127.0.0.1", SECRET_KEY, "wecomkey0001", "dtoken0001", "SECdt0001", "ftoken"):
        assert secret not in reason
    if outcome == "rejected":
        assert (len(attempts), waits) == (1, [])  # the next channel at once, no repeat here
    elif code in WINDOWS:
        assert len(attempts) == 1 and attempts[0].retry_after == WINDOWS[code]
    elif code in SECONDS:
        assert len(attempts) == 3 and waits == [SECONDS[code]] * 2
    else:
        assert len(attempts) == 3 and waits == [0.2, 0.4]  # a moment's busyness: tried again


@pytest.mark.parametrize("platform", list(EXPECTED), ids=lambda p: p.value)
def test_an_unknown_code_is_a_refusal_and_a_200_without_one_is_never_delivered(
    stand_ins: dict[Platform, tuple[StandIn, str]], platform: Platform
) -> None:
    stand_in, url = stand_ins[platform]
    sms = platform in (Platform.ALIYUN_SMS, Platform.TENCENT_SMS)
    unknown = "Odd.Code" if sms else "987654"
    stand_in.answer_next(body_for(platform, unknown))
    attempts, _ = one_send(url)
    assert [(a.outcome.value, a.code) for a in attempts] == [("rejected", unknown)]
    assert "未知的错误码" in attempts[0].reason
    stand_in.answer_next({"note": "no code here"})
    attempts, _ = one_send(url)
    assert [a.outcome.value for a in attempts] == ["unknown"]  # it may have arrived: no repeat


def test_the_stand_ins_answer_real_codes_to_real_faults(
    stand_ins: dict[Platform, tuple[StandIn, str]],
) -> None:
    """Not scripted: a revoked key, a wrong signature, an unregistered template."""
    wecom, _ = stand_ins[Platform.WECOM]
    dingtalk, _ = stand_ins[Platform.DINGTALK]
    feishu, _ = stand_ins[Platform.FEISHU]
    aliyun, _ = stand_ins[Platform.ALIYUN_SMS]
    assert isinstance(wecom, WeComStandIn) and isinstance(dingtalk, DingTalkStandIn)
    assert isinstance(feishu, FeishuStandIn) and isinstance(aliyun, AliyunSmsStandIn)
    cases = [
        (wecom.url("nosuchkey"), "93000"),
        (dingtalk.url("dtoken0001", secret="SECwrong"), "310000"),
        (dingtalk.url("dtoken0001"), "310000"),  # 加签 on, no signature sent
        (feishu.url("ftoken-0001", secret="wrongsecret"), "19021"),
    ]
    for url, code in cases:
        attempts, _ = one_send(url)
        assert [(a.outcome.value, a.code) for a in attempts] == [("rejected", code)], url
    template = aliyun.url("KEYID", template="SMS_404", sign="网信办").replace("/?", f"/{PHONE}?")
    attempts, _ = one_send(template)
    refused = [(a.outcome.value, a.code) for a in attempts]
    assert refused == [("rejected", "isv.SMS_TEMPLATE_ILLEGAL")]


def test_feishu_9499_asking_to_slow_down_is_busy_not_a_bad_request() -> None:
    from models.policy.platforms import Answer, judge

    slow = judge(Answer(Platform.FEISHU, http_status=200, code="9499", message="too many request"))
    bad = judge(Answer(Platform.FEISHU, http_status=200, code="9499", message="Bad Request"))
    assert (slow.outcome.value, slow.retry_after) == ("busy", 60)
    assert bad.outcome.value == "rejected" and "请求不合法" in bad.reason
