"""The floors of the house are a test: on the real tree no import runs up a floor and the pure
core imports nothing impure; on small trees written here with one deliberately wrong import, the
checker names the module, the line and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.floors import check

ROOT = Path(__file__).resolve().parents[2]


def test_the_real_tree_keeps_its_floors_and_its_pure_core() -> None:
    assert [str(v) for v in check(ROOT)] == []


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"models/repo/cases.py": "import os\nfrom tasks.runtime import prepare\n"},
            "models.repo.cases:2 imports tasks.runtime: models is below tasks",
        ),
        (
            {"notifications/outbox.py": "def f():\n    from yuqing.cli import app\n"},
            "notifications.outbox:2 imports yuqing.cli: notifications is below yuqing",
        ),
        (
            {"settings/loading.py": "from models.store.db import make_engine\n"},
            "settings.loading:1 imports models.store.db: settings imports nothing of ours",
        ),
        (
            {"models/policy/clocks.py": "import sqlalchemy\n"},
            "models.policy.clocks:1 imports sqlalchemy: models.policy is pure",
        ),
        (
            {"models/policy/stages.py": "from models.repo.cases import get_case\n"},
            "models.policy.stages:1 imports models.repo.cases: models.policy is pure",
        ),
        (
            {"models/parse/feeds.py": "import httpx\n"},
            "models.parse.feeds:1 imports httpx: models.parse is pure",
        ),
    ],
    ids=[
        "up-a-floor",
        "nested-import-of-the-front-door",
        "settings-leaf",
        "pure-orm",
        "pure-to-repository",
        "pure-parser-http",
    ],
)
def test_a_deliberately_wrong_import_is_caught(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    assert [str(v) for v in check(tree(tmp_path, files))] == [expected]


def test_what_the_floors_allow_is_not_flagged(tmp_path: Path) -> None:
    files = {
        "yuqing/cli.py": "from flows.case import advance_case\nfrom models.repo import stages\n",
        "tasks/act.py": "from notifications.links import spend_link\nimport sqlmodel\n",
        "models/repo/cases.py": "from models.policy import Policy\nfrom settings import Settings\n",
        "models/policy/calendar.py": "import holidays\nfrom datetime import date\n",
        "models/parse/topics.py": "from models.policy.states import Category\nimport opencc\n",
    }
    assert check(tree(tmp_path, files)) == []
