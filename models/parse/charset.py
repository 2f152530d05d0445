"""Decoding a body as it comes from the network, honestly: a byte-order mark first (UTF-8,
UTF-16, UTF-32), then the source's configured charset, then the declared one (HTTP header, XML
declaration, HTML meta), then detection. A UTF-8 body with a few bad bytes stays UTF-8 with
replacement characters; an undeclared body that is not UTF-8 is detected by charset-normalizer
among the charsets offices meet (Chinese first, then Japanese, Korean, Cyrillic, Western). Every
choice that was not a declaration, and every repair, comes back as a note for the source run.
Pure functions: no I/O."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

# Detection candidates, in order of preference when charset-normalizer cannot tell them apart.
DETECTABLE = (
    "gb18030",
    "big5",
    "cp932",
    "euc_jp",
    "cp949",
    "cp1251",
    "koi8_r",
    "cp1252",
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]{1,40})["']""")
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_HEADER = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)
# UTF-32 before UTF-16: the UTF-32LE mark begins with the UTF-16LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf_32_le", "UTF-32LE"),
    (codecs.BOM_UTF32_BE, "utf_32_be", "UTF-32BE"),
    (codecs.BOM_UTF8, "utf_8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf_16_le", "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "utf_16_be", "UTF-16BE"),
)
# An XML document without a mark says how wide its characters are by how `<?` or `<` is
# spelt in its first four bytes (XML 1.0, appendix F).
_XML_WIDTHS = (
    (b"\x00\x00\x00<", "utf_32_be"),
    (b"<\x00\x00\x00", "utf_32_le"),
    (b"\x00<\x00?", "utf_16_be"),
    (b"<\x00?\x00", "utf_16_le"),
)
FEW_BAD = 10  # UTF-8 stays UTF-8 while it has ten good multi-byte characters per bad sequence


@dataclass(frozen=True)
class Decoded:
    """The text, the codec used, and what the run record should say about it (None: a clean
    decode by a declaration, a mark, or UTF-8 as XML and JSON default to)."""

    text: str
    encoding: str
    note: str | None = None


def codec_name(label: str | None) -> str | None:
    """Python's codec name for a charset label; GBK and GB2312 widen to GB18030 (a superset)."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
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
    """Decode by mark, else the source's `override`, else the `declared` charset when the bytes
    fit it, else detection; see the module docstring for the notes."""
    for bom, name, label in _BOMS:
        if body.startswith(bom):
            return _lenient(body[len(bom) :], name, label)
    if override is not None:
        wanted = codec_name(override)
        if wanted is not None:
            return _lenient(body, wanted, override)
    wanted = codec_name(declared)
    if wanted is not None:
        try:
            return Decoded(body.decode(wanted), wanted)
        except UnicodeDecodeError:
            pass
        if wanted == "utf_8" and (mostly := _mostly_utf8(body)) is not None:
            return mostly
        guessed = detect_charset(body)
        return Decoded(
            body.decode(guessed, errors="replace"),
            guessed,
            f"声明的字符集 {declared} 与内容不符，已按检测结果 {guessed} 解码",
        )
    return _undeclared(body, declared)


def _undeclared(body: bytes, declared: str | None) -> Decoded:
    unknown = f"无法识别声明的字符集 {declared}，" if declared else "未声明字符集，"
    for prefix, name in _XML_WIDTHS:
        if body.startswith(prefix):
            return _lenient(body, name, name, note=f"{unknown}按字节模式以 {name} 解码")
    try:
        text = body.decode("utf_8")
    except UnicodeDecodeError:
        pass
    else:  # UTF-8 is what XML and JSON mean when they declare nothing: not a guess
        return Decoded(text, "utf_8", f"{unknown}按 UTF-8 解码" if declared else None)
    if (mostly := _mostly_utf8(body)) is not None:
        return mostly
    guessed = detect_charset(body)
    return Decoded(
        body.decode(guessed, errors="replace"), guessed, f"{unknown}按检测结果 {guessed} 解码"
    )


def _lenient(body: bytes, name: str, label: str, *, note: str | None = None) -> Decoded:
    """Decode with `name`, replacing what does not fit and saying how much did not."""
    text = body.decode(name, errors="replace")
    bad = text.count("\ufffd") - _replacement_chars(body, name)
    if bad > 0:
        repaired = f"{label} 内容中有 {bad} 处无效字节，已替换为 �"
        note = f"{note}；{repaired}" if note else repaired
    return Decoded(text, name, note)


def _replacement_chars(body: bytes, name: str) -> int:
    """U+FFFD characters the body itself spells (not ones a lenient decode put in)."""
    try:
        return body.count("\ufffd".encode(name))
    except (UnicodeEncodeError, LookupError):
        return 0


def _mostly_utf8(body: bytes) -> Decoded | None:
    """UTF-8 with a few bad bytes, decoded with replacement characters, or None when the bad
    sequences are too many for that (then the body is in some other charset)."""
    text = body.decode("utf_8", errors="replace")
    bad = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    wide = sum(1 for char in text if ord(char) > 0x7F) - bad
    if bad <= 0 or wide < FEW_BAD * bad:
        return None
    return Decoded(text, "utf_8", f"UTF-8 内容中有 {bad} 处无效字节，已替换为 �")


def detect_charset(body: bytes) -> str:
    """UTF-8 when the bytes are valid UTF-8; otherwise charset-normalizer's choice among
    `DETECTABLE`, preferring the earlier one of those it finds equally plausible."""
    try:
        body.decode("utf_8")
        return "utf_8"
    except UnicodeDecodeError:
        pass
    matches = list(from_bytes(body, cp_isolation=list(DETECTABLE)))
    if not matches:
        return "gb18030"
    least = min(match.chaos for match in matches)
    calm = [match for match in matches if match.chaos <= least]
    most = max(match.coherence for match in calm)
    best = [codec_name(m.encoding) for m in calm if m.coherence >= most]
    ranked = sorted((n for n in best if n), key=lambda n: _rank(n))
    return ranked[0] if ranked else "gb18030"


def _rank(name: str) -> int:
    return DETECTABLE.index(name) if name in DETECTABLE else len(DETECTABLE)
