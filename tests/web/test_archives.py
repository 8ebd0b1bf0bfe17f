"""RFC 5005 archives through the app: readers walking back from any feed get every post, full pages are immutable."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from lxml import etree, html

from allforces_feeds import create_app
from allforces_feeds.models import Scope
from allforces_feeds.render import FORMATS
from allforces_feeds.web.http import IMMUTABLE, cache_control
from allforces_feeds.web.reload import EXTENSION, Reloader
from allforces_feeds.web.routes import Router

from ..clock import Clock
from ..conftest import CONTENT, PUBLIC_URL, SITE_URL, settings
from ..feedcheck import json_feed_errors, parse_xml_feed
from ..live import Server, gunicorn
from .test_caching_live import send

# "Now" for every app here: after the newest bundled post shown (2026-11-25), before the scheduled one (2027).
NOW = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
# (FEED_LIMIT, ARCHIVE_SIZE): pages as big as the feed, and pages bigger than it (then a partial newest page).
SHAPES = {"even": ("3", "3"), "partial": ("2", "5")}
FH = "{http://purl.org/syndication/history/1.0}"
ATOM = "{http://www.w3.org/2005/Atom}"
TAG = "/tags/deep-learning/"


def write_posts(site: Path, days: range, month: str = "2024-01", body: str = "本文") -> None:
    """Short posts on these days of the month, tagged so that some tags and authors have archives too."""
    for n in days:
        tags = "[Deep Learning, 機械学習]" if n % 2 else "[Deep Learning]"
        author = "鈴木 一郎" if n % 3 else "山田 太郎"
        front = f"title: 生成 {n}\ndate: {month}-{n:02d} 09:00:00 +0900\ntags: {tags}\nauthor: {author}"
        (site / "_posts" / f"{month}-{n:02d}-gen-{n}.md").write_text(f"---\n{front}\n---\n{body} {n}。\n")


def copy_site(folder: Path) -> Path:
    """The bundled content and 11 generated older posts: 23 visible posts on the site."""
    site = folder / "site"
    shutil.copytree(CONTENT, site)
    write_posts(site, range(1, 12))
    return site


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Flask]:
    """One app per shape over one copy of the content, each with its own CACHE_DIR."""
    tmp = tmp_path_factory.mktemp("archives")
    site = copy_site(tmp)
    return {
        name: create_app(settings(tmp / f"cache-{name}", site, FEED_LIMIT=limit, ARCHIVE_SIZE=size), Clock(NOW))
        for name, (limit, size) in SHAPES.items()
    }


def local(url: str) -> str:
    """The path of one of the service's own absolute URLs."""
    assert url.startswith(PUBLIC_URL + "/"), url
    return url[len(PUBLIC_URL) :]


def page_url(router: Router, scope: Scope, number: int, file: str) -> str:
    """The absolute URL of one archive page."""
    return router.urls.public(router.urls.archive_path(scope.kind, scope.slug, number, file))


def read(fmt: str, body: bytes) -> tuple[list[tuple[str, str]], str | None]:
    """(id, link) of each item and the older document's URL (prev-archive, next_url), as readers read them."""
    if fmt == "json":
        assert json_feed_errors(body) == []
        feed = json.loads(body)
        return [(i["id"], i["url"]) for i in feed["items"]], feed.get("next_url")
    parsed = parse_xml_feed(body)
    older = next((link.href for link in parsed.feed.get("links", []) if link.rel == "prev-archive"), None)
    return [(e.id, e.link) for e in parsed.entries], older


