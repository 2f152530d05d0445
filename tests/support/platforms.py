"""Every platform's stand-in at once, for the delivery tests: per platform, a channel URL that
sends to a working bot (or SMS account), one that the platform refuses for a real fault (a
revoked key, a wrong signing secret, an unregistered template), the answer it gives when busy
(its frequency code, and the window that code asks to be waited out) and when it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.policy.platforms import Platform
from yuqing.standins import (
    AliyunSmsStandIn,
    DingTalkStandIn,
    FeishuStandIn,
    LarkStandIn,
    StandIn,
    TencentSmsStandIn,
    WeComStandIn,
)

PHONE = "13800000001"
SMS_VARS = ("case", "item", "due", "link")


@dataclass(frozen=True)
class Bench:
    platform: Platform
    stand_in: StandIn
    url: str  # sends and is delivered
    faulty: str  # the platform refuses it for a real fault
    refused_code: str  # what it says then
    busy: dict[str, Any]  # its answer when over its frequency limit
    busy_code: str
    window: float  # seconds that frequency code asks to wait
    group: bool  # an IM bot: posts into a group chat

    @property
    def key(self) -> str:
        """What the stand-in files this channel's messages under."""
        return PHONE if not self.group else self.stand_in.received[-1].key


class FakeClock:
    """The platforms' clock, moved by the test with its own (they count their limits on it)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at.timestamp()


@contextmanager
def all_platforms(clock: FakeClock | None = None) -> Iterator[dict[Platform, Bench]]:
    kw: dict[str, Any] = {"clock": clock} if clock is not None else {}
    with ExitStack() as stack:
        wecom = stack.enter_context(WeComStandIn(**kw))
        dingtalk = stack.enter_context(DingTalkStandIn(**kw))
        feishu = stack.enter_context(FeishuStandIn(**kw))
        lark = stack.enter_context(LarkStandIn(**kw))
        aliyun = stack.enter_context(AliyunSmsStandIn(**kw))
        tencent = stack.enter_context(TencentSmsStandIn(**kw))
        aliyun.add_account(
            "AKID01", "ak/secret+01", sign="网信办", template="SMS_1", variables=SMS_VARS
        )
        tencent.add_account(
            "TCID01", "tcsecret01", sign="网信办", template="77", variables=SMS_VARS
        )
        tencent.apps.add("1400000001")
        yield {
            Platform.WECOM: Bench(
                Platform.WECOM, wecom, wecom.add_bot("wecomkey01"), wecom.url("revokedkey"),
                "93000", {"errcode": 45009, "errmsg": "api freq out of limit"}, "45009", 60,
                True,
            ),
            Platform.DINGTALK: Bench(
                Platform.DINGTALK, dingtalk, dingtalk.add_robot("dtoken01", secret="SECgood01"),
                dingtalk.url("dtoken01", secret="SECwrong01"), "310000",
                {"errcode": 130101, "errmsg": "send too fast"}, "130101", 600, True,
            ),
            Platform.FEISHU: Bench(
                Platform.FEISHU, feishu, feishu.add_bot("ftoken-01", secret="fgood01"),
                feishu.url("ftoken-01", secret="fwrong01"), "19021",
                {"code": 11232, "msg": "frequency limited"}, "11232", 60, True,
            ),
            Platform.LARK: Bench(
                Platform.LARK, lark, lark.add_bot("ltoken-01"), lark.url("ltoken-gone"), "19001",
                {"code": 11232, "msg": "frequency limited"}, "11232", 60, True,
            ),
            Platform.ALIYUN_SMS: Bench(
                Platform.ALIYUN_SMS, aliyun, aliyun.url("AKID01", template="SMS_1", sign="网信办"),
                aliyun.url("AKID01", template="SMS_9", sign="网信办"), "isv.SMS_TEMPLATE_ILLEGAL",
                {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"},
                "isv.BUSINESS_LIMIT_CONTROL", 60, False,
            ),
            Platform.TENCENT_SMS: Bench(
                Platform.TENCENT_SMS, tencent,
                tencent.url("TCID01", app="1400000001", template="77", sign="网信办"),
                tencent.url("TCID01", app="1400000001", template="78", sign="网信办"),
                "FailedOperation.TemplateIncorrectOrUnapproved",
                {"Response": {"SendStatusSet": [{
                    "Code": "LimitExceeded.PhoneNumberThirtySecondLimit", "Message": "30s",
                    "PhoneNumber": f"+86{PHONE}",
                }]}},
                "LimitExceeded.PhoneNumberThirtySecondLimit", 30, False,
            ),
        }  # fmt: skip
