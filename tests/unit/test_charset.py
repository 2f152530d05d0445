"""Charsets, honestly: a byte-order mark first (UTF-8/16/32), then the source's setting, then the
declaration, then detection; a UTF-8 body with a few bad bytes stays UTF-8 with replacement
characters; undeclared Japanese, Korean and Cyrillic bodies are detected, not turned into
mojibake; every choice that was not a declaration is noted for the source run."""

from __future__ import annotations

import codecs

import pytest

from models.parse.charset import codec_name, declared_charset, decode_body, detect_charset
from models.parse.feeds import parse_feed
from tests.support.configs import rss

SIMPLIFIED = "某中学食堂饭菜变质，多名学生腹泻，家长要求学校给个说法。"
TRADITIONAL = "某中學食堂飯菜變質，多名學生腹瀉，家長要求學校給個說法。"
JAPANESE = "東京都内の中学校で給食に異物が混入していたことが分かりました。"
KOREAN = "서울 시내 중학교 급식에서 이물질이 발견되었다고 밝혔다."
RUSSIAN = "В московской школе в обеде обнаружили посторонний предмет."


def document(text: str) -> str:
    return f"<rss><channel><title>{text}</title></channel></rss>"


@pytest.mark.parametrize(
    ("text", "encoding", "detected"),
    [
        (SIMPLIFIED, "gbk", "gb18030"),
        (TRADITIONAL, "big5", "big5"),
        (JAPANESE, "shift_jis", "cp932"),
        (JAPANESE, "euc_jp", "euc_jp"),
        (KOREAN, "euc_kr", "cp949"),
        (RUSSIAN, "cp1251", "cp1251"),
        (RUSSIAN, "koi8_r", "koi8_r"),
    ],
)
def test_an_undeclared_body_is_detected_and_the_guess_noted(
    text: str, encoding: str, detected: str
) -> None:
    decoded = decode_body(document(text).encode(encoding))
    assert decoded.text == document(text)
    assert decoded.encoding == detected
    assert decoded.note == f"未声明字符集，按检测结果 {detected} 解码"


def test_undeclared_utf8_is_the_default_not_a_guess() -> None:
    decoded = decode_body(document(SIMPLIFIED).encode())
    assert (decoded.text, decoded.encoding, decoded.note) == (document(SIMPLIFIED), "utf_8", None)
    assert detect_charset(SIMPLIFIED.encode()) == "utf_8"


@pytest.mark.parametrize(
    ("codec", "bom"),
    [
        ("utf_8", codecs.BOM_UTF8),
        ("utf_16_le", codecs.BOM_UTF16_LE),
        ("utf_16_be", codecs.BOM_UTF16_BE),
        ("utf_32_le", codecs.BOM_UTF32_LE),
        ("utf_32_be", codecs.BOM_UTF32_BE),
    ],
)
def test_a_byte_order_mark_decides_even_against_the_declaration(codec: str, bom: bytes) -> None:
    body = bom + document(TRADITIONAL).encode(codec)
    decoded = decode_body(body, declared="gbk")
    assert (decoded.text, decoded.encoding, decoded.note) == (document(TRADITIONAL), codec, None)


def test_a_wide_xml_body_without_a_mark_is_read_by_its_byte_pattern() -> None:
    text = f'<?xml version="1.0"?>{document(SIMPLIFIED)}'
    decoded = decode_body(text.encode("utf_16_be"))
    assert decoded.text == text
    assert decoded.note == "未声明字符集，按字节模式以 utf_16_be 解码"


@pytest.mark.parametrize("declared", ["utf-8", None])
def test_utf8_with_a_few_bad_bytes_stays_utf8_with_a_note(declared: str | None) -> None:
    good = document(SIMPLIFIED * 2).encode()
    cut = len("<rss><channel><title>")  # then three bytes a character: insert between them
    body = good[: cut + 6] + b"\xff" + good[cut + 6 : cut + 24] + b"\xc3" + good[cut + 24 :]
    decoded = decode_body(body, declared=declared)
    assert decoded.encoding == "utf_8"
    assert decoded.text.count("\ufffd") == 2
    assert decoded.text.replace("\ufffd", "") == document(SIMPLIFIED * 2)
    assert decoded.note == "UTF-8 内容中有 2 处无效字节，已替换为 �"


def test_a_wrong_declaration_is_overruled_and_noted() -> None:
    decoded = decode_body(SIMPLIFIED.encode("gbk"), declared="utf-8")
    assert decoded.text == SIMPLIFIED and decoded.encoding == "gb18030"
    assert decoded.note == "声明的字符集 utf-8 与内容不符，已按检测结果 gb18030 解码"


def test_an_unknown_declaration_is_noted() -> None:
    decoded = decode_body(SIMPLIFIED.encode(), declared="x-martian")
    assert decoded.text == SIMPLIFIED
    assert decoded.note == "无法识别声明的字符集 x-martian，按 UTF-8 解码"


def test_the_source_setting_beats_the_declaration() -> None:
    body = TRADITIONAL.encode("big5")
    decoded = decode_body(body, declared="gbk", override="big5")
    assert (decoded.text, decoded.note) == (TRADITIONAL, None)


@pytest.mark.parametrize(
    ("body", "content_type", "declared"),
    [
        (b'<?xml version="1.0" encoding="GB2312"?><rss/>', None, "GB2312"),
        (b'<html><meta charset="big5"></html>', None, "big5"),
        (b"<rss/>", "application/xml; charset=GBK", "GBK"),
        (b"<rss/>", "application/xml", None),
    ],
)
def test_declared_charset(body: bytes, content_type: str | None, declared: str | None) -> None:
    assert declared_charset(body, content_type) == declared


def test_gbk_widens_to_gb18030() -> None:
    assert codec_name("GBK") == codec_name("gb2312") == "gb18030"
    assert codec_name("no-such-charset") is None
    assert codec_name("utf-8\x00") is None  # a label Python's codec registry refuses


def test_the_guess_reaches_the_source_run() -> None:
    body = rss([("某中学食堂饭菜变质", "/t/1", 1, 1)], encoding="gbk").replace(
        b' encoding="gbk"', b""
    )
    parsed = parse_feed(body, base_url="http://forum.test/rss.xml")
    assert [item.title for item in parsed.items] == ["某中学食堂饭菜变质"]
    described = parsed.describe()
    assert described is not None
    assert described.startswith("未声明字符集，按检测结果 gb18030 解码")
