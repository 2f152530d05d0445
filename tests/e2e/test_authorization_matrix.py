"""The authorization matrix, on SQLite and PostgreSQL: one person per role (two schools, each with
its responsible person and liaison) against two cases at the contact sheet, one per school —
every catalogue action on every case, office obligation, unit obligation and request, through
every front: the console (a signed-in browser posting the form, over a real socket to the real
app), the signed links (opened and confirmed) and the CLI with `--by`; and every console page.
The first school's people act on their own unit's case, the second school's on another's.
Each attempt is allowed exactly where the rules promised (`tests.support.matrix.expected`, stated
apart from the code) and refused everywhere else — 403 on the console and the links, exit 2 with
无权办理 on the CLI — with no row of any table changed by the refusals. The forms are sent empty,
so an allowed attempt is stopped by a missing field or the case's stage (never by permission)
unless it needs nothing (签收, 同意). The size of the matrix is printed (`-s`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from models.policy.catalogue import CATALOGUE, PAGES
from notifications.links import derive_key, new_nonce, sign_link
from tasks.runtime import Runtime, prepare
from tests.support import matrix
from tests.support.console import csrf_of, sign_in
from tests.support.dbstate import changed, snapshot
from tests.support.web import LINK_KEY, Clock, free_port, served
from yuqing.cli import app
from yuqing.localservers import WebhookReceiver

pytestmark = pytest.mark.usefixtures("prefect_harness")
CLI_FLAGS = {"obligation": "--obligation", "request": "--request"}
OFFICE_PAGES = {name for name, p in PAGES.items() if p.office}
PLAIN_PAGES = (
    "/",
    "/my",
    "/approvals",
    "/library",
    "/accountability",
    "/stats",
    "/stuck",
    "/reports",
    "/channels",
    "/cases/new",
)


@dataclass
class World:
    config: Path
    runtime: Runtime
    base: str
    targets: list[matrix.Target]  # the first school's case: every action is tried on it
    cases: list[matrix.Target]  # both schools' cases: every page is opened
    tally: Counter[str] = field(default_factory=Counter)


@pytest.fixture
def world(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[World]:
    port = free_port()
    config = matrix.write_config(tmp_path, database_url=database_url, receiver=receiver, port=port)
    runtime = prepare(str(config))
    targets = matrix.seed(runtime)
    cases = [t for t in targets if t.obligation is None and t.request is None]
    first = [t for t in targets if t.case_id == cases[0].case_id]
    with served(config, Clock(matrix.AT + timedelta(minutes=5)), port=port) as base:
        yield World(config, runtime, base, first, cases)
    runtime.engine.dispose()


def _batches(
    w: World, persona: matrix.Persona
) -> tuple[list[tuple[str, matrix.Target]], list[tuple[str, matrix.Target]]]:
    """The persona's attempts, refused ones first (checked for no change as a batch)."""
    tried = matrix.attempts(w.targets)
    refused = [(a, t) for a, t in tried if not matrix.expected(persona, a, t)]
    allowed = [(a, t) for a, t in tried if matrix.expected(persona, a, t)]
    return refused, allowed


def _form(action: str, target: matrix.Target, token: str) -> dict[str, str]:
    form = {"csrf": token, "action": action}
    if target.obligation:
        form["obligation"] = target.obligation
    if target.request:
        form["request"] = str(target.request)
    return form


def _console(w: World, persona: matrix.Persona, *, pages: bool) -> None:
    """The persona's pages (`pages`, before anyone acts: a decided request no longer makes its
    case visible to an approver) or their every action from the console."""
    with httpx.Client(base_url=w.base, timeout=60) as browser:
        assert sign_in(browser, persona.id).status_code == 303
        if pages:
            _pages(w, persona, browser)
            return
        token = csrf_of(browser.get("/my"))
        refused, allowed = _batches(w, persona)
        before = snapshot(w.runtime.engine)
        for action, target in refused:
            answer = browser.post(f"/cases/{target.case_id}/act", data=_form(action, target, token))
            assert answer.status_code == 403, (persona, action, target, answer.text[:400])
            w.tally["console refused"] += 1
        assert changed(before, snapshot(w.runtime.engine)) == [], persona
        for action, target in allowed:
            answer = browser.post(f"/cases/{target.case_id}/act", data=_form(action, target, token))
            assert answer.status_code in (303, 422), (persona, action, target, answer.text[:400])
            w.tally["console allowed"] += 1


