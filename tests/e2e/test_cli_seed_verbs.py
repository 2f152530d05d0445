"""The `yuqing case` verbs the seeds added (issue 19) as a person types them, on a real database
(SQLite and PostgreSQL): `waive` 不需要, `instruct` 批示 (shown by `case show`), `plan` 处置方案
and its approval, `units` 调整责任单位, `correct` 更正, `rewind` 阶段回退 — each with a good
input (exit 0, the Chinese confirmation or the JSON) and a bad one (exit 2, the reason)."""

from __future__ import annotations

from tests.e2e.test_cli_actions import config, data, refused, register, yq

__all__ = ["config"]  # the fixture, shared with test_cli_actions


def dispatched(config: str) -> str:
    case = register(config)
    yq(config, "report", case, "--by", "王芳")
    assessed = yq(
        config, "assess", case, "--grade", "一级", "--category", "inquiry", "--unit", "school",
        "--by", "李强",
    )  # fmt: skip
    assert assessed.exit_code == 0, assessed.output
    sent = yq(config, "dispatch", case, "--by", "王芳")
    assert sent.exit_code == 0, sent.output
    return case


def test_waive_an_optional_obligation_with_a_reason(config: str) -> None:
    title = "市民来电：某中学食堂"
    case = str(
        data(yq(config, "register", "--title", title, "--grade", "一级", "--json"))["case_id"]
    )
    refused(yq(config, "waive", case, "--obligation", "press_conference"), "缺少字段 reason")
    refused(
        yq(config, "waive", case, "--obligation", "quick_report", "--reason", "电话已报"),
        "不能确认为不需要",
    )
    done = yq(
        config, "waive", case, "--obligation", "press_conference", "--reason", "无需召开",
        "--by", "王芳",
    )  # fmt: skip
    assert done.exit_code == 0 and "已确认不需要" in done.stdout, done.output
    shown = data(yq(config, "show", case, "--json"))
    status = {o["key"]: o["status"] for o in shown["obligations"]}
    assert (status["press_conference"], status["quick_report"]) == ("waived", "open")


def test_instruct_by_a_leader_is_on_the_case(config: str) -> None:
    case = dispatched(config)
    refused(yq(config, "instruct", case, "--text", "请核实", "--by", "王芳"), "王芳")
    refused(yq(config, "instruct", case, "--by", "李强"), "缺少字段 text")
    done = yq(config, "instruct", case, "--text", "请市一中当日核实", "--by", "李强")
    assert done.exit_code == 0 and "已记录批示" in done.stdout, done.output
    shown = yq(config, "show", case)
    assert shown.exit_code == 0 and "领导批示：李强（" in shown.stdout
    assert "请市一中当日核实" in shown.stdout
    assert data(yq(config, "show", case, "--json"))["instructions"][0].endswith("请市一中当日核实")


def test_plan_is_approved_by_the_leader_in_charge(config: str) -> None:
    case = dispatched(config)
    refused(yq(config, "plan", case, "--by", "张伟"), "缺少字段 text")
    asked = data(yq(config, "plan", case, "--text", "停业整顿", "--by", "张伟", "--json"))
    request = str(asked["request_id"])
    refused(yq(config, "approve", case, "--request", request, "--by", "王芳"), "无权审批")
    done = yq(config, "approve", case, "--request", request, "--by", "李强")
    assert done.exit_code == 0 and "已批准处置方案审批申请" in done.stdout, done.output


def test_units_correct_and_rewind(config: str) -> None:
    case = dispatched(config)
    refused(yq(config, "units", case, "--add", "nowhere", "--reason", "漏派"), "nowhere")
    refused(yq(config, "units", case, "--lead", "school", "--reason", "无"), "责任单位没有变化")
    raised = yq(config, "correct", case, "--grade", "一级", "--reason", "误判")
    assert raised.exit_code == 2 and "已是一级" in raised.stderr
    category = yq(config, "correct", case, "--category", "rumour", "--reason", "核实为谣言")
    assert category.exit_code == 0 and "类别 → 捏造、歪曲、谣言" in category.stdout
    refused(
        yq(config, "rewind", case, "--to", "verified", "--reason", "错", "--by", "王芳"),
        "之前的阶段",
    )
    asked = data(
        yq(config, "rewind", case, "--to", "assessed", "--reason", "研判有误", "--by", "王芳",
           "--json")
    )  # fmt: skip
    request = str(asked["request_id"])
    refused(yq(config, "approve", case, "--request", request, "--by", "李强"), "无权审批")
    done = data(yq(config, "approve", case, "--request", request, "--by", "陈军", "--json"))
    assert done["stage"] == "assessed"
