"""The export for static hosts (issue 14): real nginx serving it answers every path as the service does.

Every path of the manifest is fetched from nginx (serving the files with the generated snippets) and from the
service (the Flask test client): same body, same bytes after gzip, same content type and headers; the 301s of
other slug spellings carry the same Location. A second export rewrites only the files whose bytes changed.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from allforces_feeds import create_app
from allforces_feeds.render import FORMATS
from allforces_feeds.web.export import MANIFEST, Result, export, file_name, full_width, spellings
from allforces_feeds.web.export_servers import netlify_files, nginx_configs, nginx_has_brotli
from allforces_feeds.web.http import IMMUTABLE
from bench.servers import free_port, stop

from ..conftest import settings
from ..live import Server
from .test_caching_live import send
from .test_nginx import HEAD, NGINX, wait_for_port

CONFIG = (
    HEAD
    + """    include {tmp}/conf/allforces-map.conf;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        include {tmp}/conf/allforces-locations.conf;
    }}
}}
"""
)
# What a static server must send as the service does; Date, Server, ETag and Accept-Ranges are its own.
COMPARED = ("content-type", "last-modified", "cache-control", "vary", "x-content-type-options")
EXTRA = ("access-control-allow-origin", "access-control-expose-headers", "cross-origin-resource-policy")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, Path, Result]:
    """The bundled content's app (FEED_LIMIT 3: archive pages too) and its export, with the nginx snippets in conf/."""
    tmp = tmp_path_factory.mktemp("export")
    app = create_app(settings(tmp / "cache", FEED_LIMIT="3"))
    result = export(app.extensions["allforces"], tmp / "site")
    nginx_configs(result.manifest, tmp / "conf")
    return app, tmp, result


@pytest.fixture(scope="module")
def nginx(exported: tuple[Flask, Path, Result]) -> Iterator[Server]:
    """Real nginx serving the export with the generated snippets, on a free loopback port."""
    if NGINX is None:
        if os.environ.get("ALLFORCES_REQUIRE_NGINX") == "1":
            pytest.fail("nginx is required here (ALLFORCES_REQUIRE_NGINX=1) but not installed")
        pytest.skip("nginx is not installed (Debian package nginx); the export's server test needs it")
    _, tmp, _ = exported
    port = free_port()
    config = tmp / "nginx.conf"
    config.write_text(CONFIG.format(tmp=tmp, port=port, root=tmp / "site"), encoding="utf-8")
    log = tmp / "error.log"
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-c", str(config), "-e", str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process, log)
        yield Server("127.0.0.1", port)
    finally:
        stop(process)


def test_every_path_is_served_by_nginx_as_by_the_service(exported: tuple[Flask, Path, Result], nginx: Server) -> None:
    """nginx serving the export sends each path's bytes, codings and headers as the service does (archive pages too)."""
    app, tmp, result = exported
    client = app.test_client()
    brotli_served = nginx_has_brotli(NGINX)
    files = result.manifest["files"]
    assert {"/", "/feeds.json", "/feeds.opml", "/embed.js", "/embed/latest.json", "/embed/latest.html"} <= {
        f["path"] for f in files
    }
    assert any(f["file"] == "tags/投資/index.html" for f in files)
    # Archive pages too, a full one with its immutable Cache-Control, which nginx must send as well.
    assert {"/archive/1/feed.xml", "/archive/1/atom.xml", "/archive/1/feed.json"} <= {f["path"] for f in files}
    assert any(f["cache_control"] == IMMUTABLE and f["path"].startswith("/tags/") for f in files)
    for item in files:
        path = item["path"]
        service = client.get(path)
        assert service.status_code == 200, path
        plain = send(nginx, path)
        assert plain.status == 200, path
        assert plain.body == service.data, path
        for name in (*COMPARED, *EXTRA, "content-security-policy", "referrer-policy"):
            assert plain.headers.get(name) == service.headers.get(name), (path, name)
        assert plain.headers["etag"].startswith('"'), path  # nginx's own, strong
        # gzip: nginx sends the .gz sibling as it is, the same bytes the service sends for gzip.
        zipped = send(nginx, path, {"Accept-Encoding": "gzip"})
        service_zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers.get("content-encoding") == "gzip", path
        assert zipped.body == service_zipped.data, path
        assert gzip.decompress(zipped.body) == service.data, path
        assert zipped.headers["content-type"] == service.headers["content-type"], path
        service_br = client.get(path, headers={"Accept-Encoding": "br"}).data
        sibling = (tmp / "site" / (item["file"] + ".br")).read_bytes()
        assert sibling == service_br and brotli.decompress(sibling) == service.data, path
        if brotli_served:
            assert send(nginx, path, {"Accept-Encoding": "br"}).body == service_br, path


