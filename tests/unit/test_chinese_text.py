"""Folding text for matching, and plain text out of titles and summaries that carry markup."""

from __future__ import annotations

import pytest

from models.parse.text import fold, plain_text

SIMPLIFIED = "某中学食堂饭菜变质，多名学生腹泻，家长要求学校给个说法。"
TRADITIONAL = "某中學食堂飯菜變質，多名學生腹瀉，家長要求學校給個說法。"


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


@pytest.mark.parametrize(
    ("markup", "plain"),
    [
        ("<b>学校</b>  食堂\n\t问题", "学校 食堂 问题"),
        ("<p>第一段</p><p>第二段</p>", "第一段 第二段"),
        ("AT&amp;T &lt;b&gt; &#x5B66;&#26657; &nbsp;x", "AT&T <b> 学校 x"),
        ("前<script>alert(1)</script>后<style>p{}</style>", "前后"),
        ("a < b > c", "a < b > c"),  # not tags: kept as text
        ("<!-- note -->正文<![CDATA[x]]>", "正文x"),
        ("控制\x00字符\x07与\ud800代理", "控制字符与代理"),
        ("《标题》<收费>", "《标题》<收费>"),
    ],
)
def test_plain_text(markup: str, plain: str) -> None:
    assert plain_text(markup) == plain
    assert plain_text(plain) == plain_text(plain_text(plain))
