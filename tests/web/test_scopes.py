"""Tag, category and author feeds: exact membership, titles and links, canonical URLs and redirects."""

from __future__ import annotations

import json
import time
import unicodedata
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from allforces_feeds.config import load_config
from allforces_feeds.load import load_posts
from allforces_feeds.slugs import slugify

from ..conftest import CONTENT, PUBLIC_URL
from ..feedcheck import identities, json_feed_errors, parse_xml_feed

FILES = {"rss": "feed.xml", "atom": "atom.xml", "json": "feed.json"}
KINDS = ("tags", "categories", "authors")


def listed_feeds(client: FlaskClient) -> list[dict]:
    return json.loads(client.get("/feeds.json").data)["feeds"]


def expected_ids(kind: str, slug: str, limit: int = 20) -> list[str]:
    """The ids a scope's feed must hold, worked out from the files independently of the index."""
    posts = load_posts(load_config({}, CONTENT_DIR=str(CONTENT))).posts
    now = time.time()
    labels = {
        "tags": lambda p: p.tags,
        "categories": lambda p: p.categories,
        "authors": lambda p: (p.author,),
    }[kind]
    members = [p for p in posts if p.published.timestamp() <= now and slug in {slugify(x) for x in labels(p)}]
    members.sort(key=lambda p: (-p.published.timestamp(), p.url))
    return [p.id for p in members[:limit]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", FILES)
def test_every_scope_feed_is_valid_and_exact(client: FlaskClient, kind: str, fmt: str) -> None:
    scopes = [f for f in listed_feeds(client) if f["scope"] == kind]
    assert scopes, f"no {kind} in the bundled content"
    for listed in scopes:
        url = listed["urls"][fmt]
        assert url.startswith(PUBLIC_URL)
        response = client.get(url.removeprefix(PUBLIC_URL))
        assert response.status_code == 200, url
        if fmt == "json":
            assert json_feed_errors(response.data) == []
        else:
            parse_xml_feed(response.data)
        ids = [item[0] for item in identities(fmt, response.data)]
        assert ids == expected_ids(kind, listed["slug"]), url
        assert listed["items"] == len(ids)


@pytest.mark.parametrize("fmt", FILES)
def test_scope_feed_title_and_links(client: FlaskClient, fmt: str) -> None:
    path = f"/categories/{quote('投資分析')}/{FILES[fmt]}"
    body = client.get(path).data
    if fmt == "json":
        feed = json.loads(body)
        assert feed["title"] == "ALLFORCES: 投資分析"
        assert feed["feed_url"] == PUBLIC_URL + path
        assert feed["home_page_url"] == "https://allforces.jp" + f"/categories/{quote('投資分析')}/"
    else:
        feed = parse_xml_feed(body).feed
        assert feed.title == "ALLFORCES: 投資分析"
        links = {link.rel: link.href for link in feed.links}
        assert links["self"] == PUBLIC_URL + path


def test_japanese_tag_keeps_its_spelling_everywhere(client: FlaskClient) -> None:
    listed = next(f for f in listed_feeds(client) if f["label"] == "半導体")
    assert listed["slug"] == "半導体"
    assert listed["urls"]["rss"] == PUBLIC_URL + "/tags/%E5%8D%8A%E5%B0%8E%E4%BD%93/feed.xml"
    full_width = next(f for f in listed_feeds(client) if f["slug"] == "gpu")
    assert full_width["label"] == "ＧＰＵ"


@pytest.mark.parametrize(
    ("requested", "canonical"),
    [
        ("/tags/AI/feed.xml", "/tags/ai/feed.xml"),
        (f"/tags/{quote('ＡＩ')}/atom.xml", "/tags/ai/atom.xml"),
        (f"/tags/{quote(unicodedata.normalize('NFD', 'データセンター'))}/feed.json",
         f"/tags/{quote('データセンター')}/feed.json"),
        (f"/authors/{quote('山田 太郎')}/feed.xml", f"/authors/{quote('山田-太郎')}/feed.xml"),
        ("/tags/AI/", "/tags/ai/"),
        ("/tags/ai", "/tags/ai/"),
        ("/tags/..%2Fai/feed.xml", "/tags/ai/feed.xml"),
    ],
)  # fmt: skip
def test_non_canonical_spellings_redirect_once(client: FlaskClient, requested: str, canonical: str) -> None:
    response = client.get(requested)
    assert response.status_code == 301
    assert response.headers["Location"] == PUBLIC_URL + canonical
    assert client.get(canonical).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/tags/nope/feed.xml",
        "/tags/%2e%2e/feed.xml",
        "/tags/%00/feed.xml",
        "/tags/..%2F..%2Fetc%2Fpasswd/feed.xml",
        "/tags/%FF%FE/feed.xml",
        "/tags/+++/atom.xml",
        "/categories/nope/",
        "/authors/%2e%2e%2f%2e%2e%2f/feed.json",
        "/tags/" + "a" * 5000 + "/feed.xml",
    ],
)
def test_unknown_or_tricky_slugs_are_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/plain")
    assert len(response.data) < 300


def test_labels_that_collide_are_one_feed(make_app, posts_dir) -> None:
    posts_dir("2025-01-01-one.md", 'title: "一"\ntags: ["AI"]')
    posts_dir("2025-01-02-two.md", 'title: "二"\ntags: ["ＡＩ"]')
    site = posts_dir("2025-01-03-three.md", 'title: "三"\ntags: ["ai", "C++"]')
    client = make_app(site).test_client()
    titles = [i["title"] for i in json.loads(client.get("/tags/ai/feed.json").data)["items"]]
    assert titles == ["三", "二", "一"]
    assert client.get("/tags/c/feed.xml").status_code == 200


def test_favicon_is_answered(make_app, posts_dir, tmp_path) -> None:
    site = posts_dir("2025-01-01-one.md", 'title: "一"')
    assert make_app(site).test_client().get("/favicon.ico").status_code == 404
    moved = make_app(site, SITE_ICON="/img/icon.png").test_client().get("/favicon.ico")
    assert moved.status_code == 301 and moved.headers["Location"] == "https://allforces.jp/img/icon.png"
    (site / "favicon.ico").write_bytes(b"\x00\x00\x01\x00icon")
    client = make_app(site).test_client()
    served = client.get("/favicon.ico")
    assert served.status_code == 200 and served.data == b"\x00\x00\x01\x00icon"
    assert served.headers["Content-Type"] == "image/vnd.microsoft.icon"
    assert client.get("/favicon.ico", headers={"If-None-Match": served.headers["ETag"]}).status_code == 304
