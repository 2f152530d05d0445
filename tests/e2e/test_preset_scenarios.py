"""Every preset's own plan, played through the `yuqing` CLI only, on a moved clock, on SQLite and
PostgreSQL, with a local receiver: one case registered at the preset's top grade and carried by
people through each stage of the preset's template (快报, 研判, 联系单, 核查, 通稿 drafted and
approved by the grade's approver, 回应, 跟踪, 办结, 总结评估 — as far as the template goes).

At each step the test checks, from its own table of who holds which role (not from yuqing's
routing), that exactly the people the preset names for that stage and grade got the message:
the quick report's targets, the unit's responsible person and liaison for the contact sheet, the
approvers for the statement. Where the seed itself names who is told or who decides
(`tests.support.seed_rules`, each row citing its section: S0-7 五.2's 市政府分管领导 and 宣传部,
S1-1's 主要领导, S1-2's 办公室主任, S1-5's 组长, S1-6's 党组/上级/县网信办, S1-13's 市委, S4's
政法委/宣传部/网信办…), that table decides, not the preset. Every deadline a step starts is checked
against the preset's own numbers: wall clocks by adding the duration, day clocks against the
`chinese_calendar` package (the State Council calendar with its 调休 make-up days) as an
independent oracle. The final timeline holds every stage change in order. A case of the lowest
grade is reported where its seed says, and one upgraded to the top grade is chased under the top
grade's titles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from typer.testing import CliRunner, Result

from models.policy import Clock, ObligationRule, Policy, StageEvent
from models.policy.grades import GradeLevel
from models.policy.stages import EVENT_TARGET, STAGE_LABELS, Stage
from models.store.presets import list_presets
from tasks.runtime import prepare
from tests.support.seed_rules import SEEDS, Seed
from yuqing.cli import app
from yuqing.localservers import WebhookReceiver

pytestmark = pytest.mark.flows

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai, a working day
# The office: person → (name, unit, roles). Outside bodies are units of their own.
OFFICE: dict[str, tuple[str, str, list[str]]] = {
    "wangfang": ("王芳", "office", ["office_staff", "monitor"]),
    "chenjun": ("陈军", "office", ["office_head"]),
    "liqiang": ("李强", "office", ["leader_in_charge"]),
    "zhoumin": ("周敏", "office", ["principal_leader"]),
    "sunli": ("孙力", "office", ["group_head"]),
    "zhaomin": ("赵敏", "office", ["duty_officer"]),
    "qianjin": ("钱进", "office", ["approver"]),
    "zhangwei": ("张伟", "school", ["unit_responsible"]),
    "liuyang": ("刘洋", "school", ["unit_liaison"]),
    "xuanchuan": ("宣传部值班", "propaganda", ["propaganda_dept"]),
    "wangxin": ("网信办值班", "cac", ["cyberspace_office"]),
    "dangwei": ("镇党委", "party", ["party_committee"]),
    "xianzu": ("县领导小组", "county", ["superior_group"]),
    "shizhengfu": ("市政府分管领导", "government", ["government_leader"]),
    "zhengfawei": ("县委政法委", "politics", ["political_legal"]),
}
UNITS = {
    "office": ("领导小组办公室", False),
    "school": ("市一中", False),
    "propaganda": ("县委宣传部", True),
    "cac": ("县网信办", True),
    "party": ("镇党委", True),
    "county": ("县领导小组", True),
    "government": ("市政府", True),
    "politics": ("县委政法委", True),
}
# S1-6 leaves these numbers blank ("x小时"): an office using it supplies them.
OVERRIDES = {
    "s1-6": {
        "obligations.g1.upward_report.duration": "1h",
        "obligations.g2.upward_report.duration": "2h",
        "obligations.g1.golden_hours.duration": "4h",
        "obligations.g2.golden_hours.duration": "6h",
        "obligations.g3.golden_hours.duration": "12h",
        "obligations.g4.golden_hours.duration": "24h",
    }
}
PRESETS = [p.id for p in list_presets()]


def holders(roles: tuple[str, ...], *, units: list[str]) -> set[str]:
    """Who holds `roles` in this office: the unit roles only within the case's units."""
    unit_roles = {"unit_responsible", "unit_liaison"}
    return {
        pid
        for pid, (_, unit, held) in OFFICE.items()
        for role in roles
        if role in held and (role not in unit_roles or unit in units)
    }


