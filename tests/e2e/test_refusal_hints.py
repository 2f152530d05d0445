"""A refusal is worded in the office's terms by the domain and carries the next step as a value
(`models.repo.cases.NextStep`); the command line, the front door, words that step as the command
to run — whether the command acted itself or `yuqing serve` acted for it — and the console shows
the domain's words alone (no command-line syntax on a web page)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from models.repo.cases import NextStep
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from tests.support.web import serve_on_this_machine
from yuqing.cli import app
from yuqing.cli_common import command_hint
from yuqing.localservers import WebhookReceiver

LOWER = "字段 grade（确认等级）：三级 低于当前等级 二级；降级须经审批：请申请降级至三级"


def yq(config: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", config, "case", *args])


@pytest.fixture
def config(
    prefect_harness: str, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> Iterator[str]:
    path = str(write_office_config(tmp_path, database_url=database_url, receiver=receiver))
    yield path
    prepare(path).engine.dispose()


def reported_at_g2(config: str) -> str:
    """A case raised to 二级 and reported: confirming it lower at 研判 is a downgrade."""
    registered = yq(config, "register", "--title", "市民来电：某中学食堂")
    assert registered.exit_code == 0, registered.output
    case = "1"
    for verb in (["upgrade", case, "--reason", "转发激增"], ["report", case, "--by", "王芳"]):
        done = yq(config, *verb)
        assert done.exit_code == 0, done.output
    return case


def assess_lower(config: str, case: str) -> Result:
    return yq(config, "assess", case, "--grade", "三级", "--category", "inquiry", "--unit",
              "school", "--by", "李强")  # fmt: skip


def test_the_command_line_words_the_next_step_as_the_command_to_run(config: str) -> None:
    case = reported_at_g2(config)
    refused = assess_lower(config, case)
    assert refused.exit_code == 2, refused.output
    assert LOWER in refused.stderr, refused.stderr
    assert f"命令：yuqing case downgrade {case} --grade 三级" in refused.stderr, refused.stderr


def test_a_refusal_from_serve_keeps_its_next_step(
    tmp_path: Path, receiver: WebhookReceiver, prefect_harness: str
) -> None:
    """serve's console (in this process, as serve runs it) refuses for the command: the command
    prints the refusal and its command as its own."""
    with serve_on_this_machine(tmp_path, receiver, prefect_harness) as (config, _):
        case = reported_at_g2(config)
        refused = assess_lower(config, case)
    prepare(config).engine.dispose()
    assert refused.exit_code == 2, refused.output
    assert "已由运行中的 yuqing serve" not in refused.stderr  # refused: nothing was carried out
    assert LOWER in refused.stderr, refused.stderr
    assert f"命令：yuqing case downgrade {case} --grade 三级" in refused.stderr, refused.stderr


@pytest.mark.parametrize(
    ("step", "command"),
    [
        (NextStep("downgrade", 3, (("grade", "一般"),)), "yuqing case downgrade 3 --grade 一般"),
        (NextStep("draft", 7), "yuqing case draft 7"),
        (NextStep(fields=(("by", None),)), "加上 --by …"),
        (NextStep(fields=(("units", None),)), "加上 --unit …"),
        (
            NextStep(fields=(("add", None), ("remove", None), ("lead", None))),
            "加上 --add … 或 --remove … 或 --lead …",
        ),
    ],
)
def test_each_next_step_reads_as_the_command_line_says_it(step: NextStep, command: str) -> None:
    assert command_hint(step) == command
