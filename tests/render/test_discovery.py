"""Discovery: /feeds.json, /feeds.opml, the index page and the scope pages."""

from __future__ import annotations

import json
from urllib.parse import quote

from flask.testing import FlaskClient
from lxml import etree, html

from ..conftest import PUBLIC_URL

SITE_FEEDS = {"application/rss+xml": "/feed.xml", "application/atom+xml": "/atom.xml",
              "application/feed+json": "/feed.json"}  # fmt: skip


def test_feeds_json_lists_every_scope(client: FlaskClient) -> None:
    feeds = json.loads(client.get("/feeds.json").data)["feeds"]
    assert feeds[0]["scope"] == "site"
    assert {f["scope"] for f in feeds} == {"site", "tags", "categories", "authors"}
    for feed in feeds:
        assert set(feed["urls"]) == {"rss", "atom", "json"}
        assert feed["items"] >= 1 and feed["updated"].endswith("Z")
    slugs = [(f["scope"], f["slug"]) for f in feeds]
    assert len(slugs) == len(set(slugs))


def test_opml_lists_the_same_feeds(client: FlaskClient) -> None:
    response = client.get("/feeds.opml")
    assert response.headers["Content-Type"] == "text/x-opml; charset=utf-8"
    root = etree.fromstring(response.data)
    assert root.get("version") == "2.0"
    groups = root.findall("body/outline")
    assert [g.get("text") for g in groups] == ["サイト全体", "タグ別", "カテゴリー別", "著者別"]
    opml_urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    json_urls = [f["urls"]["rss"] for f in json.loads(client.get("/feeds.json").data)["feeds"]]
    assert opml_urls == json_urls
    assert any(o.get("text") == "ALLFORCES: 投資分析" for o in root.iter("outline"))


def test_index_page_autodiscovers_the_site_feeds_and_lists_every_feed(client: FlaskClient) -> None:
    page = html.fromstring(client.get("/").data)
    assert page.get("lang") == "ja"
    alternates = {link.get("type"): link.get("href") for link in page.xpath("//head/link[@rel='alternate']")}
    assert alternates == {kind: PUBLIC_URL + path for kind, path in SITE_FEEDS.items()}
    links = set(page.xpath("//a/@href"))
    for feed in json.loads(client.get("/feeds.json").data)["feeds"]:
        assert set(feed["urls"].values()) <= links
        assert feed["page_url"] in links


def test_scope_page_shows_items_and_subscribe_links(client: FlaskClient) -> None:
    path = f"/tags/{quote('半導体')}/"
    response = client.get(path)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = html.fromstring(response.data)
    assert page.findtext(".//h1") == "タグ「半導体」の最新記事"
    alternates = [link.get("href") for link in page.xpath("//head/link[@rel='alternate']")]
    assert alternates == [PUBLIC_URL + path + name for name in ("feed.xml", "atom.xml", "feed.json")]
    feed = json.loads(client.get(path + "feed.json").data)
    assert [a.text for a in page.xpath("//ol[@class='posts']/li/a")] == [i["title"] for i in feed["items"]]
    assert "購読のしかた" in page.text_content()


def test_hostile_labels_are_escaped_in_pages(make_app, posts_dir) -> None:
    site = posts_dir("2025-01-01-x.md", 'title: "<script>alert(1)</script>"\ntags: ["<b>x</b>"]')
    client = make_app(site).test_client()
    for path in ("/", "/tags/b-x-b/"):
        body = client.get(path).data.decode()
        assert "<script>alert" not in body and "<b>x</b>" not in body
        assert "&lt;b&gt;x&lt;/b&gt;" in body
