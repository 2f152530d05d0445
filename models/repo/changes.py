"""What a person's action did, as the repository answers it: one line for the person, the data a
`--json` caller reads, and the notices the change causes (carried out by the `case` flow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.policy.notices import Notice


@dataclass(frozen=True)
class Change:
    case_id: int
    message: str  # Chinese, one line: shown on the page, printed by the CLI
    data: dict[str, Any] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    obligation_key: str | None = None
