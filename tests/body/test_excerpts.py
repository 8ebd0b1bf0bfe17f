"""Excerpts for Japanese: plain text, NFC, cut by grapheme cluster, at 。！？ when one fits, else with …."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
import regex
from flask import Flask

from allforces_feeds.body.excerpts import ELLIPSIS, excerpt, html_to_text, summarize
from allforces_feeds.text import plain

from ..conftest import CONTENT

FAMILY = "👨‍👩‍👧"  # five code points, one grapheme cluster
CLUSTERS = regex.compile(r"\X")


def clusters(text: str) -> list[str]:
    """The grapheme clusters of text."""
    return CLUSTERS.findall(text)


def sentence(n: int) -> str:
    """A Japanese sentence of exactly n characters ending with 。."""
    return "あ" * (n - 1) + "。"


# -- where the cut falls --------------------------------------------------------------
def test_short_text_is_kept_whole() -> None:
    assert excerpt("短い文です", 120) == "短い文です"


def test_last_sentence_end_within_the_length_is_chosen() -> None:
    text = sentence(30) + sentence(30) + sentence(30)
    assert excerpt(text, 70) == sentence(30) * 2


@pytest.mark.parametrize("stop", ["。", "！", "？"])
def test_each_japanese_sentence_end(stop: str) -> None:
    text = "い" * 29 + stop + "う" * 100
    assert excerpt(text, 60) == "い" * 29 + stop


def test_closing_quote_stays_with_its_sentence() -> None:
    text = "彼はこう言った。「それでいい。」" + "次" * 100
    assert excerpt(text, 40) == "彼はこう言った。「それでいい。」"


def test_quoted_question_followed_by_a_particle_is_not_a_sentence_end() -> None:
    text = "最初は「これは何だろう、おや？」と思いました。" + "お" * 100
    assert excerpt(text, 40) == "最初は「これは何だろう、おや？」と思いました。"


def test_ascii_exclamation_inside_a_name_is_not_a_sentence_end() -> None:
    text = "Yahoo!ニュースでも取り上げられた話題を詳しく見ていきましょう" + "か" * 100
    result = excerpt(text, 40)
    assert result.endswith(ELLIPSIS)
    assert len(clusters(result)) == 40


def test_no_sentence_end_gives_an_ellipsis_within_the_length() -> None:
    text = "句点のない長い文章" * 30
    result = excerpt(text, 50)
    assert result.endswith(ELLIPSIS)
    assert len(clusters(result)) == 50
    assert text.startswith(result[:-1])


def test_a_sentence_end_too_early_is_passed_over() -> None:
    # Ending after 5 characters would waste 115 of 120: cut with … instead.
    text = "はい。" + "き" * 300
    result = excerpt(text, 120)
    assert result.endswith(ELLIPSIS) and len(clusters(result)) == 120


def test_no_dangling_comma_or_bracket_before_the_ellipsis() -> None:
    text = "く" * 18 + "、「" + "け" * 100
    assert excerpt(text, 21) == "く" * 18 + ELLIPSIS


def test_never_cut_at_a_space_japanese_has_none() -> None:
    text = "日本語の文章には単語の区切りの空白がないので文字数で切ります" * 5
    result = excerpt(text, 25)
    assert result == text[:24] + ELLIPSIS


# -- grapheme clusters ------------------------------------------------------------------
@pytest.mark.parametrize("length", range(20, 40))
def test_emoji_zwj_sequences_are_never_split(length: int) -> None:
    text = ("家族" + FAMILY) * 40
    result = excerpt(text, length)
    assert len(clusters(result)) <= length
    body = result.removesuffix(ELLIPSIS)
    assert text.startswith(body)
    assert set(clusters(body)) <= {"家", "族", FAMILY}


@pytest.mark.parametrize("emoji", ["🇯🇵", "👍🏽", "🏳️‍🌈", "1️⃣"])
def test_other_multi_code_point_emoji(emoji: str) -> None:
    text = emoji * 50
    result = excerpt(text, 20)
    assert result == emoji * 19 + ELLIPSIS


def test_nfd_kana_is_composed_and_counted_once() -> None:
    decomposed = unicodedata.normalize("NFD", "がぎぐげご" * 10)
    assert len(decomposed) == 100
    result = excerpt(decomposed, 20)
    assert result == ("がぎぐげご" * 4)[:19] + ELLIPSIS
    assert unicodedata.is_normalized("NFC", result)


def test_combining_marks_without_a_composed_form_stay_with_their_letter() -> None:
    # g + U+0308 has no precomposed form: NFC keeps two code points, one cluster.
    text = "g\u0308" * 40
    result = excerpt(text, 20)
    assert result == "g\u0308" * 19 + ELLIPSIS


# -- plain text ---------------------------------------------------------------------------
def test_white_space_is_collapsed_ideographic_space_too() -> None:
    assert plain("  一行目\n\n二行目\u3000\u3000三行目\t ") == "一行目 二行目 三行目"


def test_html_to_text_decodes_entities_and_separates_blocks() -> None:
    assert html_to_text("<p>A&amp;B&nbsp;&lt;C&gt;</p><p>次の段落</p>") == "A&B <C> 次の段落"


def test_html_to_text_leaves_out_scripts_styles_and_ruby_readings() -> None:
    html = "<p><ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>の<script>alert(1)</script>本"
    html += "<style>p{}</style>文</p>"
    assert html_to_text(html) == "漢字の本文"


def test_summary_leaves_out_headings() -> None:
    html = "<p>最初の段落です。</p><h2>見出し</h2><p>次の段落です。</p>"
    assert summarize(None, html, 120) == "最初の段落です。 次の段落です。"
    assert summarize(None, "<h2>見出しだけ</h2>", 120) == "見出しだけ"


def test_front_matter_excerpt_wins() -> None:
    assert summarize(" 著者が書いた\n抜粋。 ", "<p>本文です。</p>", 120) == "著者が書いた 抜粋。"
    assert summarize("", "<p>本文です。</p>", 120) == "本文です。"


# -- through the service: one excerpt everywhere --------------------------------------------
MARKDOWN_BODY = """\
# はじめに

