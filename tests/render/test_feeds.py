"""The three site-wide feeds over the bundled content, read by feedparser and our JSON Feed checks."""

from __future__ import annotations

import html
import json

import pytest
from flask.testing import FlaskClient
from lxml import etree

from ..conftest import PUBLIC_URL
from ..feedcheck import identities, json_feed_errors, parse_xml_feed

SITE_FEEDS = {"rss": "/feed.xml", "atom": "/atom.xml", "json": "/feed.json"}
SEED_TITLE = "モロッコとMistral AI、その「見えない」提携の真意とは？"
SEED_EXCERPT = "モロッコ、Mistral AIと戦略提携について詳細に分析します。"
NAMESPACES = {
    "rss": {"content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/",
            "atom": "http://www.w3.org/2005/Atom"},
    "atom": {None: "http://www.w3.org/2005/Atom"},
}  # fmt: skip
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


@pytest.mark.parametrize("fmt", SITE_FEEDS)
def test_site_feed_is_valid(client: FlaskClient, fmt: str) -> None:
    response = client.get(SITE_FEEDS[fmt])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPES[fmt]
    if fmt == "json":
        assert json_feed_errors(response.data) == []
    else:
        parsed = parse_xml_feed(response.data)
        assert len(parsed.entries) > 0


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_xml_namespaces(client: FlaskClient, fmt: str) -> None:
    root = etree.fromstring(client.get(SITE_FEEDS[fmt]).data)
    for prefix, uri in NAMESPACES[fmt].items():
        assert root.nsmap.get(prefix) == uri
    if fmt == "rss":
        item = root.find("channel/item")
        assert item.find("{http://purl.org/rss/1.0/modules/content/}encoded") is not None
        assert item.find("{http://purl.org/dc/elements/1.1/}creator") is not None
        # RSS's <author> must be an e-mail address: names go in dc:creator instead.
        assert item.find("author") is None


def test_same_items_in_every_format(client: FlaskClient) -> None:
    seen = {fmt: identities(fmt, client.get(path).data) for fmt, path in SITE_FEEDS.items()}
    assert seen["rss"] == seen["atom"] == seen["json"]
    assert len(seen["json"]) == len({item[0] for item in seen["json"]})


def test_items_newest_first(client: FlaskClient) -> None:
    items = json.loads(client.get("/feed.json").data)["items"]
    dates = [item["date_published"] for item in items]
    assert dates == sorted(dates, reverse=True)


def test_seed_post_is_served_intact(client: FlaskClient) -> None:
    items = json.loads(client.get("/feed.json").data)["items"]
    seed = next(item for item in items if item["title"] == SEED_TITLE)
    assert seed["date_published"] == "2025-09-12T16:42:31Z"
    assert seed["summary"] == SEED_EXCERPT
    assert seed["_allforces"]["reading_time"] == 8
    assert seed["tags"][:4] == ["AI", "最新ニュース", "技術動向", "投資"]
    assert "投資分析" in seed["_allforces"]["categories"]
    # 2025-09-12 16:42:31 +0000 is 01:42 on the 13th in Tokyo: Jekyll builds the link from the local date.
    assert seed["url"] == "https://allforces.jp/%E6%8A%95%E8%B3%87%E5%88%86%E6%9E%90/2025/09/13/morocco-mistral-ai.html"
    assert seed["id"] == "tag:allforces.jp,2025-09-12:morocco-mistral-ai"
    assert "<p>皆さん、こんにちは。" in seed["content_html"]
    rss = parse_xml_feed(client.get("/feed.xml").data)
    entry = next(e for e in rss.entries if e.title == SEED_TITLE)
    assert entry.summary == SEED_EXCERPT
    assert entry.author == "ALLFORCES編集部"
    assert {t.term for t in entry.tags} >= {"AI", "最新ニュース", "技術動向", "投資", "投資分析"}