def test_every_archive_page_is_exported_as_served(
    make_app: Callable[..., Flask], posts_dir: Callable[..., Path], tmp_path: Path
) -> None:
    """Each archive page of each scope and format: a file of the served bytes, its Cache-Control in the manifest."""
    for day in range(1, 10):
        front = f"title: 第{day}\ndate: 2025-01-{day:02d} 09:00:00 +0900\ntags: [AI]"
        site = posts_dir(f"2025-01-{day:02d}-p{day}.md", front)
    # 9 posts, 5 a page, 2 in the feed: page 1 is full, the 4 newest are on a partial page 2.
    app = make_app(site, FEED_LIMIT="2", ARCHIVE_SIZE="5")
    result = export(app.extensions["allforces"], tmp_path / "out")
    client = app.test_client()
    archived = {f["path"]: f for f in result.manifest["files"] if "/archive/" in f["path"]}
    expected = {
        f"{scope}archive/{number}/{fmt.file}"
        for scope in ("/", "/tags/ai/", "/authors/allforces%E7%B7%A8%E9%9B%86%E9%83%A8/")
        for number in (1, 2)
        for fmt in FORMATS.values()
    }
    assert set(archived) == expected
    for path, item in archived.items():
        served = client.get(path)
        assert served.status_code == 200, path
        out = tmp_path / "out" / item["file"]
        assert out.read_bytes() == served.data, path
        assert all(out.with_name(out.name + suffix).is_file() for suffix in (".gz", ".br")), path
        assert item["cache_control"] == served.headers["Cache-Control"], path
        assert item["last_modified"] == served.headers["Last-Modified"], path
        # Page 1 is full: immutable; page 2 fills up in place: the feeds' Cache-Control.
        assert (item["cache_control"] == IMMUTABLE) == ("/archive/1/" in path), path


def test_other_spellings_get_the_services_301(exported: tuple[Flask, Path, Result], nginx: Server) -> None:
    """Other slug spellings get the service's 301 from nginx; unknown slugs a 404."""
    app, _, result = exported
    client = app.test_client()
    moved = result.manifest["redirects"]
    tried = {r["from"] for r in moved}
    # Raw label, upper case, full width and NFD of a real tag, each for the page and a feed.
    assert {"/tags/AI/", "/tags/ＡＩ/feed.xml", "/tags/投資", "/tags/S&P 500/atom.xml"} & tried
    for redirect in moved:
        path = quote(redirect["from"], safe="/")
        service = client.get(path)
        assert service.status_code == 301, path
        reply = send(nginx, path)
        assert reply.status == 301, path
        assert reply.headers["location"] == service.headers["Location"] == redirect["to"], path
    # A canonical folder without its slash: the service's 301, not nginx's own to its host and port.
    service = client.get("/tags/ai")
    assert send(nginx, "/tags/ai").headers["location"] == service.headers["Location"]
    # Case only differs in ASCII: nginx's map ignores it, the canonical file is still served.
    assert send(nginx, "/tags/ai/feed.xml").status == 200
    assert send(nginx, "/tags/no-such-tag/").status == 404


def test_spellings_a_reader_would_type() -> None:
    """Raw label, upper case, full width and NFD are among the spellings tried."""
    found = spellings("S&P 500", "s-p-500")
    assert {"S&P 500", "Ｓ＆Ｐ\u3000５００", "s-p-500", "S-P-500"} <= set(found)
    assert full_width("AI") == "ＡＩ"
    assert unicodedata.normalize("NFD", "ガス") in spellings("ガス", "ガス")


