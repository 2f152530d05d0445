"""When every channel of a person has failed: the alert is never given up silently. As pure
rules: it starts over on the person's first channel after a back-off that doubles with each
round (from `base`, at most `cap`), until it is delivered or `give_up_after` has passed since
its channels first all failed (one last try falls exactly on that limit); meanwhile the office
is told that the person cannot be reached, once when it starts and once when it ends, and in
the words of this module. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.policy.faults import lasted


def start_over_at(
    *,
    rounds: int,
    since: datetime,
    ended: datetime,
    give_up_after: timedelta,
    base: timedelta,
    cap: timedelta,
) -> datetime | None:
    """Every channel failed, for the `rounds`-th time (this one included), the first time at
    `since`, the last send ending at `ended`: when to start over on the first channel, or None
    to give up (the time allowed has passed)."""
    limit = since + give_up_after
    if ended >= limit:
        return None
    wait: timedelta = min(cap, base * 2 ** max(0, rounds))
    restart: datetime = min(ended + wait, limit)
    return restart


def unreachable_lines(
    *,
    name: str,
    channels: Sequence[str],
    since: datetime,
    cases: Sequence[tuple[int, str]],
    waiting: int,
    give_up_at: datetime,
    tz: ZoneInfo,
) -> tuple[str, ...]:
    """What the office is told when a person cannot be reached: who, since when, on which
    channels, about which cases, and until when yuqing keeps trying."""
    shown = "、".join(f"{number}号（{title}）" for number, title in cases[:5])
    more = f"等 {len(cases)} 个案件" if len(cases) > 5 else ""
    return (
        f"{name} 的全部通知渠道（{'、'.join(channels) or '无'}）自 "
        f"{since.astimezone(tz):%m-%d %H:%M:%S} 起发送失败，暂时无法联系。",
        f"待送达通知 {waiting} 条" + (f"，涉及案件 {shown}{more}" if cases else "") + "。",
        f"系统继续重试，直到送达或 {give_up_at.astimezone(tz):%m-%d %H:%M} 为止；"
        "请设法用电话等其他方式联系本人。",
    )


def reached_lines(*, name: str, since: datetime, reached: datetime) -> tuple[str, ...]:
    """What the office is told when an alert reached the person again."""
    return (f"{name} 已恢复联系：通知已重新送达（中断 {lasted(reached - since)}）。",)
