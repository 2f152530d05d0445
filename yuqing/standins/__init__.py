"""Local stand-ins for the platforms Chinese offices are told through — WeCom group bots,
DingTalk robots, Feishu and Lark bots, Aliyun SMS and Tencent Cloud SMS — real HTTP(S) servers on
127.0.0.1 that check signatures, keep the platforms' limits and sizes and answer with their real
codes. The tests, the benchmarks and the demo use them; a channel URL points at one with the
`api=` option (`stand_in.url(...)` builds it)."""

from yuqing.standins.dingtalk import DingTalkStandIn
from yuqing.standins.feishu import FeishuStandIn, LarkStandIn
from yuqing.standins.server import Got, StandIn
from yuqing.standins.sms import AliyunSmsStandIn, TencentSmsStandIn
from yuqing.standins.wecom import WeComStandIn

__all__ = [
    "AliyunSmsStandIn",
    "DingTalkStandIn",
    "FeishuStandIn",
    "Got",
    "LarkStandIn",
    "StandIn",
    "TencentSmsStandIn",
    "WeComStandIn",
]
