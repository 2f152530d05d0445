"""`yuqing config check` and every command that loads a config answer any file with exit 0 or 2
and field-named problems, never a traceback: a non-UTF-8 file, a section that is not a table, a
time zone that names a folder or is too long, deeply nested arrays, a roster shift with a zone
on one end only, `inf` and `nan`, a channel value Apprise cannot parse (shown masked, secret and
all), and a configuration in which an obligation of the active policy reaches nobody (an error
at the chain's first level, a warning above). An unreachable database is one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.e2e.test_cli_and_demo import run
from yuqing.cli import app

SECRET = "wecombot-SUPERSECRET-0123456789"
NOVEMBER = "2026-11-20T09:00+08:00"  # before 1 December: next year's calendar not yet due
OFFICE = """
[[units]]
id = "office"
name = "办公室"

[[people]]
id = "wang"
name = "王芳"
unit = "office"
roles = ["office_staff", "duty_officer", "unit_responsible"]
channels = ["wang_hook"]

[[people]]
id = "li"
name = "李强"
unit = "office"
roles = ["leader_in_charge", "principal_leader", "office_head"]
channels = ["li_hook"]
"""
HEAD = """
[[people]]
id = "sun"
name = "孙力"
roles = ["group_head"]
channels = ["sun_hook"]
"""
CHANNELS = '[channels]\nwang_hook = "json://127.0.0.1:9/w"\nli_hook = "json://127.0.0.1:9/l"\n'
CHANNELS += 'sun_hook = "json://127.0.0.1:9/s"\n'


def check(tmp_path: Path, text: str | bytes, secrets: str = CHANNELS) -> tuple[int, str]:
    """`yuqing config check FILE` in-process: exit code and everything it printed."""
    config = tmp_path / "yuqing.toml"
    config.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    (tmp_path / "secrets.toml").write_text(secrets, encoding="utf-8")
    result = CliRunner().invoke(app, ["--at", NOVEMBER, "config", "check", str(config)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"config check raised {result.exception!r}") from result.exception
    return result.exit_code, result.output


def test_a_complete_office_passes(tmp_path: Path) -> None:
    code, out = check(tmp_path, OFFICE + HEAD)
    assert code == 0, out
    assert "配置有效" in out and "⚠" not in out


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[general]\ntimezone = '亚洲/上海'\n".encode("gbk"), "not UTF-8"),
        ("general = 5\n", "general: Input should be a valid dictionary"),
        ("[general]\ntimezone = 'Asia'\n", "general.timezone: unknown time zone 'Asia'"),
        ("[general]\ntimezone = '" + "x" * 300 + "'\n", "general.timezone: unknown time zone"),
        ("x = " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
        ("[collect]\ncluster_window_hours = inf\n", "collect.cluster_window_hours"),
        ("[dispatch]\nretry_cap_seconds = nan\n", "dispatch.retry_cap_seconds"),
        ("[collect]\nfetch_budget_seconds = inf\n", "collect.fetch_budget_seconds"),
        (
            "[[escalation.roster]]\nperson = 'wang'\nstart = 2026-11-23T08:00:00+08:00\n"
            "end = 2026-11-23T20:00:00\n",
            "escalation.roster.0: start and end must both have a time zone, or neither",
        ),
        ("[database]\nurl = 'mysql://db/x'\n", "database.url: not a SQLite or PostgreSQL URL"),
        ('[general]\ndata_dir = "a\\u0000b"\n', "general.data_dir: a path may not contain a NUL"),
        ("[policy]\nfile = '/'\n", "policy: /: 无法读取文件"),
        ("[policy]\npreset = 'nope'\n", "policy: 未知预设“nope”"),
        ("[[people]]\nid = '[/red]x'\n", "people.0.id"),
    ],
)
def test_broken_files_exit_2_naming_the_field(
    tmp_path: Path, text: str | bytes, named: str
) -> None:
    body = text if isinstance(text, bytes) else text + "\n" + OFFICE
    code, out = check(tmp_path, body)
    assert code == 2, out
    assert named in out.replace("\n", "")
    assert "Traceback" not in out


def test_a_channel_value_is_shown_masked_even_when_apprise_cannot_parse_it(
    tmp_path: Path,
) -> None:
    secrets = CHANNELS + f'bad_hook = "{SECRET}"\nodd_hook = "nosuchscheme://{SECRET}@host"\n'
    code, out = check(tmp_path, OFFICE + HEAD, secrets=secrets)
    assert code == 2
    assert "secrets.channels.bad_hook: Apprise 无法识别的地址 ****" in out
    assert "secrets.channels.odd_hook: Apprise 无法识别的地址 nosuchscheme://****" in out
    assert "SUPERSECRET" not in out


def test_a_config_with_nobody_to_reach_is_an_error(tmp_path: Path) -> None:
    code, out = check(tmp_path, '[general]\ntimezone = "Asia/Shanghai"\n', secrets="")
    assert code == 2
    assert (
        "义务“快报”（一级、二级、三级）第1级（到期提醒：责任人、分管领导、值班领导）无人可通知"
        in out
    )


def test_a_person_without_a_channel_reaches_nobody(tmp_path: Path) -> None:
    silent = OFFICE.replace('channels = ["wang_hook"]', "channels = []").replace(
        'channels = ["li_hook"]', "channels = []"
    )
    code, out = check(tmp_path, silent + HEAD)
    assert code == 2 and "第1级" in out


def test_nobody_above_the_first_level_is_a_warning(tmp_path: Path) -> None:
    code, out = check(tmp_path, OFFICE)  # nobody holds group_head: level 3 reaches nobody
    assert code == 0, out
    assert "⚠" in out and "第3级（通报：领导小组组长）无人可通知" in out
    assert "第1级" not in out and "第2级" not in out


def test_the_duty_roster_counts_as_holding_its_role(tmp_path: Path) -> None:
    # Nobody is office staff, leader in charge or duty officer: 快报's first level is empty...
    office = OFFICE.replace(
        '["office_staff", "duty_officer", "unit_responsible"]', '["unit_responsible"]'
    )
    office = office.replace(
        '["leader_in_charge", "principal_leader", "office_head"]',
        '["principal_leader", "office_head"]',
    )
    code, out = check(tmp_path, office + HEAD)
    assert code == 2 and "义务“快报”" in out
    # ... until 王芳 is on the duty roster.
    roster = (
        "[[escalation.roster]]\nperson = 'wang'\nrole = 'duty_officer'\n"
        "start = 2026-11-23T08:00:00\nend = 2026-11-23T20:00:00\n"
    )
    code, out = check(tmp_path, office + HEAD + roster)
    assert code == 0, out
    # 分管领导, a report target of every grade held by nobody, is a warning (the quick report
    # still reaches the office head and the duty officer).
    warned = [line for line in out.splitlines() if line.startswith("⚠")]
    assert sum("的报送对象 分管领导 无人担任" in line for line in warned) == 3, out


def test_an_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "yuqing.toml").write_text(
        '[database]\nurl = "postgresql://yuqing@127.0.0.1:9/nothing"\n', encoding="utf-8"
    )
    result = run("case", "list", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "无法连接数据库" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _everyone_but(roles_left_out: set[str]) -> str:
    """An office where each role is held by a person of its own with a channel, but these."""
    from models.policy.roles import ROLES

    people = ""
    for n, role in enumerate(r for r in ROLES if r not in roles_left_out):
        people += (
            f'[[people]]\nid = "p{n}"\nname = "人{n}"\nunit = "office"\nroles = ["{role}"]\n'
            f'channels = ["p{n}_hook"]\n\n'
        )
    return '[[units]]\nid = "office"\nname = "办公室"\n\n' + people


def _hooks() -> str:
    from models.policy.roles import ROLES

    lines = "".join(f'p{n}_hook = "json://127.0.0.1:9/p{n}"\n' for n in range(len(ROLES)))
    return "[channels]\n" + lines


PRESET_IDS = [info.id for info in __import__("models.store.presets").store.presets.list_presets()]
# S1-6 leaves its hours blank ("务必x小时内上报"): the office supplies them.
BLANKS = {
    "s1-6": {
        "obligations.g1.upward_report.duration": "1h",
        "obligations.g2.upward_report.duration": "2h",
        **{f"obligations.g{g}.golden_hours.duration": "2h" for g in (1, 2, 3, 4)},
    }
}


def _policy_section(preset: str) -> str:
    overrides = "".join(f'"{k}" = "{v}"\n' for k, v in BLANKS.get(preset, {}).items())
    return f'[policy]\npreset = "{preset}"\n[policy.overrides]\n{overrides}'


@pytest.mark.parametrize("preset", PRESET_IDS)
def test_each_preset_with_a_report_target_nobody_holds_is_refused_naming_grade_and_role(
    tmp_path: Path, preset: str
) -> None:
    """For every preset: its most serious grade's report targets held by nobody (the quick
    report would reach nobody): refused, naming the grade and the roles."""
    from models.policy import StageEvent
    from models.policy.reach import nobody_reason
    from models.policy.roles import ROLE_LABELS, UNIT_ROLES
    from models.store.presets import load_preset

    policy = load_preset(preset, BLANKS.get(preset))
    top = policy.scheme.by_rank()[0]
    targets = [r for r in policy.notify_roles(StageEvent.report, top.id) if r not in UNIT_ROLES]
    assert targets, f"{preset} reports {top.label} to nobody at all"
    code, out = check(tmp_path, _policy_section(preset) + _everyone_but(set(targets)),
                      secrets=_hooks())  # fmt: skip
    assert code == 2, out
    assert nobody_reason(top.label, targets) in out.replace("\n", "")
    assert all(ROLE_LABELS[role] in out for role in targets)
    code, out = check(tmp_path, _policy_section(preset) + _everyone_but(set()),
                      secrets=_hooks())  # fmt: skip
    assert code == 0, out  # everyone there: it passes


def test_s1_13_red_reports_to_the_party_committee(tmp_path: Path) -> None:
    code, out = check(
        tmp_path, '[policy]\npreset = "s1-13"\n' + _everyone_but({"party_committee"}),
        secrets=_hooks(),
    )  # fmt: skip
    assert code == 2 and "红色预警的报送对象 市委（党委） 无人担任" in out.replace("\n", "")


def test_platform_ids_are_checked_and_people_must_be_reachable_on_their_platform(
    tmp_path: Path,
) -> None:
    bot = "wecombot://groupkey01"
    sms = "aliyunsms://KEYID:SECRET@SMS_1/?sign=%E7%BD%91%E4%BF%A1%E5%8A%9E"
    office = OFFICE.replace('channels = ["wang_hook"]', 'channels = ["office_bot", "wang_sms"]')
    secrets = CHANNELS + f'office_bot = "{bot}"\nwang_sms = "{sms}"\nsame_bot = "{bot}"\n'
    code, out = check(tmp_path, office + HEAD, secrets=secrets)
    assert code == 2, out
    assert "people.0.mobile: 王芳 使用短信渠道 wang_sms，需要填写手机号 mobile" in out
    assert "群渠道 office_bot 的消息无法 @王芳：请填写 wecom_userid 或 mobile" in out
    assert "office_bot、same_bot 指向同一个机器人或短信账号" in out
    assert "groupkey01" not in out and "SECRET" not in out
    with_ids = office.replace('name = "王芳"', 'name = "王芳"\nmobile = "13800000001"')
    code, out = check(tmp_path, with_ids + HEAD, secrets=secrets.replace("same_bot", "# "))
    assert code == 0 and "无法 @" not in out, out
    wrong = office.replace('name = "王芳"', 'name = "王芳"\nmobile = "12345"\nfeishu_open_id = "x"')
    code, out = check(tmp_path, wrong + HEAD, secrets=secrets)
    assert code == 2 and "people.0.mobile: 不是手机号" in out
    assert "people.0.feishu_open_id: 不是飞书 open_id" in out


def test_a_channels_own_limits_are_read_and_an_unknown_channel_is_named(tmp_path: Path) -> None:
    limits = "[dispatch.limits.wang_hook]\nper_minute = 10\nper_second = 2\n\n"
    code, out = check(tmp_path, limits + OFFICE + HEAD)
    assert code == 0, out
    code, out = check(tmp_path, "[dispatch.limits.nosuch]\nper_minute = 10\n\n" + OFFICE + HEAD)
    assert code == 2 and "dispatch.limits.nosuch: no channel 'nosuch' in the secrets" in out
    code, out = check(tmp_path, "[dispatch.limits.wang_hook]\nper_minute = 0\n\n" + OFFICE + HEAD)
    assert code == 2 and "dispatch.limits.wang_hook.per_minute" in out


def test_an_account_role_its_person_does_not_hold_is_a_warning(tmp_path: Path) -> None:
    account = (
        '\n[[web.users]]\nusername = "wang"\nperson = "wang"\n'
        'roles = ["office_staff", "approver"]\npassword_hash = "scrypt$16384$8$1$c2FsdA$aGFzaA"\n'
    )
    code, out = check(tmp_path, OFFICE + HEAD + account)
    assert code == 0, out
    assert "web.users.0.roles: 王芳 不担任 审批人（approver）" in out.replace("\n", "")
    assert "office_staff" not in out  # she holds that one: it narrows nothing wrongly
    unknown = OFFICE + HEAD + account.replace('"wang"\nroles', '"nobody"\nroles')
    code, out = check(tmp_path, unknown)
    assert code == 2 and "web.users.0.person: unknown person 'nobody'" in out.replace("\n", "")
    operator = OFFICE + HEAD + '\n[cli]\noperator = "ghost"\n'
    code, out = check(tmp_path, operator)
    assert code == 2 and "cli.operator: unknown person 'ghost'" in out.replace("\n", "")
