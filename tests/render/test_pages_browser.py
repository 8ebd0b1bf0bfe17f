"""The index and a Japanese tag page as a person sees them: real headless Chromium on a live gunicorn."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from lxml import html

from ..browser import dump_dom, screenshot
from ..live import gunicorn


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {"ALLFORCES_PUBLIC_URL": "http://127.0.0.1:1", "ALLFORCES_CACHE_DIR": str(tmp_path_factory.mktemp("c"))}
    with gunicorn(env, workers=1) as live:
        yield live


def test_index_page_in_chromium(server) -> None:
    dom = html.fromstring(dump_dom(server.base + "/"))
    assert dom.findtext(".//h1") == "ALLFORCES フィード一覧"
    feeds = json.loads(server.get("/feeds.json")[2])["feeds"]
    hrefs = set(dom.xpath("//a/@href"))
    for feed in feeds:
        assert set(feed["urls"].values()) <= hrefs
    assert [h.text for h in dom.xpath("//h2")] == ["サイト全体", "タグ別", "カテゴリー別", "著者別"]
    shot = screenshot(server.base + "/", "index")
    assert shot.stat().st_size > 10_000


def test_japanese_tag_page_in_chromium(server) -> None:
    path = f"/tags/{quote('半導体')}/"
    dom = html.fromstring(dump_dom(server.base + path))
    assert dom.findtext(".//h1") == "タグ「半導体」の最新記事"
    assert dom.findtext(".//title") == "ALLFORCES: 半導体（タグ）"
    items = json.loads(server.get(path + "feed.json")[2])["items"]
    assert [a.text for a in dom.xpath("//ol[@class='posts']/li/a")] == [i["title"] for i in items]
    alternates = dom.xpath("//link[@rel='alternate']/@href")
    assert alternates == [f"http://127.0.0.1:1{path}{name}" for name in ("feed.xml", "atom.xml", "feed.json")]
    shot = screenshot(server.base + path, "tag-page")
    assert shot.stat().st_size > 10_000
