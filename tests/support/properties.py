"""The properties the suite checks with a few examples (`tests/unit/test_fuzz_*.py`,
`tests/e2e/test_fuzz_*.py`) and `bench/fuzz.py` checks with many: each surface is a strategy of
inputs and a check that raises AssertionError on a failure. Surfaces: the feed parser (the fast
path against feedparser, what was written against what is read, survival of mangled bytes),
canonical URLs, the intake endpoint (no 500, no database change on a refusal) and `config
check` (exit 0 or 2, never an exception)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import strategies as st
from sqlmodel import func, select
from typer.testing import CliRunner

from models.parse.charset import declared_charset, decode_body
from models.parse.entries import FeedError, Parsed, add_entry
from models.parse.feeds import parse_feed, parse_with_feedparser
from models.parse.rss import read_rss
from models.parse.unsupported import Unsupported
from models.parse.urls import canonical_url, link_problem
from models.store.db import session_scope
from models.store.tables import Case, CaseEvent, IntakeReceipt, Item, Notification, Obligation
from tasks.runtime import prepare
from tests.support.feedgen import FEED_URL, FeedSpec, expected
from tests.support.feedrender import render
from yuqing.cli import app as cli_app

FIELDS = ("url", "title", "summary", "published_at", "author")
_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


# --- the feed parser ----------------------------------------------------------------------------


def check_fast_path_agrees(spec: FeedSpec, tally: Counter[str] | None = None) -> None:
    """When the fast path accepts a document, its items are feedparser's, field by field;
    `tally` counts documents accepted and fields compared and agreed."""
    tally = tally if tally is not None else Counter()
    body = render(spec)
    decoded = decode_body(body, declared=declared_charset(body))
    utf8 = _DECL.sub("", decoded.text, count=1).encode("utf-8")
    tally["documents"] += 1
    try:
        entries = read_rss(utf8, base=FEED_URL)
    except Unsupported:
        tally["handed to feedparser"] += 1
        return
    tally["read by the fast path"] += 1
    fast = Parsed(items=[], entries=len(entries))
    for entry in entries:
        add_entry(fast, entry)
    oracle = parse_with_feedparser(utf8, base_url=FEED_URL)
    assert len(fast.items) == len(oracle.items), (fast.items, oracle.items)
    for mine, theirs in zip(fast.items, oracle.items, strict=True):
        for name in FIELDS:
            tally[f"{name} compared"] += 1
            assert getattr(mine, name) == getattr(theirs, name), (name, mine, theirs)
            tally[f"{name} agreed"] += 1
    assert sum(fast.problems.values()) == sum(oracle.problems.values())


def check_reads_what_was_written(spec: FeedSpec) -> None:
    """Any format, any charset: the items read are the items written (plain text, absolute
    links, times to the second)."""
    parsed = parse_feed(render(spec), base_url=FEED_URL)
    got = [(i.url, i.title, i.summary, i.published_at) for i in parsed.items]
    want = [(e.url, e.title, e.summary, e.published_at) for e in expected(spec)]
    assert got == want, (spec.format, spec.charset, got, want)


def check_parse_survives(body: bytes) -> None:
    """Whatever the bytes, parsing returns items or says why not (FeedError), nothing else."""
    try:
        parsed = parse_feed(body, base_url=FEED_URL)
    except FeedError:
        return
    for item in parsed.items:
        assert link_problem(item.url) is None
        assert "\x00" not in item.title + item.summary


# --- canonical URLs -----------------------------------------------------------------------------

hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z]{2,4}){0,2}", fullmatch=True)
paths = st.from_regex(r"(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}){0,3}", fullmatch=True)
queries = st.from_regex(r"(\?[A-Za-z0-9_=&%.-]{0,20})?", fullmatch=True)
urls = st.builds(
    lambda scheme, host, port, path, query: f"{scheme}://{host}{port}{path}{query}",
    st.sampled_from(["http", "https", "HTTP", "Https"]),
    hosts,
    st.sampled_from(["", ":80", ":443", ":8080"]),
    paths,
    queries,
)


def check_canonical(first: str, second: str) -> None:
    """A canonical URL is stable, keeps its host, and two hosts never share one."""
    assert link_problem(first) is None, first
    one = canonical_url(first)
    assert canonical_url(one) == one

    def host(url: str) -> str:
        return url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]

    assert host(one)
    if host(canonical_url(first)) != host(canonical_url(second)):
        assert canonical_url(first) != canonical_url(second)


# --- the intake endpoint ------------------------------------------------------------------------

TOKEN = "fuzz-intake-token-0123456789"
GOOD = {"external_id": "F-1", "title": "网民反映某中学收费", "text": "家长反映"}
json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
plausible = {
    "external_id": st.text(max_size=210),
    "title": st.text(max_size=40) | st.just("<b></b>"),
    "text": st.text(max_size=60),
    "url": st.sampled_from(["http://a.cn/1", "http:///x", "urn:x", "https://b.cn/p?q=1", ""]),
    "published_at": st.sampled_from(
        ["2026-11-23T09:30:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59+14:00", "昨天", 0]
    ),
    "author": st.text(max_size=20),
    "site": st.text(max_size=20),
    "clicks": st.integers(min_value=-5, max_value=2**64),
    "comments": st.integers(min_value=-5, max_value=2**40),
    "reposts": st.integers(min_value=0, max_value=3_000_000_000),
    "media_level": st.sampled_from(["city", "central", "galactic", ""]),
}


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """An intake record: the required fields, some optional ones, odd values anywhere."""
    record = {key: draw(plausible[key]) for key in GOOD}
    extra = st.sampled_from([*plausible, "surprise"])
    for key in draw(st.lists(extra, max_size=5, unique=True)):
        record[key] = draw(st.one_of(plausible.get(key, json_values), json_values))
    return record


IntakeRequest = tuple[str, dict[str, str], bytes]
ANSWERS = (200, 201, 401, 404, 413, 415, 422)


@st.composite
def intake_requests(draw: st.DrawFn) -> IntakeRequest:
    """A POST to the intake endpoint: path, headers and body, usually well-formed JSON."""
    record = draw(st.one_of(records(), st.just(GOOD), json_values))
    how = draw(st.sampled_from(["utf8", "ascii", "gbk", "bytes", "cut"]))
    text = json.dumps(record, ensure_ascii=how == "ascii", allow_nan=True)
    if how == "gbk":
        body = text.encode("gbk", errors="replace")
    elif how == "bytes":
        body = draw(st.binary(max_size=200))
    else:
        body = text.encode("utf-8", errors="surrogatepass")
        if how == "cut":
            body = body[: draw(st.integers(0, len(body)))]
    headers = {
        "Authorization": draw(
            st.sampled_from([f"Bearer {TOKEN}"] * 4 + ["Bearer wrong", "", TOKEN, "Bearer \u4e2d"])
        ),
        "Content-Type": draw(
            st.sampled_from(["application/json"] * 4 + ["text/plain", "application/x+json", ""])
        ),
    }
    path = draw(st.sampled_from(["/intake/referrals"] * 6 + ["/intake/nope", "/intake/forum"]))
    return path, {k: v for k, v in headers.items() if v}, body


INTAKE_TABLES = (Item, IntakeReceipt, Case, CaseEvent, Obligation, Notification)


def row_counts(config: str) -> tuple[int, ...]:
    with session_scope(prepare(config).engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(table)).one() for table in INTAKE_TABLES
        )


def check_intake(client: TestClient, config: str, request: IntakeRequest) -> int:
    """No 5xx whatever is sent; a refusal changes no row. Returns the status."""
    path, headers, body = request
    before = row_counts(config)
    raw = {name: value.encode("utf-8") for name, value in headers.items()}  # any bytes, as sent
    answer = client.post(path, content=body, headers=raw)
    status: int = answer.status_code
    assert answer.status_code in ANSWERS, (answer.status_code, answer.text)
    if answer.status_code >= 400:
        assert row_counts(config) == before, (answer.status_code, answer.text)
        assert '"input"' not in answer.text
    return status


INTAKE_SOURCES = (
    '[[sources]]\nid = "referrals"\nkind = "intake"\nname = "网信办转办"\n\n'
    '[[sources]]\nid = "forum"\nname = "论坛"\nurl = "http://127.0.0.1:9/rss.xml"\n\n'
)


# --- config check -------------------------------------------------------------------------------

KNOWN_KEYS = {
    "general": ["timezone", "language", "data_dir", "closing_time"],
    "collect": [
        *("interval_seconds", "timeout_seconds", "max_bytes", "cluster_window_hours"),
        *("fetch_budget_seconds", "similarity", "concurrency", "sensitive_periods"),
    ],
    "sweep": ["interval_seconds", "batch_size"],
    "dispatch": ["retry_cap_seconds", "attempts_per_channel", "wake_poll_seconds"],
    "web": ["port", "base_url", "link_ttl_hours", "intake_max_bytes"],
    "policy": ["preset", "file"],
    "database": ["url"],
    "escalation": ["dual_reporting_grades", "second_chain", "quiet_hours"],
}
toml_values = st.sampled_from(
    [
        "inf",
        "-inf",
        "nan",
        "0",
        "-1",
        "1e308",
        "9" * 40,
        "true",
        '""',
        '"Asia"',
        '"Asia/Shanghai"',
        '"x"',
        "[]",
        "[[[]]]",
        "{}",
        "{ a = 1 }",
        "2026-11-23T08:00:00",
        "2026-11-23T08:00:00+08:00",
        "08:00:00",
        '"\\u0000"',
        '"' + "x" * 300 + '"',
        "[1, 'a']",
        '"sqlite:///x.db"',
        '"postgresql://u:p@h/d"',
        '"mysql://h/d"',
        '"default"',
        '"/"',
    ]
)


OFFICE = (
    '[[people]]\nid = "wang"\nname = "王芳"\nchannels = ["wang_hook"]\n'
    'roles = ["office_staff", "leader_in_charge", "principal_leader", "group_head"]\n'
)
SECRETS = '[channels]\nwang_hook = "json://127.0.0.1:9/hook"\n'


@st.composite
def config_texts(draw: st.DrawFn) -> bytes:
    """A settings file: known sections with odd values (after a valid office, or alone), broken
    TOML, or any bytes at all."""
    kind = draw(st.sampled_from(["fields", "fields", "fields", "text", "bytes", "nested"]))
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", errors="surrogatepass")
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "nested":
        depth = draw(st.integers(1, 3000))
        return f"x = {'[' * depth}{']' * depth}\n".encode()
    lines = []
    for section in draw(st.lists(st.sampled_from(sorted(KNOWN_KEYS)), max_size=3, unique=True)):
        lines.append(f"[{section}]")
        for key in draw(st.lists(st.sampled_from(KNOWN_KEYS[section]), max_size=3, unique=True)):
            lines.append(f"{key} = {draw(toml_values)}")
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["general = 5", "[[people]]\nid = 'x'", "[secrets]"])))
    if draw(st.booleans()):  # an office reaching somebody, so that exit 0 is possible too
        lines.append(OFFICE)
    return "\n".join(lines).encode()


def check_config(directory: Path, text: bytes, secrets: str = SECRETS) -> int:
    """`yuqing config check` on the file: exit 0 or 2, never an exception. Returns the code."""
    config = directory / "yuqing.toml"
    config.write_bytes(text)
    (directory / "secrets.toml").write_text(secrets, encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["config", "check", str(config)])
    raised = result.exception
    assert raised is None or isinstance(raised, SystemExit), repr(raised)
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    return result.exit_code
