"""Decoding Chinese bodies by declared or detected charset, and folding text for matching."""

from __future__ import annotations

import pytest

from models.parse.text import codec_name, declared_charset, decode_body, detect_charset, fold

SIMPLIFIED = "某中学食堂饭菜变质，多名学生腹泻，家长要求学校给个说法。"
TRADITIONAL = "某中學食堂飯菜變質，多名學生腹瀉，家長要求學校給個說法。"


@pytest.mark.parametrize(
    ("text", "encoding", "detected"),
    [(SIMPLIFIED, "utf-8", "utf_8"), (SIMPLIFIED, "gbk", "gb18030"), (TRADITIONAL, "big5", "big5")],
)
def test_detect_charset_without_a_declaration(text: str, encoding: str, detected: str) -> None:
    body = text.encode(encoding)
    assert detect_charset(body) == detected
    assert decode_body(body).text == text


def test_a_wrong_declaration_is_overruled_and_reported() -> None:
    decoded = decode_body(SIMPLIFIED.encode("gbk"), declared="utf-8")
    assert decoded.text == SIMPLIFIED and decoded.encoding == "gb18030"
    assert decoded.problem is not None and "utf-8" in decoded.problem


def test_the_source_setting_beats_the_declaration() -> None:
    body = TRADITIONAL.encode("big5")
    assert decode_body(body, declared="gbk", override="big5").text == TRADITIONAL


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


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        (TRADITIONAL, fold(SIMPLIFIED)),
        ("ＡＢＣ中學　門口", "abc中学门口"),
        ("Hello  World\n学校", "helloworld学校"),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded
