"""The pure core imports no I/O framework: walk the AST of every module in ``models/policy/`` and
``models/parse/`` (and ``models/clock.py`` when present) and fail on prefect, sqlmodel,
sqlalchemy, httpx, apprise or pydantic, at any depth (function-level imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"prefect", "sqlmodel", "sqlalchemy", "httpx", "apprise", "pydantic"}
OTHER_PURE = ("clock.py", "escalation.py", "chains.py", "links.py")
COLLECTION_PURE = (
    "text.py",
    "topics.py",
    "dedup.py",
    "feeds.py",
    "jsonapi.py",
    "schedule.py",
    "monitoring.py",
    "spread.py",
)
PURE = (
    sorted((ROOT / "models" / "policy").glob("*.py"))
    + sorted((ROOT / "models" / "parse").glob("*.py"))
    + sorted(
        p
        for p in [ROOT / "models" / name for name in (*OTHER_PURE, *COLLECTION_PURE)]
        if p.exists()
    )
)


def imported_roots(path: Path) -> set[str]:
    """Top-level package names imported anywhere in the module."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_pure_modules_exist() -> None:
    assert len(PURE) >= 10


@pytest.mark.parametrize("path", PURE, ids=[p.relative_to(ROOT).as_posix() for p in PURE])
def test_pure_module_imports_no_io_framework(path: Path) -> None:
    assert imported_roots(path) & FORBIDDEN == set()


def test_checker_sees_nested_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import sqlalchemy.orm\n    from httpx import get\n")
    assert imported_roots(sample) == {"sqlalchemy", "httpx"}
