"""Text as it is stored, shown and matched: `plain_text` turns a title or summary that may carry
markup into plain text (tags and scripts dropped, entities decoded, whitespace folded), and
`fold` turns text into the form topics are matched on: traditional → simplified (OpenCC),
full-width → half-width (NFKC), case and whitespace. Decoding bytes is `models.parse.charset`'s
job. Pure functions: no I/O."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import opencc

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_HIDDEN = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.I | re.S)
_BLOCK = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|tr|td|th|table|h[1-6]|blockquote|pre|section|article)"
    r"\b[^<>]*>",
    re.I,
)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!\[CDATA\[|\]\]>")
# Control characters and lone surrogates: no database stores them, no reader wants them.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def plain_text(markup: str) -> str:
    """Plain text of a title or summary that may be HTML: comments, scripts and styles dropped
    with their content, block tags read as spaces, other tags removed, entities decoded once,
    control characters and lone surrogates removed, runs of whitespace folded to one space.
    Text that only looks like markup once decoded (`&lt;b&gt;`) is kept: it was meant as text."""
    if "<" not in markup and "&" not in markup:  # the common case: nothing to take out
        return " ".join(_UNSTORABLE.sub("", markup).split())
    text = _HIDDEN.sub("", _COMMENT.sub("", markup))
    text = html.unescape(_TAG.sub("", _BLOCK.sub(" ", text)))
    return " ".join(_UNSTORABLE.sub("", text).split())


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))


def fold(text: str) -> str:
    """Text for matching: simplified, half-width, lower-case, with no whitespace at all (Chinese
    does not separate words, so a term must match across a stray space or line break)."""
    return "".join(to_simplified(unicodedata.normalize("NFKC", text)).lower().split())
