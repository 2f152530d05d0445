"""The demo's local platforms: the office's WeCom group bot, the school's DingTalk robot (加签)
and an Aliyun SMS gateway, stand-ins counting their limits on the demo's moved clock, and what
each of them got."""

from __future__ import annotations

from models.policy.clocks import utc_now
from yuqing.standins import AliyunSmsStandIn, DingTalkStandIn, WeComStandIn

WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET = "demo0office0wecom", "demo0school", "SECdemo0school"
SMS_KEY = ("LTAIdemo", "demo-sms-secret")


class SimClock:
    """The demo's moved clock, as the platforms' stand-ins count their limits on it (the
    demo's minutes pass in seconds)."""

    def __init__(self) -> None:
        self.at = utc_now()

    def __call__(self) -> float:
        return self.at.timestamp()


class Platforms:
    """The demo's local platforms: the office's WeCom group bot, the school's DingTalk robot
    (加签) and an Aliyun SMS gateway, on the demo's clock; every message each got."""

    def __init__(
        self,
        wecom: WeComStandIn,
        dingtalk: DingTalkStandIn,
        sms: AliyunSmsStandIn,
        clock: SimClock,
    ) -> None:
        self.wecom, self.dingtalk, self.sms, self.clock = wecom, dingtalk, sms, clock

    def urls(self) -> dict[str, str]:
        self.sms.add_account(*SMS_KEY, sign="舆情办", template="SMS_DEMO",
                             variables=("case", "item", "due", "link"))  # fmt: skip
        return {
            "office_wecom": self.wecom.add_bot(WECOM_KEY),
            "school_dingtalk": self.dingtalk.add_robot(DINGTALK_TOKEN, secret=DINGTALK_SECRET),
            "sms": self.sms.url(SMS_KEY[0], template="SMS_DEMO", sign="舆情办"),
        }

    def texts(self) -> list[str]:
        """Every message's text, as its people read it (an SMS: its template's values)."""
        got = [*self.wecom.received, *self.dingtalk.received, *self.sms.received]
        return [g.text for g in got]

    def texts_of_school(self) -> list[str]:
        return [g.text for g in self.dingtalk.received]