def history(fmt: str, body: bytes) -> tuple[dict[str, str], set[str]]:
    """The feed-level links by rel and the RFC 5005 state elements (archive, complete) of an XML feed."""
    root = etree.fromstring(body)
    feed = root if fmt == "atom" else root.find("channel")
    links = {e.get("rel"): e.get("href") for e in feed if e.tag == f"{ATOM}link" and e.get("rel")}
    return links, {e.tag.removeprefix(FH) for e in feed if str(e.tag).startswith(FH)}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_walking_back_from_every_feed_reaches_every_post_and_nothing_else(
    apps: dict[str, Flask], shape: str, fmt: str
) -> None:
    """From each scope's subscription feed, prev-archive (JSON: next_url) leads through every page to page 1."""
    router, client = apps[shape].extensions["allforces"], apps[shape].test_client()
    walked = 0
    for scope in router.current().all_scopes():
        url: str | None = router.urls.feed(scope.kind, scope.slug, FORMATS[fmt].file)
        count, items, visited = router.archive(scope).count, [], []
        while url is not None:
            assert url not in visited and len(visited) <= count, url
            visited.append(url)
            response = client.get(local(url))
            assert response.status_code == 200, url
            found, url = read(fmt, response.data)
            items += found
        # Subscription feed, then the newest page, then each older one down to page 1 (complete: none).
        assert visited[1:] == [page_url(router, scope, n, FORMATS[fmt].file) for n in range(count, 0, -1)], scope
        assert set(items) == {(post.id, post.url) for post in scope.posts}, scope
        # Archive pages do not overlap; only the subscription feed repeats what the newest page holds.
        on_pages = items[min(len(scope.posts), router.config.feed_limit) :]
        assert len(on_pages) == len(set(on_pages)), scope
        walked += count
    assert walked >= 10


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_every_document_states_its_place_in_the_logical_feed(apps: dict[str, Flask], shape: str, fmt: str) -> None:
    """fh:archive with self, current and the right prev/next on pages; fh:complete without links when it fits."""
    router, client = apps[shape].extensions["allforces"], apps[shape].test_client()
    file = FORMATS[fmt].file
    complete = 0
    for scope in router.current().all_scopes():
        archive, current = router.archive(scope), router.urls.feed(scope.kind, scope.slug, file)
        links, state = history(fmt, client.get(local(current)).data)
        if archive.complete:
            complete += 1
            assert state == {"complete"} and "prev-archive" not in links, scope
            continue
        assert state == set() and links["prev-archive"] == page_url(router, scope, archive.count, file)
        for number in range(1, archive.count + 1):
            own = page_url(router, scope, number, file)
            response = client.get(local(own))
            assert response.status_code == 200 and response.content_type == FORMATS[fmt].media_type
            links, state = history(fmt, response.data)
            assert state == {"archive"}, own
            assert links["self"] == own and links["current"] == current, own
            assert links.get("prev-archive") == (page_url(router, scope, number - 1, file) if number > 1 else None)
            newer = page_url(router, scope, number + 1, file) if number < archive.count else None
            assert links.get("next-archive") == newer, own
            assert parse_xml_feed(response.data).entries
            feed = client.get(local(page_url(router, scope, number, "feed.json"))).json
            assert feed["feed_url"] == page_url(router, scope, number, "feed.json")  # next_url: walked above
    assert complete > 0


def test_full_pages_are_immutable_and_the_partial_page_is_not(apps: dict[str, Flask]) -> None:
    """Cache-Control: a year and immutable on a full page with a newer page after it; the feeds' own otherwise."""
    router, client = apps["partial"].extensions["allforces"], apps["partial"].test_client()
    kinds = {True: 0, False: 0}
    for scope in router.current().all_scopes():
        archive = router.archive(scope)
        for number in range(1, archive.count + 1):
            page = archive.page(number)
            assert page is not None
            fixed = page.full and number < archive.count
            kinds[fixed] += 1
            for fmt in FORMATS.values():
                served = client.get(local(page_url(router, scope, number, fmt.file))).headers["Cache-Control"]
                assert served == (IMMUTABLE if fixed else cache_control(router.config.feed_max_age))
    assert kinds[True] and kinds[False]