def test_percent_encoded_names(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    """--percent-encoded names files by the encoded path; nginx configs refuse such an export."""
    result = export(make_app().extensions["allforces"], tmp_path / "out", percent_encoded=True)
    entry = next(f for f in result.manifest["files"] if f["path"].startswith("/tags/%E6%8A%95%E8%B3%87/"))
    assert entry["file"] == file_name(entry["path"], True) and "%E6" in entry["file"]
    assert (tmp_path / "out" / entry["file"]).is_file()
    with pytest.raises(ValueError, match="percent-encoded"):
        nginx_configs(result.manifest, tmp_path / "conf")


def test_netlify_files(exported: tuple[Flask, Path, Result], tmp_path: Path) -> None:
    """_headers and _redirects for Netlify-style hosts, one rule a line."""
    _, _, result = exported
    headers, redirects = netlify_files(result.manifest, tmp_path)
    text = headers.read_text()
    assert "/tags/%E6%8A%95%E8%B3%87/feed.xml\n  Content-Type: application/rss+xml" in text
    assert "/embed/latest.json\n  Content-Type: application/json; charset=utf-8" in text
    lines = redirects.read_text().splitlines()
    assert lines and all(len(line.split(" ")) == 3 and line.endswith(" 301") for line in lines)


def snapshot_files(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under the folder: (inode, mtime in ns, bytes)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_a_second_export_rewrites_only_what_changed(
    make_app: Callable[..., Flask], posts_dir: Callable[..., Path], tmp_path: Path
) -> None:
    """Unchanged files keep inode and mtime; a rewritten one gets its Last-Modified as mtime."""
    posts_dir("2025-01-01-one.md", "title: 一\ndate: 2025-01-01 09:00:00 +0900\ntags: [投資]")
    posts_dir("2025-02-01-two.md", "title: 二\ndate: 2025-02-01 09:00:00 +0900\ntags: [AI, 半導体]")
    site = posts_dir("2025-03-01-three.md", "title: 三\ndate: 2025-03-01 09:00:00 +0900\ntags: [AI]\nauthor: 山田")
    out = tmp_path / "out"
    first = export(make_app(site).extensions["allforces"], out)
    assert first.unchanged == 0 and MANIFEST in first.written
    before = snapshot_files(out)
    # Nothing changed: nothing is written.
    again = export(make_app(site).extensions["allforces"], out)
    assert again.written == [] and snapshot_files(out) == before
    # One post edited: only the documents that show it change.
    posts_dir("2025-01-01-one.md", "title: 一 (改)\ndate: 2025-01-01 09:00:00 +0900\ntags: [投資]")
    second = export(make_app(site).extensions["allforces"], out)
    after = snapshot_files(out)
    changed = {name for name in after if after[name][2] != before.get(name, (0, 0, b""))[2]}
    assert set(second.written) == changed
    assert "tags/投資/feed.xml" in changed and "tags/ai/feed.xml" not in changed
    for name in after.keys() - changed:
        assert after[name][:2] == before[name][:2], name  # same inode, same mtime
    # A new file's mtime is its Last-Modified, which a static server sends.
    entry = next(f for f in second.manifest["files"] if f["file"] == "tags/投資/feed.xml")
    lm = app_last_modified(make_app(site).test_client(), "/tags/%E6%8A%95%E8%B3%87/feed.xml")
    assert entry["last_modified"] == lm


def app_last_modified(client: FlaskClient, path: str) -> str:
    """The service's Last-Modified for a path."""
    return str(client.get(path).headers["Last-Modified"])


def test_a_scope_that_goes_is_removed(
    make_app: Callable[..., Flask], posts_dir: Callable[..., Path], tmp_path: Path
) -> None:
    """Files of a scope that is gone are removed, and nothing the export did not write."""
    posts_dir("2025-01-01-one.md", "title: 一\ndate: 2025-01-01 09:00:00 +0900\ntags: [投資]")
    site = posts_dir("2025-02-01-two.md", "title: 二\ndate: 2025-02-01 09:00:00 +0900\ntags: [gone]")
    out = tmp_path / "out"
    export(make_app(site).extensions["allforces"], out)
    (out / "jekyll-page.html").write_text("not ours")
    assert (out / "tags/gone/feed.xml").is_file()
    (site / "_posts" / "2025-02-01-two.md").unlink()
    result = export(make_app(site).extensions["allforces"], out)
    assert "tags/gone/feed.xml.gz" in result.removed
    assert not (out / "tags/gone/feed.xml").exists() and (out / "jekyll-page.html").is_file()
