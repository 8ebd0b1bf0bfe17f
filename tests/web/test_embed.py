"""Embedding: /embed/latest.json, /embed/latest.html and /embed.js over a small site and the hostile post."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import html as lxml_html

from ..conftest import FIXTURES, ROOT
from ..feedcheck import RFC3339

FIELDS = ["title", "url", "date_published", "summary", "tags", "categories", "author", "image", "reading_time"]
# (file, title, date, tags, categories, author, extra front matter)
SITE = [
    ("2025-03-05-e.md", "E: 最新", "2025-03-05 10:00:00 +0900", ["AI", "投資"], ["投資分析"], "山田 太郎", ""),
    ("2025-03-04-d.md", "D", "2025-03-04 10:00:00 +0900", ["AI"], ["技術解説"], "ALLFORCES編集部", ""),
    ("2025-03-03-c.md", "C", "2025-03-03 10:00:00 +0900", ["半導体"], ["投資分析"], "山田 太郎", ""),
    ("2025-03-02-b.md", "B", "2025-03-02 10:00:00 +0900", ["AI", "半導体"], ["投資分析"], "ALLFORCES編集部", ""),
    ("2025-03-01-a.md", "A: 最古", "2025-03-01 10:00:00 +0900", ["投資"], ["技術解説"], "佐藤 花子",
     "image: /images/a.png\nlast_modified_at: 2025-03-10 10:00:00 +0900"),
    ("2099-01-01-future.md", "未来の記事", "2099-01-01 10:00:00 +0900", ["AI"], ["投資分析"], "山田 太郎", ""),
]  # fmt: skip
VISIBLE = [entry[1] for entry in SITE[:-1]]


def write_site(posts_dir: Callable[..., Path], entries: list[tuple[str, ...]] = SITE) -> Path:
    """A _posts folder with the entries written as Jekyll posts."""
    root = None
    for name, title, date, tags, categories, author, extra in entries:
        meta = f"title: {json.dumps(title)}\ndate: {date}\ntags: {json.dumps(tags, ensure_ascii=False)}\n"
        meta += f"categories: {json.dumps(categories, ensure_ascii=False)}\nauthor: {json.dumps(author)}\n{extra}"
        root = posts_dir(name, meta, f"{title}の本文です。二つ目の文です。")
    assert root is not None
    return root


@pytest.fixture
def site(make_app: Callable[..., Flask], posts_dir: Callable[..., Path]) -> Flask:
    """The app over the small site above."""
    return make_app(write_site(posts_dir))


@pytest.fixture
def site_client(site: Flask) -> FlaskClient:
    """A client of the small site."""
    return site.test_client()


def latest(client: FlaskClient, query: str = "", **headers: str) -> tuple[Any, dict[str, Any]]:
    """The response of /embed/latest.json?query and its JSON (None unless 200)."""
    response = client.get(f"/embed/latest.json{query}", headers=headers)
    return response, (json.loads(response.data) if response.status_code == 200 else None)


def titles(data: dict[str, Any]) -> list[str]:
    """The titles of a latest.json answer, in order."""
    return [item["title"] for item in data["items"]]


# -- the JSON: fields, order, limits -----------------------------------------------------------
def test_fields_and_their_values(site_client: FlaskClient) -> None:
    response, data = latest(site_client, "?limit=50")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert set(data) == {"title", "home_page_url", "items"}
    feed = {item["url"]: item for item in json.loads(site_client.get("/feed.json").data)["items"]}
    for item in data["items"]:
        assert list(item) == FIELDS
        same = feed[item["url"]]
        # The same post reads the same in the embed and in the feeds: dates, summary (one excerpt).
        assert item["title"] == same["title"]
        assert item["date_published"] == same["date_published"] and RFC3339.match(item["date_published"])
        assert item["summary"] == same["summary"] == f"{item['title']}の本文です。二つ目の文です。"
        assert item["tags"] == same["_allforces"]["tags"]
        assert item["categories"] == same["_allforces"]["categories"]
        assert item["author"] == same["authors"][0]["name"]
        assert item["reading_time"] == same["_allforces"]["reading_time"] and isinstance(item["reading_time"], int)
        assert item["image"] == same.get("image")
        assert item["url"].startswith("https://allforces.jp/")
    assert data["items"][-1]["image"] == "https://allforces.jp/images/a.png"
    assert data["items"][0]["image"] is None


def test_newest_first_and_no_scheduled_post(site_client: FlaskClient) -> None:
    assert titles(latest(site_client, "?limit=50")[1]) == VISIBLE


@pytest.mark.parametrize(("query", "count"), [("", 5), ("?limit=1", 1), ("?limit=3", 3), ("?limit=05", 5)])
def test_limit(site_client: FlaskClient, query: str, count: int) -> None:
    assert titles(latest(site_client, query)[1]) == VISIBLE[:count]


def test_default_is_five_and_at_most_fifty(make_app: Callable[..., Flask], posts_dir: Callable[..., Path]) -> None:
    many = [
        (f"2024-01-{d:02d}-p{d}.md", f"記事{d}", f"2024-01-{d:02d}", ["AI"], ["投資分析"], "山田", "")
        for d in range(1, 29)
    ]
    many += [
        (f"2024-02-{d:02d}-q{d}.md", f"記事b{d}", f"2024-02-{d:02d}", ["AI"], ["投資分析"], "山田", "")
        for d in range(1, 29)
    ]
    client = make_app(write_site(posts_dir, many)).test_client()
    assert len(latest(client)[1]["items"]) == 5
    assert len(latest(client, "?limit=50")[1]["items"]) == 50
    assert titles(latest(client, "?limit=2")[1]) == ["記事b28", "記事b27"]


@pytest.mark.parametrize("value", ["0", "51", "-1", "abc", "", "1.5", "５", " 5", "+5", "1e1", "9" * 5000])
def test_bad_limit_is_400_with_a_reason(site_client: FlaskClient, value: str) -> None:
    for path in ("/embed/latest.json", "/embed/latest.html"):
        response = site_client.get(f"{path}?limit={quote(value)}")
        assert response.status_code == 400
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.text.startswith("limit must be a whole number from 1 to 50")


def test_limit_given_twice_is_400(site_client: FlaskClient) -> None:
    assert site_client.get("/embed/latest.json?limit=2&limit=3").status_code == 400


# -- filters ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?tag=ai", ["E: 最新", "D", "B"]),
        ("?tag=半導体", ["C", "B"]),
        ("?category=投資分析", ["E: 最新", "C", "B"]),
        ("?author=山田-太郎", ["E: 最新", "C"]),
        ("?tag=ai&category=投資分析", ["E: 最新", "B"]),
        ("?tag=ai&category=投資分析&author=ALLFORCES編集部", ["B"]),
        ("?tag=半導体&author=佐藤-花子", []),
        ("?tag=ai&limit=2", ["E: 最新", "D"]),
    ],
)
def test_filters_combine(site_client: FlaskClient, query: str, expected: list[str]) -> None:
    response, data = latest(site_client, query)
    assert response.status_code == 200
    assert titles(data) == expected


@pytest.mark.parametrize("spelling", ["AI", "ai", "ＡＩ", "Ai", quote("ＡＩ")])
def test_any_spelling_of_a_known_slug(site_client: FlaskClient, spelling: str) -> None:
    canonical, _ = latest(site_client, "?tag=ai")
    response, _ = latest(site_client, f"?tag={spelling}")
    assert response.status_code == 200
    assert response.headers["ETag"] == canonical.headers["ETag"]
    assert response.data == canonical.data


def test_author_by_name_and_nfd_category(site_client: FlaskClient) -> None:
    import unicodedata

    by_slug, _ = latest(site_client, "?author=山田-太郎&category=投資分析")
    nfd = quote(unicodedata.normalize("NFD", "投資分析"))
    by_name, _ = latest(site_client, f"?author={quote('山田 太郎')}&category={nfd}")
    assert by_name.data == by_slug.data


def test_list_title_and_home_page(site_client: FlaskClient) -> None:
    assert latest(site_client)[1]["title"] == "ALLFORCES"
    _, data = latest(site_client, "?tag=ai")
    assert data["title"] == "ALLFORCES: AI"
    assert data["home_page_url"] == "https://allforces.jp/tags/ai/"
    assert latest(site_client, "?tag=ai&category=投資分析")[1]["title"] == "ALLFORCES: AI・投資分析"


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("?tag=nope", "no tag 'nope'"),
        ("?category=nope", "no category 'nope'"),
        ("?author=nobody", "no author 'nobody'"),
        ("?tag=ai&category=nope", "no category 'nope'"),
        ("?tag=%2B%2B%2B", "no tag '+++'"),
        (f"?tag={quote('未来の記事だけのタグ')}", "no tag '未来の記事だけのタグ'"),
    ],
)
def test_unknown_label_is_404(site_client: FlaskClient, query: str, reason: str) -> None:
    for path in ("/embed/latest.json", "/embed/latest.html"):
        response = site_client.get(path + query)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.text == reason + "\n"


@pytest.mark.parametrize("query", ["?tag=", "?tag=%20", "?tag=ai&tag=投資"])
def test_empty_or_repeated_filter_is_400(site_client: FlaskClient, query: str) -> None:
    assert latest(site_client, query)[0].status_code == 400


# -- HTTP: caching, CORS, preflight ---------------------------------------------------------------
def test_unknown_parameters_and_order_do_not_change_the_etag(site_client: FlaskClient) -> None:
    first, _ = latest(site_client, "?limit=3&tag=ai&category=投資分析")
    for query in ("?category=投資分析&tag=AI&limit=3", "?utm_source=x&tag=ai&limit=03&category=投資分析&_=123"):
        again, _ = latest(site_client, query)
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.data == first.data
    other, _ = latest(site_client, "?limit=1&tag=ai&category=投資分析")
    assert other.headers["ETag"] != first.headers["ETag"]


def test_caching_headers_like_the_feeds(site_client: FlaskClient) -> None:
    response, _ = latest(site_client)
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"])
    # The newest published or updated date of the posts listed: A was updated on 10 March.
    assert response.headers["Last-Modified"] == "Mon, 10 Mar 2025 01:00:00 GMT"
    assert latest(site_client, "?limit=4")[0].headers["Last-Modified"] == "Wed, 05 Mar 2025 01:00:00 GMT"
    assert response.headers["Cache-Control"].startswith("public, max-age=900")
    assert "stale-while-revalidate" in response.headers["Cache-Control"]
    assert response.headers["Vary"] == "Accept-Encoding"


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_conditional_requests_and_gzip(site_client: FlaskClient, fmt: str) -> None:
    path = f"/embed/latest.{fmt}?tag=ai"
    first = site_client.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"x", W/{etag}'}, {"If-Modified-Since": modified}):
        again = site_client.get(path, headers=headers)
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag
    assert site_client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    zipped = site_client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["ETag"] != etag
    assert gzip.decompress(zipped.data) == first.data
    head = site_client.head(path)
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == etag


def test_cors_on_200_304_and_errors(site_client: FlaskClient) -> None:
    ok, _ = latest(site_client, "?tag=ai", Origin="https://partner.example")
    not_modified, _ = latest(site_client, "?tag=ai", **{"If-None-Match": ok.headers["ETag"]})
    errors = [latest(site_client, "?limit=0")[0], latest(site_client, "?tag=nope")[0]]
    for response in (ok, not_modified, *errors):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Access-Control-Expose-Headers"] == "ETag, Last-Modified"
    assert not_modified.status_code == 304
    assert ok.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_cors_preflight(site_client: FlaskClient) -> None:
    response = site_client.options(
        "/embed/latest.json?tag=ai",
        headers={
            "Origin": "https://partner.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert response.status_code == 204
    assert response.data == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "HEAD"}
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"if-none-match", "if-modified-since"} <= allowed
    assert int(response.headers["Access-Control-Max-Age"]) >= 600


def test_other_methods_are_405(site_client: FlaskClient) -> None:
    response = site_client.post("/embed/latest.json")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


# -- the iframe page -------------------------------------------------------------------------
def page(client: FlaskClient, query: str = "") -> tuple[Any, Any]:
    """The response of /embed/latest.html?query and its parsed document."""
    response = client.get(f"/embed/latest.html{query}")
    return response, lxml_html.fromstring(response.data)


def csp(response: Any) -> dict[str, str]:
    """The Content-Security-Policy header as directive -> value."""
    directives = (d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def test_page_lists_the_same_posts_as_the_json(site_client: FlaskClient) -> None:
    for query in ("", "?tag=ai&limit=2", "?category=投資分析"):
        response, document = page(site_client, query)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        _, data = latest(site_client, query)
        links = document.xpath("//li/a[@class='title']")
        assert [a.text for a in links] == titles(data)
        assert [a.get("href") for a in links] == [item["url"] for item in data["items"]]
        assert document.findtext(".//title") == data["title"]


def test_page_is_japanese_script_free_and_opens_links_on_top(site_client: FlaskClient) -> None:
    response, document = page(site_client)
    assert document.get("lang") == "ja"
    assert document.xpath("//script") == []
    assert b"<script" not in response.data
    for link in document.xpath("//a"):
        assert link.get("target") == "_top"
        assert link.get("rel") == "noopener noreferrer"
    assert [t.text for t in document.xpath("//time")][0] == "2025年3月5日"
    assert "X-Frame-Options" not in response.headers


def test_page_content_security_policy(site_client: FlaskClient) -> None:
    response, document = page(site_client)
    policy = csp(response)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'none'"
    assert policy["frame-ancestors"] == "*"
    assert policy["base-uri"] == "'none'"
    assert policy["img-src"] == "https:"
    # The one style block is allowed by its hash, and nothing else is.
    styles = document.xpath("//style")
    assert len(styles) == 1 and document.xpath("//@style") == []
    digest = base64.b64encode(hashlib.sha256(styles[0].text.encode()).digest()).decode()
    assert policy["style-src"] == f"'sha256-{digest}'"


def test_page_shows_https_images_only(make_app: Callable[..., Flask], posts_dir: Callable[..., Path]) -> None:
    root = write_site(posts_dir)
    https, _ = page(make_app(root).test_client(), "?limit=50")
    assert https.status_code == 200
    document = lxml_html.fromstring(https.data)
    assert document.xpath("//img/@src") == ["https://allforces.jp/images/a.png"]
    plain_http = make_app(root, SITE_URL="http://blog.test").test_client()
    assert lxml_html.fromstring(plain_http.get("/embed/latest.html?limit=50").data).xpath("//img") == []
    # ... while the JSON still gives the image, for a script to decide.
    assert latest(plain_http, "?limit=50")[1]["items"][-1]["image"] == "http://blog.test/images/a.png"


def test_empty_list_page(site_client: FlaskClient) -> None:
    response, document = page(site_client, "?tag=半導体&author=佐藤-花子")
    assert response.status_code == 200
    assert document.xpath("//li") == []
    assert "まだ記事がありません" in response.text


# -- the script ---------------------------------------------------------------------------------
JS = ROOT / "allforces_feeds" / "static" / "embed.js"


def test_script_is_served_with_a_js_type_and_caching(site_client: FlaskClient) -> None:
    response = site_client.get("/embed.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.data == JS.read_bytes()
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert site_client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


# What the widget does with hostile data (text only, http(s) links only) is tested in Chromium:
# tests/web/test_embed_browser.py, test_widget_renders_on_another_origin.
def test_script_parses() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the Chromium test runs the script")
    result = subprocess.run([node, "--check", str(JS)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# -- the hostile post ---------------------------------------------------------------------------
@pytest.fixture
def hostile_client(make_app: Callable[..., Flask]) -> FlaskClient:
    """A client of the app over tests/fixtures/hostile."""
    return make_app(FIXTURES / "hostile").test_client()


def hostile_posts(client: FlaskClient) -> list[Any]:
    """The fixture's posts, newest first."""
    return list(client.application.extensions["allforces"].current().posts)