@pytest.mark.parametrize(("path", "location"), [
    ("/tags/Deep Learning/archive/1/feed.xml", TAG + "archive/1/feed.xml"),
    ("/tags/DEEP-LEARNING/archive/2/atom.xml", TAG + "archive/2/atom.xml"),
    ("/tags/ＤＥＥＰ　ＬＥＡＲＮＩＮＧ/archive/1/feed.json", TAG + "archive/1/feed.json"),
    ("/authors/鈴木 一郎/archive/1/feed.xml", f"/authors/{quote('鈴木-一郎')}/archive/1/feed.xml"),
])  # fmt: skip
def test_other_spellings_of_the_scope_are_301(apps: dict[str, Flask], path: str, location: str) -> None:
    """Raw label, case, full width: one 301 to the canonical archive URL."""
    response = apps["even"].test_client().get(quote(path))
    assert response.status_code == 301 and response.headers["Location"] == PUBLIC_URL + location


# Page 0, past the newest (the site has 7 pages, the tag 3), not in canonical decimal, not a feed file,
# an unknown scope, a complete scope (NVIDIA: one post).
@pytest.mark.parametrize("path", [
    "/archive/0/feed.xml", "/archive/8/feed.xml", "/archive/03/feed.xml", "/archive/-1/atom.xml",
    "/archive/1/feed.txt", TAG + "archive/0/atom.xml", TAG + "archive/4/atom.xml", TAG + "archive/01/feed.json",
    "/tags/no-such-tag/archive/1/feed.xml", "/tags/nvidia/archive/1/feed.xml",
])  # fmt: skip
def test_no_such_page_is_404(apps: dict[str, Flask], path: str) -> None:
    """Page 0, past the newest, not in canonical decimal, unknown or complete scope: 404."""
    assert apps["even"].test_client().get(path).status_code == 404


@pytest.mark.parametrize("path", ["/archive/1/feed.xml", TAG + "archive/2/atom.xml", TAG + "archive/1/feed.json"])
def test_head_and_conditional_requests(apps: dict[str, Flask], path: str) -> None:
    """HEAD is GET without a body; If-None-Match and If-Modified-Since give 304, a false If-Match 412; gzip."""
    client = apps["even"].test_client()
    full = client.get(path)
    head = client.head(path)
    assert head.status_code == 200 and head.data == b""
    for name in ("ETag", "Last-Modified", "Cache-Control", "Content-Length", "Content-Type", "Vary"):
        assert head.headers[name] == full.headers[name], name
    for headers in ({"If-None-Match": full.headers["ETag"]}, {"If-Modified-Since": full.headers["Last-Modified"]}):
        again = client.get(path, headers=headers)
        assert again.status_code == 304 and again.data == b""
        for name in ("ETag", "Last-Modified", "Cache-Control", "Vary"):
            assert again.headers[name] == full.headers[name], name
    assert client.get(path, headers={"If-Match": '"other"'}).status_code == 412
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.data) == full.data


@pytest.mark.parametrize("shape", SHAPES)
def test_pages_list_the_archive_pages(apps: dict[str, Flask], shape: str) -> None:
    """/ and a scope's page list every archive page in the three formats, each link a 200; none when complete."""
    router, client = apps[shape].extensions["allforces"], apps[shape].test_client()
    for scope in router.current().all_scopes():
        page = client.get(local(router.urls.page(scope.kind, scope.slug)))
        listed = html.fromstring(page.data).xpath('//section[@id="archives"]//a/@href')
        count = router.archive(scope).count
        expected = [page_url(router, scope, n, fmt.file) for n in range(count, 0, -1) for fmt in FORMATS.values()]
        assert listed == expected, scope
        for url in listed:
            assert client.get(local(url)).status_code == 200, url


@pytest.fixture
def edited(tmp_path: Path) -> tuple[Flask, Path, Clock]:
    """An app with a CACHE_DIR over its own copy of the content (FEED_LIMIT 3, 7 pages), the folder, its clock."""
    clock = Clock(NOW)
    site = copy_site(tmp_path)
    return create_app(settings(tmp_path / "cache", site, FEED_LIMIT="3", ARCHIVE_SIZE="3"), clock), site, clock


def reload(app: Flask, clock: Clock) -> None:
    """Ten minutes later, the content read again."""
    clock.now += 600
    reloader: Reloader = app.extensions[EXTENSION]
    assert reloader.reload().ok


