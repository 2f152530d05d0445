"""yuqing's Apprise plugins for the platforms Chinese offices use: WeCom group bots, DingTalk
robots, Feishu and Lark bots (the same schemes as Apprise's own, which they replace: existing
URLs keep working and gain the platform's answer), Aliyun SMS and Tencent Cloud SMS. `register`
hands them to Apprise's plugin manager (`NotificationManager.add(..., force=True)`, Apprise's own
way to override a scheme); `notifications.channels` calls it once, on import."""

from __future__ import annotations

import threading
from typing import Any

from apprise.manager_plugins import NotificationManager

from notifications.platforms.aliyun_sms import YuqingAliyunSms
from notifications.platforms.base import PlatformPlugin
from notifications.platforms.dingtalk import YuqingDingTalk
from notifications.platforms.feishu import YuqingFeishu, YuqingLark
from notifications.platforms.tencent_sms import YuqingTencentSms
from notifications.platforms.wecom import YuqingWeComBot

PLUGINS: tuple[type[PlatformPlugin], ...] = (
    YuqingWeComBot,
    YuqingDingTalk,
    YuqingFeishu,
    YuqingLark,
    YuqingAliyunSms,
    YuqingTencentSms,
)
_done = threading.Event()
_lock = threading.Lock()


def register() -> None:
    """Make Apprise use yuqing's plugins for their schemes (once per process)."""
    if _done.is_set():
        return
    with _lock:
        if _done.is_set():
            return
        manager: Any = NotificationManager()  # type: ignore[no-untyped-call]
        for plugin in PLUGINS:
            if not manager.add(plugin, force=True):
                raise RuntimeError(f"Apprise refused the plugin for {plugin.secure_protocol}://")
        _done.set()


__all__ = ["PLUGINS", "PlatformPlugin", "register"]
