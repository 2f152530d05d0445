"""Signed one-click links against the real app on uvicorn (httpx over a real socket), on SQLite and
PostgreSQL, with the links taken from the alert as the local receiver got it: opening a link
changes nothing; confirming acts once and a replay is refused; forged, tampered, ill-fitting,
expired and CSRF-less attempts are refused with a Chinese page, and so is a CSRF token taken
from another link's page; clicks racing on one link act once; an action's own refusal leaves the
link usable; a POST that errors answers a Chinese page and changes nothing; and every attempt,
whatever its outcome, is on the audit record. Link pages are never cached and send no Referer.
Without a link key, alerts keep the CLI command."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from models.policy.states import EventKind
from models.repo.cases import case_obligations, case_timeline
from models.store.db import session_scope
from models.store.tables import ApprovalRequest, LinkAttempt, LinkUse
from notifications.links import derive_key, sign_link
from settings.faults import FAULTS_ENV
from tasks.act import ActionRequest, record_action
from tasks.runtime import Runtime, context_for, prepare
from tasks.steps import claim, perform_step
from tests.support.escalation import T0, cycle, new_case
from tests.support.web import (
    LINK_KEY,
    Clock,
    free_port,
    links_in,
    messages_to,
    served,
    write_web_config,
)
from yuqing.localservers import WebhookReceiver
from yuqing.web.security import csrf_token, forms_key

# Every action is a task run of its own: the app reports it to a Prefect API.
pytestmark = pytest.mark.usefixtures("prefect_harness")

ALERTED = T0 + timedelta(minutes=31)  # the 一级 quick report (due 09:30) has lapsed
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Alerted:
    runtime: Runtime
    case_id: int
    links: dict[str, str]  # action → URL, as wangfang received them
    clock: Clock
    client: httpx.Client


@pytest.fixture
def alerted(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Alerted]:
    port = free_port()
    config = write_web_config(tmp_path, database_url=database_url, receiver=receiver, port=port)
    runtime = prepare(str(config))
    case_id = new_case(runtime.engine)
    cycle(runtime.engine, ALERTED, runtime.channel_url, ctx=context_for(runtime))
    [message] = messages_to(receiver, "wangfang")
    clock = Clock(ALERTED + timedelta(minutes=1))
    with served(config, clock, port=port) as url, httpx.Client(base_url=url) as client:
        yield Alerted(runtime, case_id, links_in(message), clock, client)
    runtime.engine.dispose()


def page_csrf(a: Alerted, url: str) -> str | None:
    """Open the link as its recipient does; the CSRF token of its confirmation form, if any."""
    match = CSRF_RE.search(a.client.get(url).text)
    return match.group(1) if match else None


def post(a: Alerted, url: str, csrf: str | None, **form: str) -> httpx.Response:
    return a.client.post(url, data={"csrf": csrf or "", **form})


def confirm(a: Alerted, url: str, **form: str) -> httpx.Response:
    """Open the link, then press 确认 on its page."""
    return post(a, url, page_csrf(a, url), **form)


def attempts(a: Alerted) -> list[tuple[str, str, str | None]]:
    """(outcome, reason code, recipient) of every audited attempt, in order."""
    with session_scope(a.runtime.engine) as session:
        rows = session.exec(select(LinkAttempt).order_by(col(LinkAttempt.id))).all()
        return [(r.outcome, r.reason.split(":")[0], r.recipient) for r in rows]


def state(a: Alerted) -> tuple[object, ...]:
    """What an action would change: the quick report, the timeline's length, the used links."""
    with session_scope(a.runtime.engine) as session:
        quick = next(o for o in case_obligations(session, a.case_id) if o.key == "quick_report")
        used = len(session.exec(select(LinkUse)).all())
        events = len(case_timeline(session, a.case_id))
        return (quick.acked_at, quick.acked_by, quick.status, quick.level, events, used)


def test_every_alert_carries_the_six_links_to_the_public_address(alerted: Alerted) -> None:
    assert list(alerted.links) == ["ack", "complete", "extend", "reassign", "escalate", "upgrade"]
    base = str(alerted.client.base_url).rstrip("/")
    assert all(url.startswith(f"{base}/l/") for url in alerted.links.values())
    assert all(f"~{alerted.case_id}~quick_report~wangfang~" in u for u in alerted.links.values())


