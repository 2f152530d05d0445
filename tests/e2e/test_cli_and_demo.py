"""The `yuqing` command as a person runs it, in real subprocesses: the demo delivers its alert to
its office's WeCom group (and the contact sheet to the school's DingTalk group, the approval by
SMS), with no refusal by the platforms' stand-ins, and exits 0, its kept database shows the
quick report acknowledged and then completed, `config check` names the broken field and exits
2, and a request about an unknown case is refused with exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

YUQING = str(Path(sys.executable).with_name("yuqing"))


def run(
    *args: str, cwd: Path, timeout: float = 120, prefect_home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUTF8": "1", "COLUMNS": "200"}
    env.pop("YUQING_CONFIG", None)
    if prefect_home is not None:  # a Prefect home that has never been used, and no API
        env = {k: v for k, v in env.items() if not k.startswith("PREFECT_API")}
        env["PREFECT_HOME"] = str(prefect_home)
    return subprocess.run(
        [YUQING, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    directory = tmp_path_factory.mktemp("demo")
    home = directory / "fresh-prefect-home"
    result = run(
        "demo", "--keep", str(directory / "kept"), cwd=directory, timeout=600, prefect_home=home
    )
    return directory, result


def prefect_servers_on(home: Path) -> list[int]:
    """Pids of running Prefect servers whose PREFECT_HOME is `home`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"prefect\0server\0start" not in cmdline.read_bytes():
                continue
            environ = (cmdline.parent / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"PREFECT_HOME={home.resolve()}".encode() in environ:
            found.append(int(cmdline.parent.name))
    return found


def test_demo_on_a_fresh_prefect_home_says_so_and_leaves_no_server(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    directory, result = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    assert "正在启动本地 Prefect 服务" in result.stdout and "Prefect 服务已就绪" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert prefect_servers_on(directory / "fresh-prefect-home") == []


def test_demo_plays_a_whole_case_and_every_step_reaches_its_people(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    # the lapse as the office's WeCom group saw it: one message naming the three who must act
    assert "办公室企业微信群收到的超时告警" in out
    assert "【一级舆情】快报已超时：案件1" in out
    assert "<@liqiang> <@wangfang> <@zhaomin>" in out and "~@office_wecom~" in out
    for step in (  # each person and the action's name in the catalogue
        "王芳签收",
        "王芳报送快报",
        "李强研判",
        "王芳下发联系单",
        "张伟完成",
        "王芳提交通稿",
        "陈军同意",
        "王芳回应发布",
        "王芳办结",
        "王芳总结评估",
    ):
        assert step in out, step
    for got in ("超时告警", "快报", "联系单（责任单位）", "通稿待审批", "办结通知"):
        assert f"接收端已收到：{got}" in out
    assert "网络舆情联系单" in out and "责任单位：市第一中学" in out
    assert "市一中钉钉群收到的联系单" in out and "@13800000006 @13800000005" in out
    assert "阶段：总结评估" in out and "演示成功" in out and "平台拒收 0 条" in out


def test_kept_demo_database_shows_the_reviewed_case_in_the_library(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    directory, _ = demo_run
    config = directory / "kept" / "yuqing.toml"
    shown = run("--config", str(config), "case", "show", "1", "--json", cwd=directory)
    assert shown.returncode == 0, shown.stderr
    case = json.loads(shown.stdout)
    assert (case["stage"], case["grade_label"]) == ("reviewed", "一级")
    quick = next(o for o in case["obligations"] if o["key"] == "quick_report")
    assert (quick["status"], quick["acked_by"], quick["acked_by_name"]) == (
        "completed",
        "wangfang",
        "王芳",
    )
    kinds = [event["kind"] for event in case["timeline"]]
    assert kinds.index("delivered") < kinds.index("acknowledged") < kinds.index("completed")
    library = run("--config", str(config), "case", "library", "--json", cwd=directory)
    (entry,) = json.loads(library.stdout)
    assert (entry["case_id"], entry["lessons"]) == (1, "加强食品安全日常检查")


def test_config_check_on_a_broken_file_exits_2_naming_the_field(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        '[general]\ntimezone = "Mars/Olympus"\n[sweep]\nbatch_size = 0\n', encoding="utf-8"
    )
    result = run("config", "check", str(broken), cwd=tmp_path)
    assert result.returncode == 2
    assert "general.timezone: unknown time zone 'Mars/Olympus'" in result.stderr
    assert "sweep.batch_size" in result.stderr


def test_config_check_on_a_good_file_exits_0(tmp_path: Path) -> None:
    good = tmp_path / "yuqing.toml"
    good.write_text(
        '[general]\ntimezone = "Asia/Shanghai"\n\n[[people]]\nid = "wang"\nname = "王芳"\n'
        'roles = ["office_staff", "leader_in_charge", "principal_leader", "group_head"]\n'
        'channels = ["wang_hook"]\n',
        encoding="utf-8",
    )
    (tmp_path / "secrets.toml").write_text(
        '[channels]\nwang_hook = "json://127.0.0.1:9/hook"\n', encoding="utf-8"
    )
    result = run("config", "check", str(good), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "配置有效" in result.stdout


def test_unknown_case_is_refused_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "yuqing.toml").write_text('[general]\ndata_dir = "d"\n', encoding="utf-8")
    result = run("case", "show", "42", cwd=tmp_path)
    assert result.returncode == 2
    assert "案件 42 不存在" in result.stderr


def test_case_register_opens_a_case_and_refuses_bad_input(tmp_path: Path) -> None:
    (tmp_path / "yuqing.toml").write_text('[general]\ndata_dir = "d"\n', encoding="utf-8")
    good = run(
        "case",
        "register",
        "--title",
        "市民来电：某中学食堂饭菜变质",
        "--text",
        "家长反映孩子腹泻",
        "--json",
        cwd=tmp_path,
    )
    assert good.returncode == 0, good.stderr
    registered = json.loads(good.stdout)
    assert registered["created"] is True and registered["case_id"] is not None
    shown = run("case", "show", str(registered["case_id"]), "--json", cwd=tmp_path)
    assert json.loads(shown.stdout)["title"] == "市民来电：某中学食堂饭菜变质"

    stranger = run("case", "register", "--title", "x", "--by", "王芳", cwd=tmp_path)
    assert (
        stranger.returncode == 2 and "字段 --by（办理人）：人员名录中没有 '王芳'" in stranger.stderr
    )
    blank = run("case", "register", "--title", "  ", cwd=tmp_path)
    assert blank.returncode == 2 and "缺少字段 title（标题）" in blank.stderr
    wrong = run("case", "register", "--title", "x", "--category", "gossip", cwd=tmp_path)
    assert wrong.returncode == 2 and "未知类别 'gossip'" in wrong.stderr
    missing = run("case", "register", cwd=tmp_path)
    assert missing.returncode == 2 and "--title" in missing.stderr
