"""The group storm (part of `bench/burst.py`): 1,000 一级 lapses due in one second to 200 people
who share 10 WeCom group bots (20 people a bot, 20 messages a minute each, as WeCom allows), a
fifth of them on a personal Aliyun SMS first (1 a minute per phone), served by the real `yuqing
serve` against the platforms' stand-ins in a process of their own (keeping those limits on the
real clock). Measured: seconds from the due time until every person has been told of every
lapse (each alert's first delivered attempt, answered), the platforms' refusals (target 0), and
the floor the limits allow: one alert per message (each bot's events at 20 a minute, each
phone's at 1 a minute) and merged (as many events per message as a message may name, every
lapse known at once: a phone whose lapses the sweep writes in different batches gets its first
SMS at once and the rest merged a minute later)."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from peers import free_port
from platform_peer import Platforms
from serving import DESK_ROLES, add_deadlines, serving, set_due
from sqlalchemy import func, select
from sqlmodel import col

from models.policy.limits import EVENTS_PER_MESSAGE
from models.policy.platforms import Platform
from models.policy.states import NotificationStatus
from models.store.db import session_scope
from models.store.tables import Delivery, Notification
from tasks.runtime import prepare

PEOPLE = [f"g{n:03d}" for n in range(200)]
BOTS = [f"groupbot{n:02d}" for n in range(10)]
LAPSES = 1000
SMS_FIRST = {p for n, p in enumerate(PEOPLE) if n % 5 == 0}
SMS_ACCOUNT = ("AKIDSTORM", "storm-secret")


def bot_of(n: int) -> str:
    return BOTS[n % len(BOTS)]


def owner_of(lapse: int) -> int:
    """The person (index) a lapse is about: each person's lapses are consecutive, so the sweep
    writes them in the same batch, as one person's backlog would be."""
    return lapse * len(PEOPLE) // LAPSES


def write_config(directory: Path, database_url: str, urls: dict[str, str]) -> Path:
    people = ""
    for n, person in enumerate(PEOPLE):
        bot = f"bot{n % len(BOTS):02d}"
        channels = ["sms", bot] if person in SMS_FIRST else [bot, "sms"]
        people += (
            f'[[people]]\nid = "{person}"\nname = "人{n}"\nunit = "office"\n'
            f'roles = ["monitor"]\nchannels = {channels!r}\nmobile = "13{n:09d}"\n'
            f'wecom_userid = "u{person}"\n\n'
        ).replace("'", '"')
    desk = (
        '[[people]]\nid = "desk"\nname = "值班台"\nunit = "office"\n'
        f'roles = {DESK_ROLES!r}\nchannels = ["desk_hook"]\n\n'
    ).replace("'", '"')
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[serve]\nprefect_port = {free_port()}\n\n'
        f'[web]\nport = {free_port()}\n\n[[units]]\nid = "office"\nname = "办公室"\n\n'
        + people
        + desk,
        encoding="utf-8",
    )
    bots = "".join(f'bot{n:02d} = "{urls[key]}"\n' for n, key in enumerate(BOTS))
    (directory / "secrets.toml").write_text(
        f'database_url = "{database_url}"\n\n[channels]\n{bots}sms = "{urls[SMS_ACCOUNT[0]]}"\n'
        'desk_hook = "json://127.0.0.1:9/desk"\n',
        encoding="utf-8",
    )
    return config


def floors() -> tuple[float, float]:
    """(one alert per message, merged): seconds the limits allow at best."""
    per_bot: dict[str, int] = {}
    per_phone: dict[str, int] = {}
    for n in range(LAPSES):
        owner = owner_of(n)
        if PEOPLE[owner] in SMS_FIRST:
            per_phone[PEOPLE[owner]] = per_phone.get(PEOPLE[owner], 0) + 1
        else:
            per_bot[bot_of(owner)] = per_bot.get(bot_of(owner), 0) + 1
    most = EVENTS_PER_MESSAGE[Platform.WECOM]
    single = max(
        [(math.ceil(e / 20) - 1) * 60 for e in per_bot.values()]
        + [(e - 1) * 60 for e in per_phone.values()]
    )
    merged = max(
        [(math.ceil(math.ceil(e / most) / 20) - 1) * 60 for e in per_bot.values()]
        + [(math.ceil(e / 20) - 1) * 60 for e in per_phone.values()]
    )
    return float(single), float(merged)


def group_storm(database_url: str, directory: Path) -> dict[str, float]:
    with Platforms(bots=BOTS, sms=[SMS_ACCOUNT]) as platforms:
        config = write_config(directory, database_url, platforms.urls)
        runtime = prepare(str(config))
        owners = [PEOPLE[owner_of(n)] for n in range(LAPSES)]
        ids = add_deadlines(runtime.engine, owners, title="群风暴")
        with serving(config):
            due = datetime.fromtimestamp(int(time.time()) + 5, tz=UTC)
            set_due(runtime.engine, dict.fromkeys(ids, due))
            finished = _wait_sent(runtime.engine, limit=900)
        refused = platforms.refused()
        messages = platforms.messages()
    told = _told_seconds(runtime.engine, due)
    runtime.engine.dispose()
    single, merged = floors()
    print(
        f"  group storm: {LAPSES} lapses, {len(PEOPLE)} people, {len(BOTS)} bots + SMS: "
        f"everyone told in {told:.1f} s ({'all sent' if finished else 'NOT all sent'}); "
        f"{len(messages)} messages, {len(refused)} refusals by the platforms; floor "
        f"{single:.0f} s one alert a message, {merged:.0f} s merged"
    )
    return {
        "group_storm_told_s": round(told, 2),
        "group_storm_refusals": len(refused),
        "group_storm_messages": len(messages),
        "group_storm_floor_single_s": single,
        "group_storm_floor_merged_s": merged,
        "group_storm_all_sent": int(finished),
    }


def _wait_sent(engine: object, *, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with session_scope(engine) as session:  # type: ignore[arg-type]
            left = session.execute(
                select(func.count())
                .select_from(Notification)
                .where(
                    Notification.status != NotificationStatus.SENT,  # type: ignore[arg-type]
                    Notification.obligation_id.is_not(None),  # type: ignore[union-attr]
                )
            ).scalar_one()
            total = session.execute(
                select(func.count())
                .select_from(Notification)
                .where(Notification.obligation_id.is_not(None))  # type: ignore[union-attr]
            ).scalar_one()
        if total >= LAPSES and left == 0:
            return True
        time.sleep(0.5)
    return False


def _told_seconds(engine: object, due: datetime) -> float:
    """Seconds from `due` to the last alert's first delivered attempt answered."""
    with session_scope(engine) as session:  # type: ignore[arg-type]
        rows = session.execute(
            select(
                col(Delivery.notification_id), func.min(Delivery.at), func.max(Delivery.elapsed_ms)
            )
            .where(Delivery.ok.is_(True))  # type: ignore[attr-defined]
            .group_by(Delivery.notification_id)
        ).all()
    done = [at + timedelta(milliseconds=ms or 0) for _, at, ms in rows]
    return max((at - due).total_seconds() for at in done) if done else float("nan")