def test_hostile_fields_are_text_in_the_json(hostile_client: FlaskClient) -> None:
    response, data = latest(hostile_client)
    # <, > and & never appear raw: the JSON stays inert even if someone pastes it into a page.
    assert not set(b"<>&") & set(response.data)
    posts = hostile_posts(hostile_client)
    assert titles(data) == [post.title for post in posts]
    assert [item["author"] for item in data["items"]] == [post.author for post in posts]
    assert "<script>" in data["items"][0]["title"] and "onerror=" in data["items"][0]["author"]
    assert data["items"][0]["image"] is None  # javascript: is no image
    assert data["items"][0]["summary"].startswith('本文の最初の文です。<script>alert("summary")</script> という')


def test_hostile_fields_are_escaped_in_the_page(hostile_client: FlaskClient) -> None:
    response, document = page(hostile_client)
    posts = hostile_posts(hostile_client)
    assert b"<script" not in response.data
    assert not re.search(rb"<img[^>]*onerror", response.data)
    assert document.xpath("//script") == []
    assert document.xpath("//*[@*[starts-with(name(), 'on')]]") == []
    assert [a.text for a in document.xpath("//li/a[@class='title']")] == [post.title for post in posts]
    assert posts[0].author in document.xpath("//li")[0].text_content()
    assert all(src.startswith("https://") for src in document.xpath("//img/@src"))
    assert all(href.startswith("https://") for href in document.xpath("//a/@href"))