def test_opening_a_link_changes_nothing_and_is_audited(alerted: Alerted) -> None:
    before = state(alerted)
    for _ in range(2):  # a chat app's preview, then the person
        page = alerted.client.get(alerted.links["ack"])
        assert page.status_code == 200
        assert "确认签收" in page.text and "快报" in page.text and "王芳" in page.text
    assert state(alerted) == before
    assert before[0] is None  # not acknowledged
    assert attempts(alerted) == [("viewed", "", "wangfang")] * 2


def test_confirming_acts_once_and_a_replay_is_refused(alerted: Alerted) -> None:
    token = page_csrf(alerted, alerted.links["ack"])
    done = post(alerted, alerted.links["ack"], token)
    assert done.status_code == 200 and "已签收" in done.text
    acked_at, acked_by, *_ = state(alerted)
    assert (acked_at, acked_by) == (alerted.clock.at, "wangfang")
    after = state(alerted)

    again = post(alerted, alerted.links["ack"], token)  # the same page, submitted again
    assert again.status_code == 409 and "此链接已使用过" in again.text
    reopened = alerted.client.get(alerted.links["ack"])
    assert reopened.status_code == 409 and "此链接已使用过" in reopened.text
    assert state(alerted) == after
    with session_scope(alerted.runtime.engine) as session:
        acks = [
            e for e in case_timeline(session, alerted.case_id) if e.kind == EventKind.ACKNOWLEDGED
        ]
    assert [(e.actor, e.data["obligation"]) for e in acks] == [("wangfang", "quick_report")]
    assert attempts(alerted) == [
        ("viewed", "", "wangfang"),
        ("acted", "", "wangfang"),
        ("refused", "used", "wangfang"),
        ("refused", "used", "wangfang"),
    ]


def test_forged_and_tampered_links_are_refused(alerted: Alerted) -> None:
    genuine = alerted.links["ack"]
    head, _, tag = genuine.rpartition("~")
    forged = f"{head}~{'A' * len(tag)}"
    other_person = genuine.replace("~wangfang~", "~liqiang~")
    other_case = genuine.replace(f"~{alerted.case_id}~", f"~{alerted.case_id + 1}~")
    other_action = genuine.replace("/l/ack~", "/l/complete~")
    token = page_csrf(alerted, genuine)  # a form token of the genuine page, for the POSTs
    before = state(alerted)
    for url in (forged, other_person, other_case, other_action):
        for response in (alerted.client.get(url), post(alerted, url, token)):
            assert response.status_code == 403
            assert "链接签名不符" in response.text and "没有做任何更改" in response.text
    assert state(alerted) == before
    # Refused before anything in the link is believed: no recipient or case on the record.
    assert attempts(alerted)[1:] == [("refused", "bad_signature", None)] * 8


def test_validly_signed_links_that_do_not_fit_the_case_are_refused(alerted: Alerted) -> None:
    key = derive_key(LINK_KEY, "link")
    base = str(alerted.client.base_url).rstrip("/")

    def link(recipient: str, obligation: str) -> str:
        token = sign_link(
            key,
            action="ack",
            case_id=alerted.case_id,
            obligation_key=obligation,
            recipient=recipient,
            expires_at=ALERTED + timedelta(hours=1),
            nonce="fits-not",
        )
        return f"{base}/l/{token}"

    def submit(url: str) -> httpx.Response:
        """POST with the token the page would have carried had it shown a form (made here
        from the key): the check against the database refuses it all the same."""
        seed = alerted.client.cookies["yq_csrf"]
        nonce = url.split("~")[-2]
        token = csrf_token(derive_key(LINK_KEY, "session"), seed, bound=nonce)
        return post(alerted, url, token)

    before = state(alerted)
    for url, why in (
        (link("nobody", "quick_report"), "不在名录中"),
        (link("wangfang", "no_such_step"), "链接与案件不符"),
    ):
        for response in (alerted.client.get(url), submit(url)):
            assert response.status_code == 403 and why in response.text
    assert state(alerted) == before
    assert (
        attempts(alerted)
        == [("refused", "unknown_recipient", "nobody")] * 2
        + [("refused", "mismatch", "wangfang")] * 2
    )


def test_an_expired_link_is_refused(alerted: Alerted) -> None:
    token = page_csrf(alerted, alerted.links["ack"])  # opened in time, confirmed too late
    alerted.clock.at = ALERTED + timedelta(hours=72, seconds=1)
    before = state(alerted)
    opened = alerted.client.get(alerted.links["ack"])
    assert opened.status_code == 403 and "链接已过期" in opened.text
    posted = post(alerted, alerted.links["ack"], token)
    assert posted.status_code == 403 and "链接已过期" in posted.text
    assert state(alerted) == before
    assert (
        attempts(alerted) == [("viewed", "", "wangfang")] + [("refused", "expired", "wangfang")] * 2
    )