def write_config(directory: Path, preset: str, database_url: str, hooks: WebhookReceiver) -> str:
    units = "".join(
        f'[[units]]\nid = "{uid}"\nname = "{name}"\nexternal = {str(external).lower()}\n\n'
        for uid, (name, external) in UNITS.items()
    )
    people = "".join(
        f'[[people]]\nid = "{pid}"\nname = "{name}"\nunit = "{unit}"\n'
        f'roles = {json.dumps(roles)}\nchannels = ["{pid}_hook"]\n\n'
        for pid, (name, unit, roles) in OFFICE.items()
    )
    overrides = ", ".join(f'"{k}" = "{v}"' for k, v in OVERRIDES.get(preset, {}).items())
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[database]\nurl = "{database_url}"\n\n'
        f'[policy]\npreset = "{preset}"\noverrides = {{ {overrides} }}\n\n{units}{people}',
        encoding="utf-8",
    )
    secrets = "".join(f'{pid}_hook = "{hooks.apprise_url("/hook/" + pid)}"\n' for pid in OFFICE)
    (directory / "secrets.toml").write_text(f"[channels]\n{secrets}", encoding="utf-8")
    return str(config)


# --- the independent oracle for due times ------------------------------------------------------


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=TZ).astimezone(UTC)


def expected_due(rule: ObligationRule, anchor: datetime) -> datetime:
    """The due time the preset's number means (DESIGN §4): wall time added; day clocks count
    from the day after the anchor and end at 24:00; working days follow the State Council
    calendar; a calendar-day period ending on a rest day moves to the next working day."""
    if rule.clock is Clock.wall:
        assert rule.duration is not None
        return anchor + rule.duration
    assert rule.days is not None
    day = anchor.astimezone(TZ).date()
    if rule.clock is Clock.calendar_days:
        day += timedelta(days=rule.days)
        while not chinese_calendar.is_workday(day):
            day += timedelta(days=1)
        return _end_of(day)
    counted = 0
    while counted < rule.days:
        day += timedelta(days=1)
        counted += chinese_calendar.is_workday(day)
    return _end_of(day)


# --- the scenario -----------------------------------------------------------------------------


def told_roles(
    preset: str, policy: Policy, event: StageEvent, level: GradeLevel
) -> tuple[str, ...]:
    """Who must hear of `event` at the grade: the seed's own words where it has them, else the
    preset's routing (the product's defaults for what the seed leaves open)."""
    seed = SEEDS.get(preset, Seed())
    found = Seed.at(seed.report, policy.scheme, level.id) if event is StageEvent.report else None
    if event is StageEvent.review and seed.review is not None:
        found = seed.review
    return tuple(found.roles) if found else policy.notify_roles(event, level.id)


class Office:
    def __init__(self, config: str, receiver: WebhookReceiver, policy: Policy, preset: str) -> None:
        self.config, self.receiver, self.policy = config, receiver, policy
        self.preset = preset
        self.clock = T0

    def cli(self, *args: str, at: datetime | None = None) -> Result:
        when = (at or self.clock).isoformat()
        return CliRunner().invoke(app, ["--config", self.config, "--at", when, "case", *args])

    def ok(self, *args: str) -> dict[str, Any]:
        result = self.cli(*args, "--json")
        assert result.exit_code == 0, f"{args}: {result.output}"
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def received_since(self, count: int) -> dict[str, list[str]]:
        """Person → titles received after the first `count` messages."""
        got: dict[str, list[str]] = {}
        for request in self.receiver.received[count:]:
            got.setdefault(request.path.rsplit("/", 1)[-1], []).append(request.json()["title"])
        return got

    def obligations(self, case_id: int) -> dict[str, dict[str, Any]]:
        shown = self.ok("show", str(case_id))
        return {o["key"]: o for o in shown["obligations"]}


