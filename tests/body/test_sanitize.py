"""The HTML that feeds carry: allowlisted, http/https/mailto only, absolute, inert; and the hostile fixture post."""

from __future__ import annotations

import json
from collections.abc import Callable

import feedparser
import pytest
from flask import Flask
from lxml import etree
from lxml import html as lxml_html

from allforces_feeds.body.sanitize import sanitize

from ..conftest import FIXTURES, SITE_URL

HOSTILE = FIXTURES / "hostile"
ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">b</button></form>',
    '<div style="background:url(javascript:alert(1))" onclick="alert(1)">x</div>',
    '<body onload="alert(1)">x</body>',
    '<details open ontoggle="alert(1)"><summary>s</summary></details>',
    '<p title="</p><script>alert(1)</script>">x</p>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<style>@import 'javascript:alert(1)';</style>",
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<a href="https://allforces.jp/" target="_blank" rel="opener">x</a>',
    "<!-- <script>alert(1)</script> -->",
]


def assert_inert(fragment: str) -> None:
    """No script, no frame or plugin, no event handler or style, no URL but http(s), mailto or a fragment."""
    if not fragment.strip():
        return
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # a comment or processing instruction would fail the next assertion
        assert element.tag not in {"script", "style", "iframe", "object", "embed", "form", "svg", "math", "base"}
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, fragment)
            assert name.lower() not in {"style", "srcdoc", "formaction", "action", "target"}, (name, fragment)
            if name in ("href", "src"):
                assert value.startswith(("https://", "http://", "mailto:", "#")), (value, fragment)
        if element.tag == "a":
            assert element.get("rel") == "noopener noreferrer"
    assert "<!--" not in fragment


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_inert(attack: str) -> None:
    assert_inert(sanitize(attack, SITE_URL))


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("/2025/09/12/post.html", "https://allforces.jp/2025/09/12/post.html"),
        ("images/a.png", "https://allforces.jp/images/a.png"),
        ("//cdn.example.com/a.png", "https://cdn.example.com/a.png"),
        ("https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2"),
        ("  /padded  ", "https://allforces.jp/padded"),
        ("#fn:1", "#fn:1"),  # a footnote stays within the post
        ("mailto:editor@allforces.jp", "mailto:editor@allforces.jp"),
    ],
)
def test_relative_links_are_made_absolute(reference: str, expected: str) -> None:
    for markup, attribute in ((f'<a href="{reference}">x</a>', "href"), (f'<img src="{reference}">', "src")):
        element = lxml_html.fragment_fromstring(sanitize(markup, SITE_URL))
        if expected.startswith("mailto:") and element.tag == "img":
            continue  # an image from mailto: is meaningless; only links are checked
        assert element.get(attribute) == expected


def test_links_get_noopener_noreferrer() -> None:
    cleaned = sanitize('<p><a href="https://example.com/">a</a> <a href="/b">b</a></p>', SITE_URL)
    rels = lxml_html.fragment_fromstring(cleaned).xpath("//a/@rel")
    assert rels == ["noopener noreferrer", "noopener noreferrer"]


@pytest.mark.parametrize("scheme", ["ftp://example.com/f", "tel:+81312345678", "file:///etc/passwd", "about:blank"])
def test_other_schemes_are_dropped(scheme: str) -> None:
    assert "href" not in sanitize(f'<a href="{scheme}">x</a>', SITE_URL)


def test_a_url_urllib_cannot_read_drops_the_attribute_not_the_request() -> None:
    assert sanitize('<a href="http://[::1">x</a>', SITE_URL) == '<a rel="noopener noreferrer">x</a>'


def test_allowlisted_markup_survives() -> None:
    source = (
        "<h2 id='s'>見出し</h2><p><strong>強調</strong>と<em>斜体</em>と<code>x &lt; y</code></p>"
        "<p><ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby></p>"
        "<table><thead><tr><th>表</th></tr></thead><tbody><tr><td colspan='2'>値</td></tr></tbody></table>"
        "<blockquote><p>引用</p></blockquote><pre><code>print(1)</code></pre><ol start='3'><li>三</li></ol>"
    )
    assert sanitize(source, SITE_URL) == source.replace("'", '"')


def test_unknown_tags_are_removed_but_their_text_kept() -> None:
    assert sanitize("<font color=red>赤</font><marquee>流れる</marquee>", SITE_URL) == "赤流れる"


# -- the hostile post, end to end, in every feed format --------------------------------------
@pytest.fixture
def hostile(make_app: Callable[..., Flask]) -> Flask:
    """The app over tests/fixtures/hostile: hostile title, author, labels, image and body."""
    return make_app(HOSTILE)


def hostile_posts(app: Flask) -> dict[str, object]:
    """The fixture's posts by URL, as loaded."""
    return {post.url: post for post in app.extensions["allforces"].current().posts}


def test_hostile_content_is_inert_in_rss_and_atom(hostile: Flask) -> None:
    client = hostile.test_client()
    posts = hostile_posts(hostile)
    for path, content_tag in (
        ("/feed.xml", "{http://purl.org/rss/1.0/modules/content/}encoded"),
        ("/atom.xml", "{http://www.w3.org/2005/Atom}content"),
    ):
        body = client.get(path).data
        assert b"<script" not in body and b"<img" not in body
        # Titles and authors are text: feedparser reads back exactly what the post says.
        parsed = feedparser.parse(body)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == len(posts)
        for entry in parsed.entries:
            post = posts[entry.link]
            assert entry.title == post.title
            assert entry.author == post.author
            assert entry.title_detail.type == "text/plain"
        # The HTML content, as a reader gets it once the XML is parsed, is inert.
        contents = [element.text or "" for element in etree.fromstring(body).iter(content_tag)]
        assert len(contents) == len(posts)
        for content in contents:
            assert_inert(content)
        assert "javascript" not in "".join(contents).lower()


def test_hostile_content_is_inert_in_json_feed(hostile: Flask) -> None:
    feed = json.loads(hostile.test_client().get("/feed.json").data)
    posts = hostile_posts(hostile)
    for item in feed["items"]:
        post = posts[item["url"]]
        assert item["title"] == post.title
        assert item["authors"] == [{"name": post.author}]
        assert_inert(item["content_html"])
        assert "javascript" not in item["content_html"].lower()


def test_hostile_body_keeps_its_harmless_parts(hostile: Flask) -> None:
    feed = json.loads(hostile.test_client().get("/feed.json").data)
    content = next(item["content_html"] for item in feed["items"] if "危険なタイトル" in item["title"])
    root = lxml_html.fragment_fromstring(content, create_parent="div")
    hrefs = root.xpath("//a/@href")
    assert hrefs == ["https://allforces.jp/relative/page.html", "#section", "mailto:editor@allforces.jp"]
    # The code span shows the script as text.
    assert root.xpath("//code/text()") == ['<script>alert("summary")</script>']


def test_hostile_image_never_reaches_a_feed(hostile: Flask) -> None:
    client = hostile.test_client()
    images = [item.get("image") for item in json.loads(client.get("/feed.json").data)["items"]]
    for path in ("/feed.xml", "/atom.xml"):
        images += etree.fromstring(client.get(path).data).xpath("//*[local-name()='content']/@url")
    assert images and all(url is None or url.startswith(("https://", "http://")) for url in images), images