@pytest.mark.parametrize("change", ["edit", "delete"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_page_whose_post_is_edited_or_deleted_is_revalidated(
    edited: tuple[Flask, Path, Clock], fmt: str, change: str
) -> None:
    """New bytes on a full page after an edit or a deletion: no longer immutable, Last-Modified not earlier."""
    app, site, clock = edited
    client, path, other = app.test_client(), f"/archive/1/{FORMATS[fmt].file}", f"/archive/5/{FORMATS[fmt].file}"
    before = client.get(path)
    assert before.headers["Cache-Control"] == client.get(other).headers["Cache-Control"] == IMMUTABLE
    if change == "edit":
        write_posts(site, range(1, 2), body="書き直した本文")  # the oldest post, on page 1
    else:
        (site / "_posts" / "2024-01-02-gen-2.md").unlink()  # on page 1; every later post moves down one
    reload(app, clock)
    after = client.get(path)
    assert after.status_code == 200 and after.data != before.data
    assert after.headers["Cache-Control"] == cache_control(app.extensions["allforces"].config.feed_max_age)
    modified = parsedate_to_datetime(after.headers["Last-Modified"])
    assert modified >= parsedate_to_datetime(before.headers["Last-Modified"])
    assert client.get(path, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
    if change == "edit":  # a page the edit did not touch stays immutable
        assert client.get(other).headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_page_stays_the_same_when_newer_posts_arrive(edited: tuple[Flask, Path, Clock], fmt: str) -> None:
    """The newest full page is immutable only once a newer page exists (its next-archive link is then final)."""
    app, site, clock = edited
    client, path = app.test_client(), f"/archive/7/{FORMATS[fmt].file}"
    before = client.get(path)
    assert before.headers["Cache-Control"] != IMMUTABLE  # page 7 is the newest: a page 8 would add a link
    write_posts(site, range(26, 28), month="2026-11")  # the 2 newest of 25 posts: page 8 appears
    reload(app, clock)
    router = app.extensions["allforces"]
    assert router.archive(router.current().site).count == 8
    after = client.get(path)
    assert after.status_code == 200 and after.headers["Cache-Control"] == IMMUTABLE
    assert (after.data == before.data) == (fmt == "json")  # JSON Feed links only to older pages
    write_posts(site, range(28, 30), month="2026-12")
    reload(app, clock)
    again = client.get(path)
    assert again.data == after.data and again.headers["Cache-Control"] == IMMUTABLE


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn over a copy of the content with archive pages."""
    site = copy_site(tmp_path_factory.mktemp("archives-live"))
    env = {"ALLFORCES_CONTENT_DIR": str(site), "ALLFORCES_CACHE_DIR": "", "ALLFORCES_FEED_LIMIT": "3"}
    with gunicorn({**env, "ALLFORCES_SITE_URL": SITE_URL, "ALLFORCES_PUBLIC_URL": PUBLIC_URL}) as server:
        yield server


def test_archive_pages_over_real_http(live: Server) -> None:
    """gunicorn: HEAD without a body, 304 with the validators and Date, 301 and 404 as plain text."""
    path = TAG + "archive/1/atom.xml"
    full = send(live, path)
    assert full.status == 200 and full.headers["cache-control"] == IMMUTABLE
    head = send(live, path, method="HEAD")
    assert head.status == 200 and head.body == b"" and head.headers["etag"] == full.headers["etag"]
    again = send(live, path, {"If-None-Match": full.headers["etag"]})
    assert again.status == 304 and again.body == b""
    for name in ("etag", "last-modified", "cache-control", "vary", "date"):
        assert name in again.headers, name
    moved = send(live, quote("/tags/Deep Learning/archive/1/atom.xml"))
    assert moved.status == 301 and moved.headers["location"] == PUBLIC_URL + path
    missing = send(live, "/archive/99/feed.xml")
    assert missing.status == 404 and missing.headers["content-type"].startswith("text/plain")
