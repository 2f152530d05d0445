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
    result = CliRunner().invoke(app, ["config", "check", str(config)])
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


def test_an_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "yuqing.toml").write_text(
        '[database]\nurl = "postgresql://yuqing@127.0.0.1:9/nothing"\n', encoding="utf-8"
    )
    result = run("case", "list", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "无法连接数据库" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


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
