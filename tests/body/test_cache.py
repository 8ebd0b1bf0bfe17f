"""The body cache in CACHE_DIR: damaged entries are made again, never served."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from allforces_feeds.body import markdown
from allforces_feeds.body.cache import BodyCache
from allforces_feeds.config import load_config
from allforces_feeds.models import Post
from allforces_feeds.sealed import seal, unseal, write_atomic

from ..conftest import CONTENT, FIXTURES, damage_empty, damage_flip, damage_truncate, settings

FEEDS = ("/feed.xml", "/atom.xml", "/feed.json")


def serve(make_app: Callable[..., Flask], cache: Path | str, content_dir: Path = CONTENT) -> tuple[Flask, list[bytes]]:
    """An app and its three site feeds."""
    app = make_app(content_dir, CACHE_DIR=str(cache))
    client = app.test_client()
    return app, [client.get(path).data for path in FEEDS]


def body_cache(app: Flask) -> BodyCache:
    """The app's render cache, with its counters."""
    return app.extensions["allforces"].body_cache


@pytest.fixture
def newest(make_app: Callable[..., Flask]) -> Post:
    """The newest bundled post: it is in every site feed."""
    return make_app(CACHE_DIR="").extensions["allforces"].current().posts[0]


@pytest.mark.parametrize("content_dir", [CONTENT, FIXTURES / "broken"], ids=["bundled", "broken"])
def test_feeds_are_the_same_without_cache_cold_and_warm(make_app, tmp_path: Path, content_dir: Path) -> None:
    _, reference = serve(make_app, "", content_dir)
    cold_app, cold = serve(make_app, tmp_path / "c", content_dir)
    warm_app, warm = serve(make_app, tmp_path / "c", content_dir)
    assert cold == reference and warm == reference
    assert body_cache(cold_app).renders > 0 and body_cache(cold_app).disk_hits == 0
    assert body_cache(warm_app).renders == 0 and body_cache(warm_app).disk_hits > 0
    problems = [str(p) for p in make_app(content_dir, CACHE_DIR="").extensions["allforces"].problems]
    assert [str(p) for p in warm_app.extensions["allforces"].problems] == problems


def damage_other_entry(data: bytes, other: bytes) -> bytes:
    # Whole and sealed, but another post's rendering: its key gives it away.
    return other


def damage_forged_html(data: bytes, other: bytes) -> bytes:
    # A payload edited without updating the checksum.
    payload = unseal(data)
    assert payload is not None
    return data[: len(data) - len(payload)] + payload.replace(b"<p>", b"<p>EVIL", 1)


@pytest.mark.parametrize("damage", [damage_truncate, damage_flip, damage_empty, damage_other_entry, damage_forged_html])
def test_a_damaged_entry_is_rendered_again_never_served(
    make_app, tmp_path: Path, newest: Post, damage: Callable[[bytes, bytes], bytes], caplog
) -> None:
    cache = tmp_path / "cache"
    first, reference = serve(make_app, cache)
    entries = body_cache(first)
    path = entries.path(entries.key(newest.digest))
    assert path is not None and path.is_file()
    other = next(p for p in (cache / "render").rglob("*") if p.is_file() and p != path)
    path.write_bytes(damage(path.read_bytes(), other.read_bytes()))

    with caplog.at_level(logging.WARNING, logger="allforces_feeds.cache"):
        app, served = serve(make_app, cache)
    assert served == reference
    assert body_cache(app).renders == 1 and body_cache(app).rejected == 1
    assert "damaged" in caplog.text
    # The entry was written again, whole.
    assert unseal(path.read_bytes()) is not None
    assert serve(make_app, cache)[1] == reference


def test_the_key_changes_with_everything_that_shapes_the_html(tmp_path: Path, newest: Post, monkeypatch) -> None:
    def key(digest: str = newest.digest, **overrides: str) -> str:
        return BodyCache(load_config({}, **settings(tmp_path, **overrides))).key(digest)

    base = key()
    assert key() == base
    assert key(digest="0" * 64) != base
    assert key(SITE_URL="https://example.org") != base
    assert key(EXCERPT_LENGTH="80") != base
    # Settings that do not shape a post's HTML share its entries.
    assert key(FEED_LIMIT="5", SITE_TITLE="別名") == base
    monkeypatch.setattr(markdown, "RENDERER_VERSION", "bumped")
    markdown.fingerprint.cache_clear()
    try:
        assert key() != base
    finally:
        monkeypatch.undo()
        markdown.fingerprint.cache_clear()
    assert key() == base


def test_entries_are_written_whole_while_others_read(tmp_path: Path) -> None:
    path = tmp_path / "render" / "ab" / "entry"
    versions = [seal(bytes([65 + i]) * (50_000 + 1000 * i)) for i in range(8)]
    write_atomic(path, versions[0])
    stop = threading.Event()
    seen: list[bool] = []

    def reader() -> None:
        while not stop.is_set():
            seen.append(unseal(path.read_bytes()) is not None)

    watcher = threading.Thread(target=reader)
    watcher.start()
    writers = [
        threading.Thread(target=lambda v=v: [write_atomic(path, v) for _ in range(30)])
        for v in versions  # type: ignore[misc]
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop.set()
    watcher.join()
    assert seen and all(seen)
    assert os.listdir(path.parent) == ["entry"]  # no temporary file left behind


def test_an_unwritable_cache_only_costs_speed(make_app, tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    _, reference = serve(make_app, "")
    with caplog.at_level(logging.WARNING):
        app, served = serve(make_app, blocker / "cache")
    assert served == reference
    assert "cannot be written" in caplog.text


def test_a_post_changed_after_loading_is_not_served_unchecked(posts_dir, make_app, tmp_path: Path, caplog) -> None:
    site = posts_dir("2025-01-01-edited.md", 'title: "編集中"', "最初の文です。")
    app = make_app(site, CACHE_DIR=str(tmp_path / "cache"))
    path = site / "_posts" / "2025-01-01-edited.md"
    path.write_text(path.read_text(encoding="utf-8").replace("最初の文", "直した文"), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="allforces_feeds.body.cache"):
        body = app.test_client().get("/feed.xml").data.decode()
    # The item stays (title, link) but its body waits for the loader to check the new bytes.
    assert "編集中" in body and "直した文" not in body and "最初の文" not in body
    assert "changed since it was loaded" in caplog.text


def test_a_post_removed_after_loading_leaves_its_item_without_content(posts_dir, make_app, caplog) -> None:
    site = posts_dir("2025-01-01-gone.md", 'title: "消えた記事"', "本文です。")
    app = make_app(site, CACHE_DIR="")
    (site / "_posts" / "2025-01-01-gone.md").unlink()
    response = app.test_client().get("/feed.xml")
    assert response.status_code == 200 and "消えた記事" in response.data.decode()
    assert "cannot be read back" in caplog.text
