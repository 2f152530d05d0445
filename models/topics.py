"""Keyword topics: which topic an item concerns, matched on lightly normalised text (NFKC folds
full-width forms; case and whitespace are ignored). Pure: standard library only."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    id: str
    include_any: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    category: str = "inquiry"
    grade_hint: str | None = None


def normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def match_topic(text: str, topics: Sequence[Topic]) -> Topic | None:
    """The first topic with an include term in the text and none of its exclude terms."""
    folded = normalise(text)
    for topic in topics:
        if any(normalise(term) in folded for term in topic.exclude):
            continue
        if any(normalise(term) in folded for term in topic.include_any):
            return topic
    return None