@pytest.fixture
def office(
    prefect_harness: str,
    database_url: str,
    tmp_path: Path,
    receiver: WebhookReceiver,
    request: pytest.FixtureRequest,
) -> Iterator[Office]:
    preset = request.node.callspec.params["preset"]
    config = write_config(tmp_path, preset, database_url, receiver)
    runtime = prepare(config)
    yield Office(config, receiver, runtime.policy, preset)
    runtime.engine.dispose()


STAGE_VERBS: dict[Stage, list[str]] = {
    Stage.reported: ["report", "--unit", "school", "--by", "王芳"],
    Stage.assessed: ["assess", "--category", "inquiry", "--unit", "school", "--by", "李强"],
    Stage.dispatched: ["dispatch", "--unit", "school", "--by", "王芳"],
    Stage.verified: ["verify", "--result", "经核查属实，已整改", "--by", "张伟"],
    Stage.responded: ["respond", "--url", "https://gov.example/reply/1", "--by", "王芳"],
    Stage.tracking: ["track", "--by", "王芳"],
    Stage.closed: ["close", "--outcome", "subsided", "--reason", "舆情平息", "--by", "王芳"],
    Stage.reviewed: [
        "review",
        "--summary",
        "处置及时",
        "--cause",
        "管理疏漏",
        "--lessons",
        "加强检查",
        "--by",
        "王芳",
    ],
}


def check_new_deadlines(office: Office, case_id: int, top: str, seen: set[str]) -> None:
    """Every obligation that appeared since the last look is due where the preset says."""
    for key, o in office.obligations(case_id).items():
        if key in seen:
            continue
        seen.add(key)
        rule = office.policy.rule_any_grade(top, key)
        anchor = datetime.fromisoformat(o["anchor_at"])
        assert datetime.fromisoformat(o["due_at"]) == expected_due(rule, anchor), (key, rule)


@pytest.mark.parametrize("preset", PRESETS)
def test_a_case_lives_its_whole_life_under_the_preset(office: Office, preset: str) -> None:
    policy = office.policy
    top = policy.scheme.by_rank()[0]
    case_id = office.ok("register", "--title", "某中学食堂饭菜变质", "--grade", top.id)["case_id"]
    seen: set[str] = set()
    check_new_deadlines(office, case_id, top.id, seen)
    assert seen, "registration starts the grade's first deadlines"
    units: list[str] = []
    stages = [s for s in policy.template.stages if s is not Stage.detected]
    for stage in stages:
        office.clock += timedelta(minutes=7)
        before = len(office.receiver.received)
        if stage is Stage.statement_approved:
            told = statement(office, case_id, top.id, before)
        else:
            verb, *options = STAGE_VERBS[stage]
            if stage is Stage.assessed:  # 研判 confirms the grade the case has
                options += ["--grade", top.id]
            office.ok(verb, str(case_id), *options)
            if stage in (Stage.reported, Stage.assessed, Stage.dispatched):
                units = ["school"]
            told = office.received_since(before)
        event = next(
            e for e, s in EVENT_TARGET.items() if s is stage and e is not StageEvent.reopen
        )
        expected = holders(told_roles(office.preset, policy, event, top), units=units)
        marker = {
            Stage.reported: "舆情快报",
            Stage.dispatched: "联系单",
        }.get(stage, f"→ {STAGE_LABELS[stage]}")
        got = {person for person, titles in told.items() if any(marker in t for t in titles)}
        assert got == expected, (stage, got, expected)
        check_new_deadlines(office, case_id, top.id, seen)

    shown = office.ok("show", str(case_id))
    assert shown["stage"] == stages[-1].value
    moves = [e["message"] for e in shown["timeline"] if e["kind"] == "stage_changed"]
    assert [m.rsplit("→ ", 1)[1] for m in moves] == [STAGE_LABELS[s] for s in stages]
    after_closure = {"review", "filing"}  # 总结评估; S2-4.3 三.6 立卷归档, met by `case archive`
    assert all(
        o["status"] != "open" or o["key"] in after_closure for o in shown["obligations"]
    ) or (Stage.closed not in stages)
    filing = office.obligations(case_id).get("filing")
    if filing is not None:  # S2-4.3 三.6 立卷归档: the case's archive, exported, meets it
        out = Path(office.config).parent / "case.zip"
        done = office.cli("archive", str(case_id), "--out", str(out), "--by", "王芳")
        assert done.exit_code == 0, done.output
        assert out.stat().st_size > 0
        assert office.obligations(case_id)["filing"]["status"] == "completed"
    if Stage.reviewed in stages:
        library = CliRunner().invoke(app, ["--config", office.config, "case", "library", "--json"])
        assert [e["case_id"] for e in json.loads(library.stdout)] == [case_id]


