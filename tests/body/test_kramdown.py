"""kramdown.to_html against the real Jekyll 4.3 converter, run on the same fixtures in a Ruby subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from functools import cache

import lxml.html
import pytest

from allforces_feeds.body import kramdown

# Jekyll's own converter with Jekyll's own defaults (kramdown 2.4, GFM parser, rouge): the reference HTML.
RUBY = """
require "json"
require "jekyll"
site = Jekyll::Site.new(Jekyll.configuration("quiet" => true))
conv = site.find_converter_instance(Jekyll::Converters::Markdown)
print JSON.generate(JSON.parse(STDIN.read).map { |doc| conv.convert(doc) })
"""
FIXTURES: list[tuple[str, str]] = [
    (
        "headers_ja",
        "## ダウンロード\n\n本文です。\n\n## ダウンロード\n\n### ダウンロード\n\n"
        "## 「今回は違う」と言われる理由\n\n## HBMとは何か？（概要）\n",
    ),
    (
        "headers_en",
        "# Hello, World!\n\n"
        "## What's new in `v2.0`?\n\n"
        "## Hello World\n\n"
        "## hello-world\n\n"
        "## Über _Straße_ 2024\n\n"
        '## A -- B ... "C"\n',
    ),
    ("header_explicit_id", "## Custom {#my-id}\n\n## Setext header\n---------------\n\nSetext One\n==========\n"),
    ("ial_paragraph", "これは段落です。\n{: .note #first}\n\nAnother paragraph.\n{:.lead}\n"),
    ("ial_image", '![ロゴ](/img/logo.png)\n{: .icon width="70"}\n\nInline ![alt](/a.png){: .small} image.\n'),
    ("ial_list_heading", "- one\n- two\n{: .checklist}\n\n## Heading\n{: #custom-head .big}\n\n### Second {:.cls}\n"),
    ("ald", '{:ref: .cls title="t"}\n\nA paragraph with ALD.\n{: ref}\n\nPlain.\n'),
    (
        "list_after_paragraph",
        "ポイントは次の通りです。\n- **長期契約**：数量と価格\n- **製造難易度**：歩留まり\n\n"
        "Steps:\n1. first\n2. second\n",
    ),
    ("smart_quotes", "He said \"hello\" and 'bye'. It's John's book, the '90s.\n\n「日本語」の\"引用\"と'単引用'。\n"),
    ("typography", "A -- B --- C... and << quoted >> end. <<tight>>\n\n範囲は1--2、ダッシュ---あり…\n"),
    (
        "footnotes",
        "本文に注釈があります[^1]。さらにもう一つ[^note]。\n\n"
        "[^1]: 最初の注釈。\n[^note]: Second note with **bold**.\n",
    ),
    ("table", "| 銘柄 | 価格 | 変化 |\n|:-----|-----:|:----:|\n| TSMC | 100 | +1% |\n| Nvidia | 200 | -2% |\n"),
    ("toc", "* TOC\n{:toc}\n\n## 第一章\n\n本文。\n\n### 第一節\n\n## Chapter Two\n"),
    ("deflist", "HBM\n: 広帯域メモリ\n\nGPU\n: Graphics processing unit\n: second definition\n"),
    (
        "fenced_code",
        '```ruby\ndef hello\n  puts "hi"\nend\n```\n\n'
        "~~~python\nimport os\nprint(os.name)\n~~~\n\n"
        "```\nplain text\n```\n",
    ),
    ("indented_code", "Paragraph.\n\n    code line 1\n    code line 2\n\nAfter.\n"),
    ("code_ial_lang", "    x = 1\n{: .language-python}\n\n```javascript\nconst a = 1;\n```\n"),
    ("inline_code", "Use `pip install` and ``a `b` c`` here. 日本語の`コード`。\n"),
    (
        "html_block",
        '<div class="box">\n<p>raw *not md*</p>\n</div>\n\nAfter html.\n\n<table><tr><td>セル</td></tr></table>\n',
    ),
    ("html_markdown_attr", '<div class="note" markdown="1">\n**太字** and *em*\n\n- item\n</div>\n'),
    ("autolinks", "Visit <https://example.com/path> or mail <foo@example.com>. Bare https://example.org stays.\n"),
    ("strikethrough", "これは~~取り消し~~です。 And ~~struck text~~ here.\n"),
    (
        "emphasis_links",
        '**太字**と*斜体*と_underscore_。[リンク](https://example.com "タイトル")と[ref][r]。\n\n[r]: https://ref.example.com\n',
    ),
    ("blockquote_hr", "> 引用文です。\n> 続き。\n\n---\n\n> Quote with **bold**\n"),
    ("nested_lists", "- a\n  - b\n    - c\n- d\n\n1. one\n   1. inner\n2. two\n"),
    ("line_breaks", "line one  \nline two\\\nline three\nline four\n"),
    ("task_list", "- [ ] todo\n- [x] done\n"),
    (
        "japanese_post",
        "皆さん、こんにちは。**HBM（広帯域メモリ）**については「今回は違う」という声をよく耳にします。\n\n"
        "## HBMとは何か\n\n"
        "HBMは、DRAMのチップを縦に積み重ねたメモリです。\n\n"
        "- **長期契約の比率が高い**：主要顧客と年単位\n- **製造難易度が高い**：積層と歩留まり\n\n"
        "このあたりは[データセンター投資](https://example.com/reports)と合わせて見ると理解しやすいと思います。\n",
    ),
    ("escapes", 'Not \\*emphasis\\* and \\"quote\\" and a\\_b and 1\\. x\n'),
    ("images_links", '![画像](/img/a.png "キャプション")\n\n[![badge](/b.svg)](https://ci.example.com)\n'),
    ("quotes_around_markup", 'She said "*really*" and "[this](/x)" or \'`code`\'.\n'),
    ("header_in_blockquote_list", "> ## 引用内の見出し\n\n- ## 項目見出し\n"),
    ("loose_list_with_code", "- first\n\n  second paragraph\n\n      code in item\n- next\n"),
    ("three_space_ordered", "1. one\n   - sub a\n   - sub b\n2. two\n"),
]
BLOCKS = {"p", "li", "ul", "ol", "div", "table", "tr", "td", "th", "dl", "dt", "dd", "pre", "blockquote", "hr"}
BLOCKS |= {"h1", "h2", "h3", "h4", "h5", "h6"}


@cache
def reference() -> dict[str, str]:
    """Every fixture converted by Jekyll in one Ruby process (about a second), or a skip/fail saying why not."""
    required = os.environ.get("ALLFORCES_REQUIRE_JEKYLL") == "1"
    why = ""
    if shutil.which("ruby") is None:
        why = "ruby is not installed"
    else:
        run = subprocess.run(
            ["ruby", "-e", RUBY],
            input=json.dumps([md for _, md in FIXTURES]),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if run.returncode == 0:
            return dict(zip([name for name, _ in FIXTURES], json.loads(run.stdout), strict=True))
        why = (
            "ruby could not run Jekyll's converter (gems jekyll, kramdown, kramdown-parser-gfm?): " + run.stderr[-300:]
        )
    if required:
        pytest.fail(why + " and ALLFORCES_REQUIRE_JEKYLL=1")
    pytest.skip(why + "; set ALLFORCES_REQUIRE_JEKYLL=1 to make this a failure")


def normalize(html: str) -> dict[str, object]:
    """Header ids in order, visible text with whitespace collapsed, and the sets of elements and attributes."""
    root = lxml.html.fragment_fromstring(html or "<p></p>", create_parent="div")
    ids: list[tuple[str, str | None]] = []
    tags: set[tuple[str, str, str]] = set()
    attrs: set[tuple[str, str, str]] = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or el is root:
            continue
        if el.tag in BLOCKS:
            el.tail = " " + (el.tail or "")  # block boundaries are visible breaks
        if el.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            ids.append((el.tag, el.get("id")))
        if el.tag == "span" and any(a.tag == "pre" for a in el.iterancestors()):
            continue  # token spans: Pygments and rouge tokenize differently (see the module's notes)
        tags.add((el.tag, el.get("id") or "", " ".join(sorted((el.get("class") or "").split()))))
        attrs.update((el.tag, k, v) for k, v in el.attrib.items() if k not in ("id", "class"))
    return {"ids": ids, "text": " ".join(root.text_content().split()), "tags": tags, "attrs": attrs}


@pytest.mark.parametrize(("name", "source"), FIXTURES, ids=[name for name, _ in FIXTURES])
def test_matches_jekyll(name: str, source: str) -> None:
    """Same header ids, visible text, elements (tag, id, classes) and attributes as Jekyll's kramdown."""
    assert normalize(kramdown.to_html(source)) == normalize(reference()[name])


def test_deterministic_and_thread_safe() -> None:
    """Converting in several threads at once gives the same HTML as converting alone."""
    docs = [md for _, md in FIXTURES]
    expected = [kramdown.to_html(md) for md in docs]
    results: dict[int, list[str]] = {}

    def work(n: int) -> None:
        """Convert every fixture, in reverse order for odd threads so documents interleave."""
        order = docs if n % 2 == 0 else docs[::-1]
        out = [kramdown.to_html(md) for md in order]
        results[n] = out if n % 2 == 0 else out[::-1]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n] == expected for n in range(4))


def test_fingerprint_is_stable_hex() -> None:
    """The fingerprint is a sha256 hex digest and the same on every call."""
    assert kramdown.fingerprint() == kramdown.fingerprint()
    assert len(kramdown.fingerprint()) == 64
