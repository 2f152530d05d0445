"""Property-based tests of the surfaces outsiders reach, a modest number of examples each
(`bench/fuzz.py` runs the same properties longer): the intake endpoint answers anything with a
status it means (never a 5xx) and changes no row when it refuses, on both databases; `config
check` answers any file with exit 0 or 2, never an exception."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.support.configs import write_office_config
from tests.support.properties import (
    INTAKE_SOURCES,
    TOKEN,
    IntakeRequest,
    check_config,
    check_intake,
    config_texts,
    intake_requests,
)
from yuqing.localservers import WebhookReceiver
from yuqing.web.app import create_app

SUITE = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_intake_endpoint_never_answers_500(
    database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    config = str(
        write_office_config(
            tmp_path,
            database_url=database_url,
            receiver=receiver,
            sources_toml=INTAKE_SOURCES,
            extra_secrets=f'intake_token = "{TOKEN}"',
        )
    )
    answers: Counter[int] = Counter()
    with TestClient(create_app(config), raise_server_exceptions=False) as client:

        @SUITE
        @given(intake_requests())
        def answer(request: IntakeRequest) -> None:
            answers[check_intake(client, config, request)] += 1

        answer()
    assert answers[422] and answers[401] and (answers[201] or answers[200]), answers


def test_config_check_answers_any_file_with_0_or_2(tmp_path: Path) -> None:
    codes: Counter[int] = Counter()

    @SUITE
    @given(config_texts())
    def check(text: bytes) -> None:
        codes[check_config(tmp_path, text)] += 1

    check()
    assert codes[2] and codes[0], codes