def statement(office: Office, case_id: int, top: str, before: int) -> dict[str, list[str]]:
    """通稿: drafted by the office, approved by a person holding the grade's approving role
    (the drafter may not approve it); returns what the approval told."""
    policy = office.policy
    seed = Seed.at(SEEDS.get(office.preset, Seed()).statement, policy.scheme, top)
    roles = tuple(seed.roles) if seed else policy.approver_roles("statement", top)
    approver = sorted(holders(roles, units=[]))[0]
    asked = office.ok("draft", str(case_id), "--text", "已立即整改", "--by", "王芳")
    assert asked["status"] == "pending"
    got = {
        p
        for p, titles in office.received_since(before).items()
        if any("待审批" in t for t in titles)
    }
    assert got == holders(roles, units=[])
    refused = office.cli("approve", str(case_id), "--by", "王芳")
    if "wangfang" in holders(roles, units=[]):  # she may approve such statements, not her own
        assert refused.exit_code == 2 and "不能由申请人 王芳 本人审批" in refused.stderr
    else:  # she may not approve statements at all: the catalogue refuses first
        assert refused.exit_code == 2 and "无权办理 王芳 无权审批" in refused.stderr
    office.clock += timedelta(minutes=3)
    mark = len(office.receiver.received)
    approved = office.ok("approve", str(case_id), "--by", approver)
    assert approved["status"] == "approved"
    return office.received_since(mark)


def register(office: Office, grade: str, title: str) -> int:
    case_id: int = office.ok("register", "--title", title, "--grade", grade)["case_id"]
    return case_id


# Distinct topics, so no two registrations are clustered into one case.
TOPICS = ["某中学食堂饭菜变质", "某小学校服甲醛超标", "某幼儿园收费不透明", "某职校实习强制加班"]


def walk_to(office: Office, case_id: int, wanted: Stage, grade: str) -> None:
    """Carry a reported case through the template's stages up to (not into) `wanted`."""
    stages = office.policy.template.stages
    for stage in stages[stages.index(Stage.reported) + 1 : stages.index(wanted)]:
        verb, *options = STAGE_VERBS[stage]
        if stage is Stage.assessed:
            options += ["--grade", grade]
        office.ok(verb, str(case_id), *options)


def reported_to(office: Office, case_id: int, *, further: bool = False) -> set[str]:
    """Who a `case report` (快报, or a 续报 after the first: the units stay) told."""
    before = len(office.receiver.received)
    units = [] if further else ["--unit", "school"]
    office.ok("report", str(case_id), *units, "--by", "王芳")
    return {
        p
        for p, titles in office.received_since(before).items()
        if any("舆情快报" in t for t in titles)
    }