**太字**と*斜体*と[リンク](https://example.com/a)と`コード`と![画像](/img/a.png)があります。

> 引用の文です。

- 箇条書きの一つ目
- 二つ目

| 表 | 見出し |
|----|--------|
| セル | 値 |
"""


def test_markdown_syntax_never_reaches_a_summary(make_app: Callable[..., Flask], posts_dir) -> None:
    site: Path = posts_dir("2025-01-01-markdown.md", 'title: "記法の記事"', MARKDOWN_BODY)
    data = json.loads(make_app(site).test_client().get("/embed/latest.json").data)
    summary = data["items"][0]["summary"]
    assert "太字と斜体とリンクとコードとがあります。 引用の文です。 箇条書きの一つ目 二つ目" in summary
    for syntax in ("#", "*", "[", "](", "`", "!", ">", "|", "<"):
        assert syntax not in summary


def test_front_matter_excerpt_wins_in_every_format(make_app: Callable[..., Flask], posts_dir) -> None:
    site = posts_dir(
        "2025-01-01-own-excerpt.md", 'title: "抜粋つき"\nexcerpt: "著者の書いた抜粋。"', "本文の最初の文です。" * 30
    )
    client = make_app(site).test_client()
    assert json.loads(client.get("/embed/latest.json").data)["items"][0]["summary"] == "著者の書いた抜粋。"
    assert json.loads(client.get("/feed.json").data)["items"][0]["summary"] == "著者の書いた抜粋。"


def test_excerpt_length_setting(make_app: Callable[..., Flask], posts_dir) -> None:
    site = posts_dir("2025-01-01-long.md", 'title: "長い記事"', "句点のない長い本文" * 40)
    client = make_app(site, EXCERPT_LENGTH="30").test_client()
    summary = json.loads(client.get("/embed/latest.json").data)["items"][0]["summary"]
    assert len(clusters(summary)) == 30 and summary.endswith(ELLIPSIS)


@pytest.mark.parametrize("length", [20, 57, 120, 200])
def test_every_bundled_post(length: int) -> None:
    """Over the real posts: never longer than asked, a prefix of the text, ending at a sentence or with …."""
    import markdown

    for path in sorted((CONTENT / "_posts").glob("*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        text = html_to_text(markdown.markdown(body))
        result = excerpt(text, length)
        assert len(clusters(result)) <= length, path.name
        assert unicodedata.is_normalized("NFC", result)
        if result != plain(text):
            assert text.startswith(result.removesuffix(ELLIPSIS)), path.name
            assert result[-1] in "。！？」』）" + ELLIPSIS, (path.name, result)


def test_headings_stay_out_of_the_service_summaries(make_app: Callable[..., Flask], posts_dir) -> None:
    site = posts_dir(
        "2025-01-01-headed.md", 'title: "見出しのある記事"', "## はじめに\n\n本文の文です。\n\n## 次に\n\n続きです。"
    )
    summary = json.loads(make_app(site).test_client().get("/embed/latest.json").data)["items"][0]["summary"]
    assert summary == "本文の文です。 続きです。"
