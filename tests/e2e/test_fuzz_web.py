"""Property-based tests (hypothesis) of the web surfaces, on SQLite and PostgreSQL: the sign-in
form, the register form, every action's form, the library search, case pages by number, and the
signed links opened and submitted with forged, tampered, expired, replayed and genuine tokens
and random form bodies (`tests.support.webfuzz`). No drawn input answers 500 or raises, a
refusal changes no table, and every sign-in or link attempt is audited once.

A modest number of examples per surface here (`YUQING_FUZZ_EXAMPLES`, default 25); the long run
is `uv run python bench/fuzz_web.py`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.webfuzz import SURFACES, World, world
from yuqing.localservers import WebhookReceiver

# Every action is a task run of its own: the app reports it to a Prefect API.
pytestmark = pytest.mark.usefixtures("prefect_harness")

EXAMPLES = int(os.environ.get("YUQING_FUZZ_EXAMPLES", "25"))


@pytest.fixture
def office(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[World]:
    with world(tmp_path, database_url, receiver) as w:
        yield w


@pytest.mark.parametrize("surface", list(SURFACES))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # One office for all of a test's examples: what an accepted input changed stays, as it would.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_no_input_answers_500_or_changes_what_it_refuses(
    office: World, surface: str, data: st.DataObject
) -> None:
    SURFACES[surface](office, data)