def test_a_post_without_the_forms_csrf_token_changes_nothing(alerted: Alerted) -> None:
    before = state(alerted)
    response = alerted.client.post(alerted.links["ack"], data={"csrf": "made-up"})
    assert response.status_code == 403 and "表单已失效" in response.text
    assert state(alerted) == before
    assert attempts(alerted) == [("refused", "bad_csrf", "wangfang")]


def test_a_csrf_token_from_another_links_page_is_refused(alerted: Alerted) -> None:
    """The confirmation form's token is bound to its link: a page's token acts on no other."""
    ack_token = page_csrf(alerted, alerted.links["ack"])
    before = state(alerted)
    crossed = post(alerted, alerted.links["escalate"], ack_token, reason="家长聚集")
    assert crossed.status_code == 403 and "表单已失效" in crossed.text
    assert state(alerted) == before
    own = post(alerted, alerted.links["escalate"], page_csrf(alerted, alerted.links["escalate"]))
    assert own.status_code == 409 and "缺少字段 reason（上报理由）" in own.text  # form checked
    assert attempts(alerted) == [
        ("viewed", "", "wangfang"),
        ("refused", "bad_csrf", "wangfang"),
        ("viewed", "", "wangfang"),
        ("refused", "refused", "wangfang"),
    ]


def test_a_post_that_errors_is_audited_and_changes_nothing(
    alerted: Alerted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The action's transaction fails after spending the link (a fault at `act.record`, inside
    the real server): a Chinese page without a traceback, nothing changed, the link still
    usable, and the attempt on the record as an error."""
    faults = tmp_path / "faults"
    faults.write_text("act.record\n", encoding="utf-8")
    monkeypatch.setenv(FAULTS_ENV, str(faults))
    token = page_csrf(alerted, alerted.links["ack"])
    before = state(alerted)
    failed = post(alerted, alerted.links["ack"], token)
    assert failed.status_code == 500 and "系统内部错误" in failed.text
    assert "Traceback" not in failed.text and "InjectedFault" not in failed.text
    assert state(alerted) == before
    faults.write_text("", encoding="utf-8")
    assert post(alerted, alerted.links["ack"], token).status_code == 200
    assert attempts(alerted) == [
        ("viewed", "", "wangfang"),
        ("error", "error", "wangfang"),
        ("acted", "", "wangfang"),
    ]


def test_link_pages_are_not_cached_and_send_no_referrer(alerted: Alerted) -> None:
    for response in (
        alerted.client.get(alerted.links["ack"]),
        alerted.client.get(alerted.links["ack"][:-3] + "xyz"),  # refused
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"


def test_clicks_racing_on_one_link_act_once(alerted: Alerted) -> None:
    """上报 can be done again and again, so only the link's single use stops a second climb."""
    url = alerted.links["escalate"]
    token = page_csrf(alerted, url)
    cookies = dict(alerted.client.cookies)
    start, statuses = threading.Barrier(6), []

    def click() -> None:
        with httpx.Client(cookies=cookies, timeout=60) as client:
            start.wait()
            statuses.append(
                client.post(url, data={"csrf": token, "reason": "家长聚集"}).status_code
            )

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 5
    with session_scope(alerted.runtime.engine) as session:
        timeline = case_timeline(session, alerted.case_id)
        assert len(session.exec(select(LinkUse)).all()) == 1
    assert [e.actor for e in timeline if e.kind == EventKind.ESCALATED] == ["wangfang"]
    outcomes = [outcome for outcome, _, _ in attempts(alerted)]
    assert sorted(outcomes) == ["acted"] + ["refused"] * 5 + ["viewed"]


def test_an_actions_own_refusal_leaves_the_link_usable(alerted: Alerted) -> None:
    url = alerted.links["extend"]
    page = alerted.client.get(url)
    assert "延至" in page.text and "延期理由" in page.text
    missing = confirm(alerted, url, reason="需要调取监控")
    assert missing.status_code == 409 and "缺少字段 until（延至）" in missing.text
    with session_scope(alerted.runtime.engine) as session:
        assert session.exec(select(LinkUse)).all() == []
    done = confirm(alerted, url, until="2026-11-22T12:00", reason="需要调取监控")
    assert done.status_code == 200, done.text
    with session_scope(alerted.runtime.engine) as session:
        [request] = session.exec(select(ApprovalRequest)).all()
    assert (request.requested_by, request.reason) == ("wangfang", "需要调取监控")
    assert [o for o, _, _ in attempts(alerted)] == [
        "viewed",
        "viewed",
        "refused",
        "viewed",
        "acted",
    ]


