"""Keyword topics: which topic an item concerns. A topic matches when its text contains any one
of `include_any` (or it has none), every one of `include_all`, and none of `exclude`, all
compared on folded text (`models.parse.text.fold`: simplified, half-width, lower-case, no
whitespace), so 學校 matches 学校 and ＡＢＣ matches abc. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from models.parse.text import fold
from models.policy.states import Category

CATEGORIES = tuple(c.value for c in Category)


@dataclass(frozen=True)
class Topic:
    id: str
    include_any: tuple[str, ...] = ()
    include_all: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    category: str = "inquiry"
    grade_hint: str | None = None
    _any: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _all: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _not: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.include_any or self.include_all):
            raise ValueError(f"topic {self.id!r}: needs include_any or include_all terms")
        if self.category not in CATEGORIES:
            raise ValueError(f"topic {self.id!r}: unknown category {self.category!r}")
        # Terms are folded once here, not once per item.
        object.__setattr__(self, "_any", tuple(fold(t) for t in self.include_any if fold(t)))
        object.__setattr__(self, "_all", tuple(fold(t) for t in self.include_all if fold(t)))
        object.__setattr__(self, "_not", tuple(fold(t) for t in self.exclude if fold(t)))

    def matches(self, folded: str) -> bool:
        """Whether already-folded text concerns this topic."""
        if self._any and not any(term in folded for term in self._any):
            return False
        if not all(term in folded for term in self._all):
            return False
        return not any(term in folded for term in self._not)


def match_folded(folded: str, topics: Sequence[Topic]) -> Topic | None:
    """The first topic (in configured order) that folded text matches."""
    for topic in topics:
        if topic.matches(folded):
            return topic
    return None
