"""The embeds as a partner site shows them: real headless Chromium, the service on a live gunicorn, and
a host page from a second loopback port (another origin) that includes /embed.js and the iframe page."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
from lxml import html

from ..browser import dump_dom, screenshot
from ..conftest import FIXTURES
from ..live import Server, gunicorn

HOST_PAGE = """<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>パートナーサイト</title>
<style>
body {{ font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; max-width: 56rem; margin: 1.5rem auto; }}
.allforces-latest {{ padding-left: 1.2rem; }} .allforces-latest__date {{ color: #666; font-size: .85em; }}
iframe {{ width: 100%; height: 520px; border: 1px solid #ccc; }}
</style>
</head>
<body>
<h1>パートナーサイトのページ</h1>
<h2>1. スクリプトで埋め込む</h2>
<div id="all" data-allforces-latest data-limit="5"><a href="{base}/">ALLFORCESの最新記事</a></div>
<h2>2. タグで絞り込む（data-tag="ＡＩ"、2件）</h2>
<div id="ai" data-allforces-latest data-limit="2" data-tag="ＡＩ"></div>
<h2>3. 存在しないタグ（何も変えない）</h2>
<div id="missing" data-allforces-latest data-tag="no-such-tag"><p>フォールバック</p></div>
<h2>4. iframeで埋め込む</h2>
<iframe src="{base}/embed/latest.html?limit=3" title="ALLFORCESの最新記事"></iframe>
<script src="{base}/embed.js" async></script>
</body>
</html>
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The service over the hostile fixture; SITE_URL on loopback so that nothing leaves the machine."""
    env = {
        "ALLFORCES_CONTENT_DIR": str(FIXTURES / "hostile"),
        "ALLFORCES_SITE_URL": "http://127.0.0.1:9",
        "ALLFORCES_CACHE_DIR": str(tmp_path_factory.mktemp("embed-cache")),
    }
    with gunicorn(env, workers=1) as live:
        yield live


@pytest.fixture(scope="module")
def host_page(service: Server) -> Iterator[str]:
    """The URL of a partner page on another loopback port, which embeds the service three ways."""
    body = HOST_PAGE.format(base=service.base).encode("utf-8")

    class Host(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            """The host page at /, nothing else."""
            found = self.path == "/"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Host)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def expected(service: Server, query: str) -> list[dict[str, Any]]:
    """The items latest.json gives for a query."""
    status, _, body = service.get(f"/embed/latest.json{query}")
    assert status == 200
    return json.loads(body)["items"]


def assert_nothing_from_data(document: Any, scripts: int, iframes: int) -> None:
    """No element or attribute that a hostile title, author, summary or image could have made."""
    assert document.get("data-pwned") is None
    assert len(document.xpath("//script")) == scripts
    assert len(document.xpath("//iframe")) == iframes
    assert document.xpath("//img | //svg | //object | //embed | //form") == []
    assert document.xpath("//*[@*[starts-with(name(), 'on')]]") == []
    for href in document.xpath("//a/@href"):
        assert href.startswith(("http://", "https://")), href


def test_widget_renders_on_another_origin(service: Server, host_page: str) -> None:
    assert host_page.split(":")[2] != service.base.split(":")[2]  # another port: another origin
    document = html.fromstring(dump_dom(host_page))
    widget = document.get_element_by_id("all")
    assert widget.get("data-allforces-state") == "ready"
    items = expected(service, "?limit=5")
    assert len(items) == 4
    links = widget.xpath(".//li/a[@class='allforces-latest__title']")
    assert [a.text_content() for a in links] == [item["title"] for item in items]
    assert [a.get("href") for a in links] == [item["url"] for item in items]
    summaries = widget.xpath(".//p[@class='allforces-latest__summary']")
    assert [p.text_content() for p in summaries] == [item["summary"] for item in items]
    assert '<script>alert("summary")</script>' in summaries[0].text_content()
    assert widget.xpath(".//time/@datetime") == [item["date_published"] for item in items]
    # The filtered one asked with a full-width label, which is the same tag.
    ai = document.get_element_by_id("ai")
    assert [a.text_content() for a in ai.xpath(".//li/a")] == [
        item["title"] for item in expected(service, "?tag=ai&limit=2")
    ]
    # A 404 leaves the fallback the site wrote.
    missing = document.get_element_by_id("missing")
    assert missing.get("data-allforces-state") == "error"
    assert missing.text_content() == "フォールバック"
    # The hostile title, author and summary stayed text: only the host's own script and iframe exist.
    assert "危険なタイトル" in links[0].text_content() and "<script>" in links[0].text_content()
    assert_nothing_from_data(document, scripts=1, iframes=1)


def test_iframe_page_in_chromium(service: Server) -> None:
    document = html.fromstring(dump_dom(service.base + "/embed/latest.html?limit=" + quote("5")))
    items = expected(service, "?limit=5")
    assert [a.text_content() for a in document.xpath("//li/a[@class='title']")] == [item["title"] for item in items]
    assert_nothing_from_data(document, scripts=0, iframes=0)


def test_screenshot_of_the_three_ways(host_page: str) -> None:
    shot = screenshot(host_page, "embed-widget", size="1000,1500")
    assert shot.stat().st_size > 10_000
