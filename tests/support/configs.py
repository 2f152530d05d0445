"""Factories for the settings files tests write: a plain typed function with explicit keywords,
producing a yuqing.toml (and a secrets.toml beside it) for one office."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from yuqing.localservers import WebhookReceiver

OFFICE = (  # id, name, roles, unit
    ("wangfang", "王芳", ["office_staff"], "office"),
    ("liqiang", "李强", ["leader_in_charge"], "office"),
    ("zhaomin", "赵敏", ["duty_officer"], "office"),
    ("chenjun", "陈军", ["principal_leader", "office_head"], "office"),
    ("sunli", "孙力", ["group_head"], "office"),
    ("zhangwei", "张伟", ["unit_responsible"], "school"),  # the school's responsible person
    ("liuyang", "刘洋", ["unit_liaison"], "school"),  # and its liaison
)
UNITS = '[[units]]\nid = "office"\nname = "办公室"\n\n[[units]]\nid = "school"\nname = "市一中"\n\n'


def write_office_config(
    directory: Path,
    *,
    database_url: str,
    receiver: WebhookReceiver,
    feed_url: str = "http://127.0.0.1:9/none.xml",
    preset: str = "default",
    sources_toml: str | None = None,
    collect_toml: str = "",
    extra_secrets: str = "",
    roles: Mapping[str, list[str]] | None = None,
) -> Path:
    """An office with one feed source (or `sources_toml`), one topic and a full chain, each
    person on the receiver; `collect_toml` adds lines to the [collect] section; `roles` gives
    some people other roles (a promotion, a demotion)."""
    sources = (
        sources_toml or f'[[sources]]\nid = "forum"\nname = "本地论坛"\nurl = "{feed_url}"\n\n'
    )

    changed = roles or {}
    people = "".join(
        f'[[people]]\nid = "{pid}"\nname = "{name}"\nunit = "{unit}"\n'
        f"roles = {json.dumps(changed.get(pid, held))}\n"
        f'channels = ["{pid}_hook"]\n\n'
        for pid, name, held, unit in OFFICE
    )
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[database]\nurl = "{database_url}"\n\n'
        f'[policy]\npreset = "{preset}"\n\n[collect]\n{collect_toml}\n\n{sources}'
        '[[topics]]\nid = "school"\nname = "学校"\ninclude_any = ["学校", "中学"]\n'
        'exclude = ["招生广告"]\n\n' + UNITS + people,
        encoding="utf-8",
    )
    secrets = "".join(
        f'{pid}_hook = "{receiver.apprise_url("/hook/" + pid)}"\n' for pid, *_ in OFFICE
    )
    (directory / "secrets.toml").write_text(
        f"{extra_secrets}\n[channels]\n{secrets}", encoding="utf-8"
    )
    return config


def rss(
    items: list[tuple[str, str, int, int]],
    *,
    base: str = "http://forum.test",
    encoding: str = "utf-8",
    declared: str | None = None,
) -> bytes:
    """An RSS 2.0 document; each item is (title, path, clicks, comments). `encoding` is how the
    bytes are encoded, `declared` what the XML declaration claims (default: the same)."""
    entries = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><description>{title}</description>"
        f"<slash:comments>{comments}</slash:comments><yq:clicks>{clicks}</yq:clicks></item>"
        for title, path, clicks, comments in items
    )
    return (
        f'<?xml version="1.0" encoding="{declared or encoding}"?><rss version="2.0" '
        'xmlns:slash="http://purl.org/rss/1.0/modules/slash/" xmlns:yq="urn:yuqing:metrics">'
        f"<channel><title>论坛</title>{entries}</channel></rss>"
    ).encode(encoding, errors="xmlcharrefreplace")


def write_dispatch_config(
    directory: Path,
    *,
    database_url: str,
    channel_urls: dict[str, str],
    dispatch_toml: str = "",
    extra_toml: str = "",
    roles: dict[str, list[str]] | None = None,
) -> Path:
    """A settings file for dispatcher processes: one unit, one person per channel (`p3` has
    channel `p3_hook`, roles `roles["p3"]` or just monitor), the channel URLs as secrets,
    `dispatch_toml` lines in [dispatch]."""
    people = ""
    for n, channel in enumerate(channel_urls):
        person = channel.removesuffix("_hook")
        held = json.dumps((roles or {}).get(person, ["monitor"]))
        people += (
            f'[[people]]\nid = "{person}"\nname = "人{n}"\nunit = "office"\n'
            f'roles = {held}\nchannels = ["{channel}"]\n\n'
        )
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[dispatch]\n{dispatch_toml}\n\n{extra_toml}\n\n'
        '[[units]]\nid = "office"\nname = "办公室"\n\n' + people,
        encoding="utf-8",
    )
    secrets = "".join(f'{channel} = "{url}"\n' for channel, url in channel_urls.items())
    (directory / "secrets.toml").write_text(
        f'database_url = "{database_url}"\n\n[channels]\n{secrets}', encoding="utf-8"
    )
    return config