@pytest.mark.parametrize("preset", list(SEEDS))
def test_every_grade_the_seed_names_is_reported_approved_and_chased_as_it_says(
    office: Office, preset: str
) -> None:
    """Every 快报 row and every 通稿 row of the seed (each row's section) below the top grade
    (the whole-life test above holds the top grade's rows, S4's 一级 excepted: its template has
    no 快报 stage, so it is checked here): the report reaches exactly the
    row's bodies and the row's approver approves. A reported case of the lowest grade that
    rises to the top owes a 续报 within the top grade's limit, and that report reaches the top
    grade's bodies (S1-8 处置(二): a 一般 case that grows reaches 镇党委; S0-7 五). Lapsed
    deadlines of a risen case are chased under the top grade's titles (S1-18: a 重特大 alert
    never reads 报分管领导) up to the seed's last level (S1-13: 通报市委)."""
    policy, seed = office.policy, SEEDS[preset]
    levels = policy.scheme.by_rank()
    top, bottom = levels[0], levels[-1]
    reported: dict[str, int] = {}  # grade → a case reported at it and left at 快报
    # the whole-life test reports (and approves) at the top grade where the template has 快报
    below = levels[1:] if Stage.reported in policy.template.stages else levels
    for level in below:
        told = Seed.at(seed.report, policy.scheme, level.id)
        approving = Seed.at(seed.statement, policy.scheme, level.id)
        if told is None and approving is None and level is not bottom:
            continue
        case_id = register(office, level.id, TOPICS[level.rank - 1])
        office.clock += timedelta(minutes=5)
        reached = reported_to(office, case_id)
        if told is not None:
            assert reached == holders(tuple(told.roles), units=["school"]), told.cite
        if approving is None:
            reported[level.id] = case_id
            continue
        walk_to(office, case_id, Stage.statement_approved, level.id)
        office.ok("draft", str(case_id), "--text", "已立即整改", "--by", "王芳")
        approver = OFFICE[sorted(holders(tuple(approving.roles), units=[]))[0]][0]
        approved = office.ok("approve", str(case_id), "--by", approver)
        assert approved["status"] == "approved", approving.cite

    # a reported bottom-grade case rises to the top grade: it owes a further report (续报)
    risen = reported.get(bottom.id) or register(office, bottom.id, "某小学校车超载")
    if bottom.id not in reported:
        office.clock += timedelta(minutes=5)
        reported_to(office, risen)
    office.clock += timedelta(minutes=5)
    office.ok("upgrade", str(risen), "--grade", top.id, "--reason", "主流媒体介入", "--by", "王芳")
    rose_at = office.clock
    owed = [o for k, o in office.obligations(risen).items() if "@" in k]
    reporting = [
        r
        for r in policy.obligations_for(top.id)
        if r.closed_by is StageEvent.report or "report" in r.met_by
    ]
    assert bool(owed) == bool(reporting), owed
    for o in owed:
        rule = policy.rule_any_grade(top.id, o["key"].split("@")[0])
        assert o["status"] == "open" and "续报" in o["title"], o
        assert datetime.fromisoformat(o["due_at"]) == expected_due(rule, rose_at), o
    again = reported_to(office, risen, further=True)
    top_row = Seed.at(seed.report, policy.scheme, top.id)
    wanted = tuple(top_row.roles) if top_row else policy.notify_roles(StageEvent.report, top.id)
    assert holders(wanted, units=["school"]) <= again, top_row.cite if top_row else wanted
    after = office.obligations(risen)
    assert [after[o["key"]] for o in owed if after[o["key"]]["status"] == "open"] == []

    # a case registered low and raised before anyone reported it: chased under the top's titles
    upgraded = register(office, bottom.id, "某小学食堂卫生")
    office.ok(
        "upgrade", str(upgraded), "--grade", top.id, "--reason", "主流媒体介入", "--by", "王芳"
    )
    tops = {r.key: r.title for r in policy.obligations_for(top.id)}
    lower = {
        r.title for r in policy.obligations_for(bottom.id) if tops.get(r.key, r.title) != r.title
    }
    for key, o in office.obligations(upgraded).items():
        if o["status"] == "open" and key in tops:
            assert o["title"] == tops[key], (key, o["title"])
    mark = len(office.receiver.received)
    late = office.clock + timedelta(days=10)
    swept = CliRunner().invoke(app, ["--config", office.config, "sweep", "--at", late.isoformat()])
    assert swept.exit_code == 0, swept.output
    alerts = [
        (r.path.rsplit("/", 1)[-1], r.json()["title"])
        for r in office.receiver.received[mark:]
        if f"案件{upgraded}" in r.json()["title"] and "已超时" in r.json()["title"]
    ]
    assert alerts, "the upgraded case's lapsed deadlines were alerted"
    assert all(top.label in title for _, title in alerts)
    assert not [title for _, title in alerts if any(old in title for old in lower)], lower
    if seed.top_chain is not None:
        reached = {person for person, _ in alerts}
        assert holders(tuple(seed.top_chain.roles), units=[]) <= reached, seed.top_chain.cite
    if preset == "s1-18":
        assert "报分管领导" in lower and any("通知发生责任单位已超时" in t for _, t in alerts)