def test_feed_level_fields(client: FlaskClient) -> None:
    feed = json.loads(client.get("/feed.json").data)
    assert feed["feed_url"] == PUBLIC_URL + "/feed.json"
    assert feed["home_page_url"] == "https://allforces.jp/"
    atom = parse_xml_feed(client.get("/atom.xml").data)
    newest = max(e.updated_parsed for e in atom.entries)
    # The feed's date is the newest item's, never "now".
    assert atom.feed.updated_parsed == newest
    links = {link.rel: link.href for link in atom.feed.links}
    assert links["self"] == PUBLIC_URL + "/atom.xml"


def test_titles_and_authors_are_plain_text(posts_dir, make_app) -> None:
    site = posts_dir(
        "2025-05-01-escape.md",
        'title: "S&P 500 と <AI> 銘柄"\nauthor: "<b>編集部</b>"\nexcerpt: "a < b & c"',
    )
    client = make_app(site).test_client()
    item = json.loads(client.get("/feed.json").data)["items"][0]
    assert item["title"] == "S&P 500 と <AI> 銘柄"
    assert item["summary"] == "a < b & c"
    for path in ("/feed.xml", "/atom.xml"):
        entry = parse_xml_feed(client.get(path).data).entries[0]
        assert entry.title == "S&P 500 と <AI> 銘柄"
        assert entry.author == "<b>編集部</b>"
        # RSS descriptions are HTML to readers: the text is escaped so that it shows as written.
        assert html.unescape(entry.summary) == "a < b & c"


def test_feed_limit(posts_dir, make_app) -> None:
    for day in range(1, 8):
        site = posts_dir(f"2025-05-0{day}-post-{day}.md", f'title: "記事{day}"')
    client = make_app(site, FEED_LIMIT="3").test_client()
    titles = [i["title"] for i in json.loads(client.get("/feed.json").data)["items"]]
    assert titles == ["記事7", "記事6", "記事5"]


def test_image_in_every_format(client: FlaskClient) -> None:
    items = json.loads(client.get("/feed.json").data)["items"]
    with_image = [(i["id"], i["image"]) for i in items if "image" in i]
    assert with_image and all(url.startswith("https://allforces.jp/") for _, url in with_image)
    for path in ("/feed.xml", "/atom.xml"):
        entries = parse_xml_feed(client.get(path).data).entries
        assert [(e.id, e.media_content[0]["url"]) for e in entries if "media_content" in e] == with_image


def test_icons_logo_and_post_images_reach_every_format(make_app, posts_dir) -> None:
    import feedparser

    posts_dir("2025-01-01-shown.md", 'title: "画像あり"\nimage: /img/shown.png', "![図](/img/shown.png)\n\n本文です。")
    site = posts_dir("2025-01-02-hidden.md", 'title: "画像は前付け"\nimage: /img/hidden.png', "本文だけです。")
    client = make_app(site, SITE_ICON="/icon.png", SITE_LOGO="https://cdn.example.org/logo.png").test_client()
    atom = feedparser.parse(client.get("/atom.xml").data)
    assert atom.feed.icon == "https://allforces.jp/icon.png" and atom.feed.logo == "https://cdn.example.org/logo.png"
    rss = client.get("/feed.xml").data.decode()
    assert "<image>" in rss and "<url>https://cdn.example.org/logo.png</url>" in rss
    feed = json.loads(client.get("/feed.json").data)
    assert feed["icon"] == feed["favicon"] == "https://allforces.jp/icon.png"
    html = {item["title"]: item["content_html"] for item in feed["items"]}
    # Most readers ignore media:content: an image the body does not show goes on top of the content, once.
    assert html["画像は前付け"].startswith('<p><img src="https://allforces.jp/img/hidden.png"')
    assert html["画像あり"].count("https://allforces.jp/img/shown.png") == 1
    assert rss.count("<media:thumbnail") == 2 and "media:group" not in rss


def test_the_icon_defaults_to_the_sites_favicon(client) -> None:
    feed = json.loads(client.get("/feed.json").data)
    assert feed["favicon"] == "https://allforces.jp/favicon.ico"
