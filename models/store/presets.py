"""Reading policy presets and policy files from disk (the I/O beside the pure policy engine).

Presets are TOML files in the repository's top-level ``presets/`` directory, one per seed plan;
``load_preset`` and ``load_policy_file`` read them and hand the data to the pure
``parse_policy``. TOML syntax errors become ``PolicyInvalid`` naming the file and line. This
module may touch the file system; ``models.policy`` may not.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from models.policy.errors import PolicyError, PolicyInvalid
from models.policy.parse import parse_policy
from models.policy.policy import Policy

__all__ = [
    "PRESETS_DIR",
    "PresetInfo",
    "default_policy",
    "list_presets",
    "load_policy_file",
    "load_preset",
    "read_toml",
]

PRESETS_DIR = Path(__file__).resolve().parents[2] / "presets"


@dataclass(frozen=True)
class PresetInfo:
    """One bundled preset: id, title, and the seed it reproduces (e.g. ``001 篇四``)."""

    id: str
    title: str
    seed: str
    path: Path


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; syntax errors and unreadable files raise ``PolicyInvalid``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyInvalid(
            [f"{path}: 无法读取文件 / cannot read: {exc}"], origin=str(path)
        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _line_of(str(exc))
        where = f"{path}:{line}" if line else str(path)
        raise PolicyInvalid(
            [f"{where}: TOML 语法错误 / syntax error: {exc}"], origin=str(path)
        ) from exc


def _line_of(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def load_policy_file(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Policy:
    """Read and validate one policy file."""
    file = Path(path)
    return parse_policy(read_toml(file), origin=str(file), overrides=overrides)


def _preset_path(preset_id: str) -> Path:
    path = PRESETS_DIR / f"{preset_id}.toml"
    if not path.is_file():
        known = ", ".join(p.id for p in list_presets())
        raise PolicyError(f"未知预设“{preset_id}”，可用：{known} / unknown preset {preset_id!r}")
    return path


def load_preset(preset_id: str, overrides: Mapping[str, Any] | None = None) -> Policy:
    """Load a bundled preset by id (``default``, ``s1-4``, …)."""
    return load_policy_file(_preset_path(preset_id), overrides)


def list_presets() -> tuple[PresetInfo, ...]:
    """Every bundled preset, ``default`` first, then by id."""
    infos = []
    for path in sorted(PRESETS_DIR.glob("*.toml")):
        data = read_toml(path)
        infos.append(
            PresetInfo(
                id=str(data.get("id", path.stem)),
                title=str(data.get("title", "")),
                seed=str(data.get("seed", "")),
                path=path,
            )
        )
    return tuple(sorted(infos, key=lambda p: (p.id != "default", _natural(p.id))))


def _natural(text: str) -> tuple[tuple[int, str], ...]:
    """Sort key that puts ``s1-2`` before ``s1-12``."""
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part)
        for part in re.split(r"(\d+)", text)
        if part
    )


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The default preset, parsed once (policies are immutable)."""
    return load_preset("default")
