"""What `yuqing config check` says about the channels, beside the settings' own validation:
every channel URL is one Apprise can use (shown only masked); a person on an SMS channel has a
mobile number (unless the URL names its phones); a person in a group channel can be @mentioned
there (WeCom: wecom_userid or mobile, DingTalk: mobile or dingtalk_userid, Feishu/Lark:
feishu_open_id); two channel ids do not send to the same bot (their limits would not be
counted together); and, where the database already exists, a channel that has never delivered
anything is a warning (`yuqing channels test NAME` tries it)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from models.policy.platforms import SMS, Platform
from notifications.channels import is_group_url, is_valid_url, platform_of, privacy_url
from settings import PersonConfig, Settings

MENTIONED_BY = {
    Platform.WECOM: (("wecom_userid", "mobile"), "wecom_userid 或 mobile"),
    Platform.DINGTALK: (("mobile", "dingtalk_userid"), "mobile 或 dingtalk_userid"),
    Platform.FEISHU: (("feishu_open_id",), "feishu_open_id"),
    Platform.LARK: (("feishu_open_id",), "feishu_open_id"),
}


def channel_problems(settings: Settings) -> tuple[list[str], list[str]]:
    """(errors, warnings) about the channels."""
    urls = {cid: url.get_secret_value() for cid, url in settings.secrets.channels.items()}
    errors = [
        f"secrets.channels.{cid}: Apprise 无法识别的地址 {privacy_url(url)}"
        for cid, url in urls.items()
        if not is_valid_url(url)
    ]
    warnings: list[str] = []
    for n, person in enumerate(settings.people):
        for channel in person.channels:
            url = urls.get(channel)
            if url is None or not is_valid_url(url):
                continue
            _person_on(person, n, channel, url, errors, warnings)
    warnings += _shared_bots(urls)
    return errors, warnings


def _person_on(
    person: PersonConfig, n: int, channel: str, url: str, errors: list[str], warnings: list[str]
) -> None:
    platform = platform_of(url)
    if platform in SMS and not person.mobile and not _has_phones(url):
        errors.append(
            f"people.{n}.mobile: {person.name} 使用短信渠道 {channel}，需要填写手机号 mobile"
        )
    if platform in MENTIONED_BY and is_group_url(url):
        fields, named = MENTIONED_BY[platform]
        if not any(getattr(person, field) for field in fields):
            warnings.append(
                f"people.{n}: 群渠道 {channel} 的消息无法 @{person.name}：请填写 {named}"
            )


def _has_phones(url: str) -> bool:
    path = url.split("://", 1)[-1].split("?", 1)[0]
    return any(part.isdigit() and len(part) >= 11 for part in path.split("/")[1:])


def _shared_bots(urls: dict[str, str]) -> list[str]:
    """Channel ids that send to the same bot or account (the same address, options aside)."""
    by_target: dict[str, list[str]] = {}
    for cid, url in sorted(urls.items()):
        if platform_of(url) is not None:
            by_target.setdefault(url.split("?", 1)[0], []).append(cid)
    return [
        f"secrets.channels: {'、'.join(ids)} 指向同一个机器人或短信账号，请只保留一个渠道"
        "（发送频率限制按渠道计）"
        for ids in by_target.values()
        if len(ids) > 1
    ]


def never_delivered(settings: Settings) -> list[str]:
    """Channels of an existing database that have never delivered a message (warnings); no
    database yet, or one that cannot be reached: nothing to say."""
    url = settings.database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return []
    from sqlalchemy import create_engine, select

    from models.store.tables import ChannelHealth

    used = {c for p in settings.people for c in p.channels}
    if parsed.get_backend_name() == "postgresql":  # answer at once, or say nothing
        parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, connect_args={"connect_timeout": 3})
    else:
        engine = create_engine(parsed)
    try:
        with engine.connect() as connection:
            health = ChannelHealth.__table__.c  # type: ignore[attr-defined]
            rows = connection.execute(select(health.channel, health.sent)).all()
    except Exception:  # no table yet, or no server: the check is about channels, not the database
        return []
    finally:
        engine.dispose()
    delivered = {channel for channel, sent in rows if sent}
    return [
        f"secrets.channels.{cid}: 渠道 {cid} 尚无送达记录，可用 yuqing channels test {cid} 试发"
        for cid in sorted(used & set(settings.secrets.channels))
        if cid not in delivered
    ]