def _pages(w: World, persona: matrix.Persona, browser: httpx.Client) -> None:
    office = persona.role in matrix.OFFICE_ROLES
    for path in PLAIN_PAGES:
        name = next(n for n, p in PAGES.items() if p.path == path)
        if name == "register":
            may = persona.role in CATALOGUE["register"].roles
        else:
            may = office or name not in OFFICE_PAGES
        status = browser.get(path).status_code
        assert status == (200 if may else 403), (persona, path, status)
        w.tally["pages" if may else "pages refused"] += 1
    for target in w.cases:
        may = matrix.sees(persona, target)
        status = browser.get(f"/cases/{target.case_id}").status_code
        assert status == (200 if may else 403), (persona, target, status)
        w.tally["pages" if may else "pages refused"] += 1


def _cli(w: World, persona: matrix.Persona) -> None:
    runner = CliRunner()
    refused, allowed = _batches(w, persona)
    before = snapshot(w.runtime.engine)
    for action, target in [*refused, ("register", matrix.Target(0, ""))]:
        if action == "register" and persona.role in CATALOGUE["register"].roles:
            continue
        result = runner.invoke(
            app, ["--config", str(w.config), "case", *_verb(action, target, persona)]
        )
        assert result.exit_code == 2 and "无权办理" in result.stderr, (
            persona,
            action,
            target,
            result.output,
        )
        w.tally["cli refused"] += 1
    assert changed(before, snapshot(w.runtime.engine)) == [], persona
    for action, target in allowed:
        result = runner.invoke(
            app, ["--config", str(w.config), "case", *_verb(action, target, persona)]
        )
        assert result.exit_code in (0, 2) and "无权办理" not in result.stderr, (
            persona,
            action,
            result.output,
        )
        w.tally["cli allowed"] += 1


def _verb(action: str, target: matrix.Target, persona: matrix.Persona) -> list[str]:
    if action == "register":
        return ["register", "--title", " ", "--by", persona.id]
    args = [action, str(target.case_id), "--by", persona.id]
    if target.obligation:
        args += ["--obligation", target.obligation]
    if target.request:
        args += ["--request", str(target.request)]
    return args


def _links(w: World, persona: matrix.Persona) -> None:
    """Every link action as a link to the persona: opened (GET) and, where allowed, confirmed."""
    tried = [(a, t) for a, t in matrix.attempts(w.targets) if CATALOGUE[a].link]
    refused = [(a, t) for a, t in tried if not matrix.expected(persona, a, t)]
    allowed = [(a, t) for a, t in tried if matrix.expected(persona, a, t)]
    with httpx.Client(base_url=w.base, timeout=60) as phone:
        before = snapshot(w.runtime.engine)
        for action, target in refused:
            opened = phone.get(_link(persona, action, target))
            assert opened.status_code == 403, (persona, action, target, opened.text[:300])
            w.tally["links refused"] += 1
        assert changed(before, snapshot(w.runtime.engine)) == [], persona
        for action, target in allowed:
            url = _link(persona, action, target)
            opened = phone.get(url)
            assert opened.status_code in (200, 409), (persona, action, target, opened.text[:300])
            if opened.status_code == 200:
                confirmed = phone.post(url, data={"csrf": csrf_of(opened)})
                assert confirmed.status_code in (200, 409), (persona, action, confirmed.text[:300])
            w.tally["links allowed"] += 1


def _link(persona: matrix.Persona, action: str, target: matrix.Target) -> str:
    """A signed link of `action` on `target` for the persona (a case-wide one, 升级, names the
    case's first obligation, as alerts do)."""
    if target.request is not None:
        subject = f"req{target.request}"
    else:
        subject = target.obligation or matrix.OBLIGATIONS[0]
    token = sign_link(
        derive_key(LINK_KEY, "link"),
        action=action,
        case_id=target.case_id,
        obligation_key=subject,
        recipient=persona.id,
        expires_at=matrix.AT + timedelta(days=2),
        nonce=new_nonce(),
    )
    return f"/l/{token}"


def test_every_role_on_every_action_and_page_is_allowed_exactly_where_promised(
    world: World,
) -> None:
    for persona in matrix.personas():
        _console(world, persona, pages=True)
    for persona in matrix.personas():
        _console(world, persona, pages=False)
    for persona in matrix.personas():
        _links(world, persona)
    for persona in matrix.personas():
        _cli(world, persona)
    counted = dict(world.tally)
    tried = sum(counted.values())
    refusals = sum(v for k, v in counted.items() if "refused" in k)
    print(f"\nauthorization matrix: {tried} cases tried, {refusals} refused: {counted}")
    assert counted["console refused"] and counted["console allowed"]
    assert counted["cli refused"] and counted["links refused"] and counted["links allowed"]
