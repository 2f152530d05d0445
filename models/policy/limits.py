"""Send limits as pure rules: how many messages an endpoint (a bot key, an SMS account, shared by
everyone who uses it) or one recipient on it (an SMS to one phone) may take in a sliding window,
how many may go now, when the next may, and how alerts are merged so that what is due goes out
in fewer messages instead of being refused or dropped. Standard library only.

Windows slide: a message counts in a window of `seconds` until `seconds` after it was sent,
which is never laxer than a platform counting per calendar minute.

| platform       | per endpoint (shared)           | per recipient (one phone)          |
|----------------|---------------------------------|------------------------------------|
| WeCom bot      | 20 / minute                     | —                                  |
| DingTalk robot | 20 / minute (over it: 10 min)   | —                                  |
| Feishu / Lark  | 100 / minute and 5 / second     | —                                  |
| Aliyun SMS     | —                               | 1 / minute, 5 / hour, 10 / day     |
| Tencent SMS    | —                               | 1 / 30 s, 5 / hour, 10 / day       |

Each channel's endpoint windows can be overridden in the settings (`[dispatch.limits.<id>]`).

Sizes (`SIZE_LIMITS`, bytes of UTF-8 unless said): WeCom text 2,048 and markdown 4,096
(群机器人配置说明); DingTalk 20,000 per message; Feishu/Lark 20 KB per request body
(自定义机器人使用指南); an SMS template variable at most `SMS_VAR_CHARS` characters (阿里云短信
模板变量规范: 35; 腾讯云短信: 12), a link variable excepted."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.policy.platforms import Platform

__all__ = [
    "ENDPOINT_LIMITS",
    "EVENTS_PER_MESSAGE",
    "RECIPIENT_LIMITS",
    "SIZE_LIMITS",
    "SMS_VAR_CHARS",
    "Budget",
    "Window",
    "budget",
    "reserve_of",
    "split_sizes",
]


@dataclass(frozen=True)
class Window:
    count: int
    seconds: float

    @property
    def span(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        unit = {1: "秒", 60: "分钟", 3600: "小时", 86400: "天"}.get(int(self.seconds))
        return f"{self.count} 条/{unit}" if unit else f"{self.count} 条/{self.seconds:g} 秒"


MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
ENDPOINT_LIMITS: dict[Platform, tuple[Window, ...]] = {
    Platform.WECOM: (Window(20, MINUTE),),
    Platform.DINGTALK: (Window(20, MINUTE),),
    Platform.FEISHU: (Window(100, MINUTE), Window(5, 1.0)),
    Platform.LARK: (Window(100, MINUTE), Window(5, 1.0)),
    Platform.ALIYUN_SMS: (),
    Platform.TENCENT_SMS: (),
}
RECIPIENT_LIMITS: dict[Platform, tuple[Window, ...]] = {
    Platform.ALIYUN_SMS: (Window(1, MINUTE), Window(5, HOUR), Window(10, DAY)),
    Platform.TENCENT_SMS: (Window(1, 30.0), Window(5, HOUR), Window(10, DAY)),
}

SIZE_LIMITS: dict[Platform, dict[str, int]] = {
    Platform.WECOM: {"text": 2048, "markdown": 4096},
    Platform.DINGTALK: {"text": 20_000, "markdown": 20_000},
    Platform.FEISHU: {"body": 20 * 1024},
    Platform.LARK: {"body": 20 * 1024},
}
SMS_VAR_CHARS: dict[Platform, int] = {Platform.ALIYUN_SMS: 35, Platform.TENCENT_SMS: 12}
# Alerts one message may carry on a platform, so that each is still named in one line when the
# message must be compacted to fit (a compact line with its link is at most ~300 bytes).
EVENTS_PER_MESSAGE: dict[Platform, int] = {
    Platform.WECOM: 12,
    Platform.DINGTALK: 40,
    Platform.FEISHU: 40,
    Platform.LARK: 40,
}


@dataclass(frozen=True)
class Budget:
    """Messages that may go now; when none may, `free_at` is when the next one may."""

    now: int
    free_at: datetime | None = None

    @staticmethod
    def unlimited() -> Budget:
        return Budget(now=1 << 30)

    def __and__(self, other: Budget) -> Budget:
        """What two sets of limits leave together."""
        frees = [b.free_at for b in (self, other) if b.free_at is not None]
        least = min(self.now, other.now)
        return Budget(least, max(frees) if frees and least == 0 else None)


def budget(windows: Sequence[Window], sent: Sequence[datetime], *, now: datetime) -> Budget:
    """What `windows` leave given the messages `sent` (any order) before `now`."""
    least, free_at = 1 << 30, None
    for window in windows:
        inside = sorted(at for at in sent if at > now - window.span)
        left = window.count - len(inside)
        least = min(least, max(0, left))
        if left <= 0 and inside:
            # it frees when enough of its messages have aged out for one more to go
            free = inside[len(inside) - window.count] + window.span
            free_at = free if free_at is None or free > free_at else free_at
    return Budget(now=least, free_at=free_at if least == 0 else None)


def split_sizes(due: int, allowance: Budget, *, most: int, reserve: int = 0) -> list[int]:
    """How many of `due` alerts (in order) go in each message sent now: one each while what
    may go now, less a `reserve` kept for alerts that may follow (a shared bot's next batch),
    covers them all; beyond it, merged as full as a message may be (`most`), spread evenly, so
    that every alert due goes now if the limit allows and the rest of the limit stays for what
    follows. Empty: none may go now."""
    if due <= 0 or allowance.now <= 0:
        return []
    if due <= allowance.now - reserve:
        return [1] * due
    messages = min(allowance.now, math.ceil(due / most))
    per = min(most, math.ceil(due / messages))
    sizes: list[int] = []
    left = due
    while left > 0 and len(sizes) < messages:
        sizes.append(min(per, left))
        left -= sizes[-1]
    return sizes


def reserve_of(windows: Sequence[Window]) -> int:
    """Messages of a shared endpoint's limit kept back for alerts that may follow (a quarter of
    its longest window): alerts written a batch at a time still go out in the same window."""
    if not windows:
        return 0
    return max(1, math.ceil(max(windows, key=lambda w: w.seconds).count / 4))
