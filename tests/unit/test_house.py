"""The rooms of the house stay small (issue 20): no function in the code over 40 lines, and no
module over 300 lines but the few named here, each with the reason it stays whole. A function
or module that grows past the mark fails here with its path, line and length."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ("yuqing", "deployments", "flows", "tasks", "notifications", "models", "settings")
LONGEST_FUNCTION = 40
LONGEST_MODULE = 300
# A module that stays whole past 300 lines, and why (one line each).
WHOLE: dict[str, str] = {
    "models/store/tables.py": "the schema in one place, compared table by table with migrations",
}


def code_files() -> list[Path]:
    return sorted(f for top in CODE for f in (ROOT / top).rglob("*.py"))


def long_functions(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(root)}:{node.lineno} {node.name} {length} lines"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := (node.end_lineno or node.lineno) - node.lineno + 1) > LONGEST_FUNCTION
    ]


def test_no_function_in_the_code_is_over_40_lines() -> None:
    assert [line for path in code_files() for line in long_functions(path)] == []


def test_no_module_is_over_300_lines_but_the_ones_kept_whole_for_a_reason() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in code_files()
    }
    assert {name: n for name, n in sizes.items() if n > LONGEST_MODULE}.keys() <= WHOLE.keys()
    assert all(sizes[name] > LONGEST_MODULE for name in WHOLE), "a kept module is short now"


def test_the_checker_names_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LONGEST_FUNCTION))
    path = tmp_path / "models" / "example.py"
    path.parent.mkdir()
    path.write_text(f"def short() -> None:\n    pass\n\n\ndef too_long() -> None:\n{body}\n")
    assert long_functions(path, tmp_path) == ["models/example.py:5 too_long 41 lines"]
