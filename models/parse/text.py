"""Chinese text as it comes from the network: decoding a body by its declared charset or, when
that is missing or wrong, by detection among UTF-8, GB18030 (a superset of GBK and GB2312) and
Big5; and folding text for matching: traditional → simplified (OpenCC), full-width →
half-width (NFKC), case and whitespace. Pure functions: no I/O."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc
from charset_normalizer import from_bytes

CANDIDATES = ("utf_8", "gb18030", "big5")
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf_8_sig"),
    (codecs.BOM_UTF16_LE, "utf_16"),
    (codecs.BOM_UTF16_BE, "utf_16"),
)


@dataclass(frozen=True)
class Decoded:
    """The text, the codec used, and a problem to report (a wrong declaration), if any."""

    text: str
    encoding: str
    problem: str | None = None


def codec_name(label: str | None) -> str | None:
    """Python's codec name for a charset label; GBK and GB2312 widen to GB18030 (a superset)."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return "gb18030" if name in ("gbk", "gb2312") else name.replace("-", "_")


def declared_charset(body: bytes, content_type: str | None = None) -> str | None:
    """The charset the HTTP header, the XML declaration or an HTML meta tag declares."""
    if content_type and (found := _HEADER.search(content_type)):
        return found.group(1)
    head = body[:1024]
    for pattern in (_XML_DECL, _META):
        if match := pattern.search(head):
            return match.group(1).decode("ascii")
    return None


def decode_body(
    body: bytes, *, declared: str | None = None, override: str | None = None
) -> Decoded:
    """Decode with the source's configured override, else a BOM, else the declared charset when
    it decodes cleanly, else the best of UTF-8, GB18030 and Big5."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return Decoded(body.decode(name, errors="replace"), name)
    wanted = codec_name(override) or codec_name(declared)
    if wanted is not None:
        try:
            return Decoded(body.decode(wanted), wanted)
        except UnicodeDecodeError:
            pass
    guessed = detect_charset(body)
    text = body.decode(guessed, errors="replace")
    if wanted is None:
        return Decoded(text, guessed)
    return Decoded(text, guessed, f"声明的字符集 {declared or override} 有误，已按 {guessed} 解码")


def detect_charset(body: bytes) -> str:
    """UTF-8 when the bytes are valid UTF-8; otherwise the likelier of GB18030 and Big5."""
    try:
        body.decode("utf_8")
        return "utf_8"
    except UnicodeDecodeError:
        pass
    strict = [name for name in CANDIDATES[1:] if _decodes(body, name)]
    if len(strict) == 1:
        return strict[0]
    best = from_bytes(body, cp_isolation=list(CANDIDATES[1:])).best()
    if best is None:
        return "gb18030"
    return codec_name(best.encoding) or "gb18030"


def _decodes(body: bytes, name: str) -> bool:
    try:
        body.decode(name)
    except UnicodeDecodeError:
        return False
    return True


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))


def fold(text: str) -> str:
    """Text for matching: simplified, half-width, lower-case, with no whitespace at all (Chinese
    does not separate words, so a term must match across a stray space or line break)."""
    return "".join(to_simplified(unicodedata.normalize("NFKC", text)).lower().split())