def test_without_a_link_key_alerts_name_the_cli_command(
    database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    config = write_web_config(
        tmp_path, database_url=database_url, receiver=receiver, port=free_port(), link_key=None
    )
    runtime = prepare(str(config))
    case_id = new_case(runtime.engine)
    cycle(runtime.engine, ALERTED, runtime.channel_url, ctx=context_for(runtime))
    [message] = messages_to(receiver, "wangfang")
    assert f"签收：yuqing case ack {case_id}" in message and "/l/" not in message
    assert links_in(message) == {}
    runtime.engine.dispose()


def test_the_link_of_someone_demoted_since_is_refused(
    alerted: Alerted, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """王芳 was office staff when alerted; the office made her a monitor and restarted. Her
    links are checked against her roles now: refused, opened or confirmed, and nothing acts."""
    before = state(alerted)
    port = free_port()
    (tmp_path / "demoted").mkdir()
    config = write_web_config(
        tmp_path / "demoted",
        database_url=database_url,
        receiver=receiver,
        port=port,
        roles={"wangfang": ["monitor"]},
    )
    old = str(alerted.client.base_url).rstrip("/")
    with served(config, alerted.clock, port=port) as url, httpx.Client(base_url=url) as phone:
        for action in ("ack", "complete", "escalate", "extend"):
            link = alerted.links[action].replace(old, url)
            opened = phone.get(link)
            assert opened.status_code == 403, opened.text
            assert "此链接已不能使用" in opened.text and "王芳（监测员）不能" in opened.text
            nonce = link.rsplit("~", 2)[1]
            key = forms_key(prepare(str(config)).settings)
            assert key is not None
            seed = phone.cookies.get("yq_csrf") or ""
            form = {"csrf": csrf_token(key, seed, bound=nonce)}  # a good form: only who is wrong
            confirmed = phone.post(link, data=form)
            assert confirmed.status_code == 403 and "王芳（监测员）不能" in confirmed.text
    assert state(alerted) == before
    refusals = [reason for outcome, reason, _ in attempts(alerted) if outcome == "refused"]
    assert refusals == ["forbidden"] * 8
    prepare(str(config)).engine.dispose()


def test_the_old_link_of_an_obligation_handed_to_someone_else_is_refused(
    database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """张伟 (the school's responsible person) got the contact sheet with its 完成 link for the
    verification; the office then handed the verification to 刘洋. 张伟's link is refused, and
    the verification is not completed."""
    port = free_port()
    config = write_web_config(tmp_path, database_url=database_url, receiver=receiver, port=port)
    runtime = prepare(str(config))
    case_id = new_case(runtime.engine)
    at = T0 + timedelta(minutes=5)
    for action, person, form in (
        ("report", "wangfang", {}),
        ("assess", "liqiang", {"grade": "一级", "category": "inquiry", "units": "school"}),
        ("dispatch", "wangfang", {}),
    ):
        assert record_action(
            runtime, ActionRequest(action, case_id, person, at, "test", form)
        ).change
        for step_id, _ in claim(runtime.engine, case_id=case_id, now=at, failed=False):
            perform_step(runtime.engine, context_for(runtime), step_id=step_id, now=at)
        cycle(runtime.engine, at, runtime.channel_url, ctx=context_for(runtime))
    [sheet] = [m for m in messages_to(receiver, "zhangwei") if "联系单" in m]
    complete = links_in(sheet)["complete"]
    handed = {"to_person": "liuyang", "reason": "张伟出差"}
    request = ActionRequest("reassign", case_id, "wangfang", at, "test", handed, "verification")
    assert record_action(runtime, request).change is not None
    with served(config, Clock(at), port=port), httpx.Client() as phone:
        opened = phone.get(complete)
        assert opened.status_code == 403, opened.text
        assert "已转办给 刘洋" in opened.text
    with session_scope(runtime.engine) as session:
        verification = next(
            o for o in case_obligations(session, case_id) if o.key == "verification"
        )
    assert (verification.status.value, verification.assignee_id) == ("open", "liuyang")
    runtime.engine.dispose()
