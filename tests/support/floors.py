"""The house's floors (`../shared/ARCHITECTURE.md`), as a checker the tests run on the real tree
and on deliberately wrong ones: a module imports only from its own floor or the floors below
(settings is a leaf: it imports nothing of ours), and the pure core imports only the standard
library, its allowed libraries and other pure modules, followed through the project's own
imports (a pure module importing an impure one of ours is caught where it happens)."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

FLOORS = ("settings", "models", "notifications", "tasks", "flows", "deployments", "yuqing")
RANK = {name: i for i, name in enumerate(FLOORS)}
# The pure core: package → (third-party libraries it may use, project packages it may import).
PURE: Mapping[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "models.policy": (frozenset({"holidays"}), ("models.policy",)),
    "models.parse": (
        frozenset({"opencc", "feedparser", "defusedxml", "charset_normalizer"}),
        ("models.parse", "models.policy"),
    ),
    "models.reports": (frozenset(), ("models.reports", "models.policy")),
}
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported}: {self.why}"


def modules(root: Path) -> Iterator[tuple[str, Path]]:
    """(dotted name, path) of every module of the floors under `root` (migrations aside)."""
    for top in FLOORS:
        base = root / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(root).with_suffix("").parts
            yield ".".join(p for p in parts if p != "__init__"), path


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module) of every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def _pure_package(module: str) -> str | None:
    return next((p for p in PURE if module == p or module.startswith(p + ".")), None)


def check(root: Path) -> list[Violation]:
    """Every import that runs up the floors, or out of the pure core."""
    found = []
    for module, path in modules(root):
        top = module.split(".")[0]
        pure = _pure_package(module)
        for line, imported in imports(path):
            head = imported.split(".")[0]
            if top == "settings" and head in RANK and head != "settings":
                found.append(Violation(module, line, imported, "settings imports nothing of ours"))
            elif head in RANK and RANK[head] > RANK[top]:
                found.append(Violation(module, line, imported, f"{top} is below {head}"))
            if pure is not None:
                allowed_libs, allowed_ours = PURE[pure]
                ours = head in RANK
                ok = (
                    any(imported == p or imported.startswith(p + ".") for p in allowed_ours)
                    if ours
                    else head in STDLIB or head in allowed_libs
                )
                if not ok:
                    found.append(Violation(module, line, imported, f"{pure} is pure"))
    return found
